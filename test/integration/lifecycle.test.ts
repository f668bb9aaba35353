/**
 * Session lifetime and bad input on the real thing: launch and terminate, a stub that is not there, QEMU
 * killed mid-session, invalid configurations, gdb missing. Each must end in a message the user can act
 * on, within its bound, with no gdb or QEMU left behind.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, prepareLab, qemuArgsFor, type LabManifest } from '../lab/lab';
import {
  adapterPid,
  attach,
  childProcesses,
  isAlive,
  labAttachConfig,
  repl,
  startClient,
} from './support/session';

/** Sends a request that must fail; returns its error message and how long the failure took (ms). */
async function failure(run: () => Promise<unknown>): Promise<{ message: string; ms: number }> {
  const started = Date.now();
  try {
    await run();
  } catch (error) {
    return { message: error instanceof Error ? error.message : String(error), ms: Date.now() - started };
  }
  assert.fail('the request succeeded');
}

function launchArgs(manifest: LabManifest): string[] {
  const args = qemuArgsFor(manifest, { gdb: '/unused', serial0: 'stdio', serial1: 'null', la57: false });
  const gdb = args.indexOf('-gdb');
  args.splice(gdb, 2);
  return args;
}

function waitForOutput(dc: DebugClient, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`output ${pattern} not seen in ${timeoutMs} ms: ${seen.slice(-500)}`)),
      timeoutMs,
    );
    const listener = (event: DebugProtocol.OutputEvent): void => {
      seen += event.body.output;
      const match = pattern.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        dc.removeListener('output', listener);
        resolve(match[0]);
      }
    };
    dc.on('output', listener);
  });
}

