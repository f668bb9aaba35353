/**
 * The `trace` attribute on the real lab: a session attached with `"trace": FILE` that steps one
 * instruction leaves a file holding the DAP `stepIn` request, gdb's MI command of that step and the RSP
 * packets of it (gdb's resume request and the stub's stop reply), in order; `true` writes a file in the
 * OS temp directory and names it in the Debug Console.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../lab/lab';
import { attach, labAttachConfig, startClient, stopAfter } from './support/session';

describe('the session transcript', { timeout: 300_000 }, () => {
  let lab: Lab;
  const dir = mkdtempSync(join(tmpdir(), 'hvdbg-transcript-'));

  before(async () => {
    lab = await bootLab({ kvm: false, cpus: 1 });
  });
  after(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one instruction step: its DAP request, its MI command and its RSP packets, in order', async () => {
    const file = join(dir, 'step.log');
    const dc: DebugClient = await startClient();
    try {
      const entry = await attach(dc, labAttachConfig(lab, { symbolFiles: [], trace: file }));
      const threadId = entry.body.threadId ?? 1;
      await stopAfter(dc, () => dc.stepInRequest({ threadId, granularity: 'instruction' }));
      await dc.disconnectRequest({});
    } finally {
      await dc.stop();
    }
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const at = (re: RegExp, from = 0): number => {
      const i = lines.findIndex((l, n) => n >= from && re.test(l));
      assert.ok(i >= 0, `no line matching ${String(re)} after line ${from} in ${file}`);
      return i;
    };
    assert.ok(
      lines.every((l) => /^\d+\.\d{6} (dap[<>]|mi[<>]|rsp (gdb|stub|hvdbg)>) /.test(l)),
      'every record timestamped',
    );
    at(/^[\d.]+ dap< +\{.*"command":"initialize"/); // kept from before the attach
    const request = at(/^[\d.]+ dap< +\{.*"command":"stepIn".*"granularity":"instruction"/);
    const mi = at(/^[\d.]+ mi> +\d+-exec-step-instruction --thread \d+/, request);
    const resume = at(/^[\d.]+ rsp gdb> +.*\$(vCont;s|s)[^#]*#[0-9a-f]{2}/, mi);
    const stopReply = at(/^[\d.]+ rsp stub> +.*\$T05/, resume);
    const stopped = at(/^[\d.]+ mi< +\*stopped,reason="end-stepping-range"/, stopReply);
    at(/^[\d.]+ dap> +\{.*"event":"stopped".*"reason":"step"/, stopped);
    const response = at(/^[\d.]+ dap> +\{.*"command":"stepIn".*"success":true/, request);
    assert.ok(response > request);
  });

  test('"trace": true writes a file in the temp directory and names it in the Debug Console', async () => {
    const dc: DebugClient = await startClient();
    let file = '';
    try {
      const named = new Promise<string>((resolve) => {
        dc.on('output', (e: DebugProtocol.OutputEvent) => {
          const m = /writing a transcript of this session \(DAP, gdb\/MI, RSP\) to (\S+)/.exec(e.body.output);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
      });
      await attach(dc, labAttachConfig(lab, { symbolFiles: [], trace: true }));
      file = await named;
      await dc.disconnectRequest({});
    } finally {
      await dc.stop();
    }
    assert.ok(file.startsWith(tmpdir()), file);
    assert.ok(existsSync(file));
    assert.match(readFileSync(file, 'utf8'), /"command":"configurationDone"/);
    rmSync(file, { force: true });
  });
});
