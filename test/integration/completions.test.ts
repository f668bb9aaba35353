/**
 * Debug Console completion over DAP against the real lab: `hv` commands and their arguments from hvdbg,
 * gdb commands and symbols from gdb 13's `-complete`, each item checked by applying its edit (start,
 * length; columns start at 1) to the line as a client would. While the guest runs, completion still
 * answers, never with an error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../lab/lab';
import { ADAPTER, attach, labAttachConfig, repl, startClient, stopAfter, topFrame } from './support/session';

/** The line a client gets from an item: `length` characters at `start` (1-based) replaced by its text. */
function applied(line: string, column: number, item: DebugProtocol.CompletionItem): string {
  const at = (item.start ?? column) - 1;
  return line.slice(0, at) + (item.text ?? item.label) + line.slice(at + (item.length ?? 0));
}

/** The lines the completions at the end of `line` give, and the response (which must succeed). */
async function completed(dc: DebugClient, line: string, frameId?: number): Promise<string[]> {
  const column = line.length + 1;
  const args: DebugProtocol.CompletionsArguments = { text: line, column };
  if (frameId !== undefined) args.frameId = frameId;
  const response = await dc.completionsRequest(args);
  assert.equal(response.success, true);
  return response.body.targets.map((item) => applied(line, column, item));
}

describe('Debug Console completion', { timeout: 300_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;
  let threadId: number;

  before(async () => {
    lab = await bootLab({ kvm: false, cpus: 1, trace: false });
    dc = await startClient(60_000);
    const stop = await attach(dc, labAttachConfig(lab));
    assert.ok(stop.body.threadId !== undefined);
    threadId = stop.body.threadId;
  });

  after(async () => {
    await dc?.stop();
    await lab?.stop();
  });

  test('the capability, and an empty answer before a guest is attached', async () => {
    const fresh = new DebugClient('node', ADAPTER, 'hvdbg');
    await fresh.start();
    try {
      const init = await fresh.initializeRequest({
        adapterID: 'hvdbg',
        pathFormat: 'path',
        linesStartAt1: true,
        columnsStartAt1: true,
      });
      assert.equal(init.body?.supportsCompletionsRequest, true);
      assert.deepEqual(init.body?.completionTriggerCharacters, [' ', '.', '>']);
      assert.deepEqual(await completed(fresh, 'hv br'), []);
    } finally {
      await fresh.stop();
    }
  });

  test('hv br → hv break', async () => {
    assert.deepEqual(await completed(dc, 'hv br'), ['hv break']);
    assert.ok((await completed(dc, 'hv ')).includes('hv translate'));
    assert.ok((await completed(dc, 'h')).includes('hv'), 'the first word offers hv');
  });

  test('hv break hypercall KI → KVM_HC_KICK_CPU, which hv break hypercall accepts', async () => {
    const lines = await completed(dc, 'hv break hypercall KI');
    assert.deepEqual(lines, ['hv break hypercall KVM_HC_KICK_CPU']);
    const out = await repl(dc, lines[0] ?? '');
    assert.match(out, /^breakpoint \d+: KVM_HC_KICK_CPU: /);
    assert.equal(await repl(dc, 'hv break hypercall'), 'hypercall breakpoints cleared');
  });

  test('hv pt offers its filters and the roots of this stop', async () => {
    const lines = await completed(dc, 'hv pt ');
    assert.ok(lines.includes('hv pt --warn'), lines.join(', '));
    assert.ok(lines.includes(`hv pt root=cpu${threadId}`), lines.join(', '));
  });

  test('gdb: init_ta → init_task, info reg → info registers, members', async () => {
    const frame = await topFrame(dc, threadId);
    const symbols = await completed(dc, 'init_ta', frame.id);
    assert.ok(symbols.includes('init_task'), symbols.join(', '));
    assert.deepEqual(await completed(dc, 'info reg', frame.id), ['info registers']);
    const members = await completed(dc, 'print init_task.co', frame.id);
    assert.ok(members.includes('print init_task.comm'), members.join(', '));
    const arrow = await completed(dc, 'p init_task.parent->pi');
    assert.ok(arrow.includes('p init_task.parent->pid'), arrow.join(', '));
    const registers = await completed(dc, 'print $ri', frame.id);
    assert.ok(registers.includes('print $rip'), registers.join(', '));
  });

  test('while the guest runs: answers without an error, hv commands still complete', async (t) => {
    const frame = await topFrame(dc, threadId);
    await dc.continueRequest({ threadId: 0 });
    try {
      assert.deepEqual(await completed(dc, 'hv br'), ['hv break']);
      for (const line of ['init_ta', 'info reg', 'hv pt root=', 'print $ri']) {
        const started = Date.now();
        const lines = await completed(dc, line, frame.id);
        t.diagnostic(`running: ${line} → ${lines.slice(0, 5).join(', ')} (${Date.now() - started} ms)`);
      }
    } finally {
      await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
    }
  });
});