describe('session lifetime and bad input', { timeout: 600_000 }, () => {
  let manifest: LabManifest;
  let scratch: string;
  const clients: DebugClient[] = [];
  const client = async (): Promise<DebugClient> => {
    const dc = await startClient(20_000);
    clients.push(dc);
    return dc;
  };

  before(async () => {
    manifest = await prepareLab();
    scratch = await mkdtemp(join(tmpdir(), 'hvdbg-test-'));
  });

  after(async () => {
    await Promise.all(clients.map((dc) => dc.stop().catch(() => undefined)));
    await rm(scratch, { recursive: true, force: true });
  });

  test('launch boots QEMU; terminate leaves no QEMU or gdb behind', async () => {
    const dc = await client();
    const pid = waitForOutput(dc, /started QEMU \(pid (\d+)\)/, 15_000);
    const stopped = dc.waitForEvent('stopped');
    await dc.launchRequest({
      program: manifest.vmlinux,
      qemu: { args: launchArgs(manifest) },
    } as DebugProtocol.LaunchRequestArguments);
    await dc.configurationDoneRequest();
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
    const qemuPid = Number(/\d+/.exec(await pid)?.[0]);
    const threads = (await dc.threadsRequest()).body.threads;
    assert.deepEqual(
      threads.map((t) => t.name),
      ['vCPU 0', 'vCPU 1'],
    );
    const booted = waitForOutput(dc, /Linux version 6\.1/, 120_000);
    await dc.continueRequest({ threadId: 0 });
    await booted;
    const adapter = adapterPid(dc);
    assert.ok(childProcesses(adapter).some((p) => p.comm === 'gdb'));
    const terminated = dc.waitForEvent('terminated');
    await dc.terminateRequest();
    await terminated;
    assert.equal(isAlive(qemuPid), false, 'QEMU is gone');
    assert.deepEqual(childProcesses(adapter), [], 'no gdb or QEMU left');
  });

  test('no stub at a unix socket: a clear error within 5 s and no gdb left running', async () => {
    const dc = await client();
    const { message, ms } = await failure(() =>
      dc.attachRequest({
        target: `unix:${join(scratch, 'nothing.sock')}`,
      } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(message, /No gdbstub answered at unix:/);
    assert.ok(ms < 5000, `${ms} ms`);
    assert.deepEqual(childProcesses(adapterPid(dc)), []);
  });

  test('the wrong TCP port: a clear error within 5 s and no gdb left running', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const dc = await client();
    const { message, ms } = await failure(() =>
      dc.attachRequest({ target: `127.0.0.1:${port}` } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(message, new RegExp(`No gdbstub answered at 127\\.0\\.0\\.1:${port} \\(connection refused`));
    assert.ok(ms < 5000, `${ms} ms`);
    assert.deepEqual(childProcesses(adapterPid(dc)), []);
  });

  test('an invalid configuration names the attribute before anything is spawned', async () => {
    const dc = await client();
    const badTarget = await failure(() =>
      dc.attachRequest({ target: 'localhost' } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(badTarget.message, /"target"/);
    const missing = await failure(() =>
      dc.attachRequest({ program: '/x' } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(missing.message, /"target" is required/);
    const wrongType = await failure(() =>
      dc.attachRequest({
        target: 'localhost:1234',
        stopOnAttach: 'yes',
      } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(wrongType.message, /"stopOnAttach" must be boolean/);
    const gdbStub = await failure(() =>
      dc.launchRequest({ qemu: { args: ['-s', '-kernel', 'x'] } } as DebugProtocol.LaunchRequestArguments),
    );
    assert.match(gdbStub.message, /qemu\.args must not contain '-s'/);
    const noProgram = await failure(() =>
      dc.attachRequest({
        target: 'localhost:1234',
        program: join(scratch, 'no-vmlinux'),
      } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(noProgram.message, /"program": .*no-vmlinux is not a readable file/);
    const noModule = await failure(() =>
      dc.attachRequest({
        target: 'localhost:1234',
        symbolFiles: [{ path: join(scratch, 'kvm.ko'), address: '0x1000' }],
      } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(noModule.message, /"symbolFiles\.0\.path": .*kvm\.ko is not a readable file/);
    assert.deepEqual(childProcesses(adapterPid(dc)), []);
  });

  test('gdb missing: the message says how to install it', async () => {
    const dc = await client();
    const { message } = await failure(() =>
      dc.attachRequest({
        target: 'localhost:1234',
        gdbPath: join(scratch, 'no-such-gdb'),
      } as DebugProtocol.AttachRequestArguments),
    );
    assert.match(message, /Cannot run gdb .*ENOENT.*apt-get install gdb/);
  });

  test('stopOnAttach false: the guest keeps running, the vCPUs are listed, pause stops it', async () => {
    const lab = await bootLab({ la57: false });
    try {
      const dc = await client();
      const initialized = dc.waitForEvent('initialized');
      await dc.attachRequest(labAttachConfig(lab, { stopOnAttach: false }));
      await initialized;
      await dc.configurationDoneRequest();
      // While the guest runs, gdb cannot list threads; the vCPUs seen at attach are shown.
      const threads = (await dc.threadsRequest()).body.threads;
      assert.deepEqual(
        threads.map((t) => t.name),
        ['vCPU 0', 'vCPU 1'],
      );
      const stopped = dc.waitForEvent('stopped');
      await dc.pauseRequest({ threadId: threads[0]?.id ?? 1 });
      assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'pause');
      await dc.disconnectRequest({});
    } finally {
      await lab.stop();
    }
  });

  test('QEMU killed while stopped: the session ends with a message within 2 s, no orphans', async () => {
    const lab = await bootLab({ la57: false });
    try {
      const dc = await client();
      await attach(dc, labAttachConfig(lab, { symbolFiles: [], breakpointType: 'software' }));
      // Software breakpoints (Z0) work too where a user asks for them.
      const bp = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_idle' }] });
      assert.equal(bp.body.breakpoints[0]?.verified, true);
      const hit = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 0 });
      assert.equal(((await hit) as DebugProtocol.StoppedEvent).body.reason, 'function breakpoint');
      assert.match(await repl(dc, 'info breakpoints'), /^1\s+breakpoint\s/m);
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      const ended = waitForOutput(dc, /stopped answering|closed the connection|went away/, 10_000);
      const terminated = dc.waitForEvent('terminated', 10_000);
      const killedAt = Date.now();
      process.kill(lab.qemuPid, 'SIGKILL');
      await terminated;
      assert.ok(Date.now() - killedAt < 2000, `${Date.now() - killedAt} ms`);
      await ended;
      assert.deepEqual(childProcesses(adapterPid(dc)), []);
    } finally {
      await lab.stop();
    }
  });

  test('QEMU killed while the guest runs (launch): the session ends within 2 s, no orphans', async () => {
    const dc = await client();
    const pid = waitForOutput(dc, /started QEMU \(pid (\d+)\)/, 15_000);
    const stopped = dc.waitForEvent('stopped');
    await dc.launchRequest({
      qemu: { args: launchArgs(manifest) },
      stopOnAttach: true,
    } as DebugProtocol.LaunchRequestArguments);
    await dc.configurationDoneRequest();
    await stopped;
    await dc.continueRequest({ threadId: 0 });
    const terminated = dc.waitForEvent('terminated', 10_000);
    const killedAt = Date.now();
    process.kill(Number(/\d+/.exec(await pid)?.[0]), 'SIGKILL');
    await terminated;
    assert.ok(Date.now() - killedAt < 2000, `${Date.now() - killedAt} ms`);
    assert.deepEqual(childProcesses(adapterPid(dc)), []);
  });
});
