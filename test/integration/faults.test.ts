/**
 * Faults injected on the real lab: QEMU killed while stepping, walking page tables, running and reading
 * physical memory; hvdbg's gdb killed; the stub's socket closed under the adapter by a proxy; the relay's
 * private socket removed. Each fault must end the DAP session with a message on stderr naming what
 * happened within 2 s, answer every request in flight before `terminated` (and quietly: the one message
 * is the session's), leave no gdb, no QEMU that hvdbg launched and none of hvdbg's socket files, and the
 * adapter must exit when the client closes.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, prepareLab, qemuArgsFor, type Lab, type LabManifest } from '../lab/lab';
import { childProcesses, isAlive, labAttachConfig, request, startClient } from './support/session';

/** How long a fault may take to end the session (the bound). */
const BOUND_MS = 2000;

/** The lab for these tests: no KVM program, one vCPU, 4-level paging (boots in a few seconds). */
const LAB = { kvm: false, cpus: 1, la57: false } as const;

/** Each test boots its own lab (a few seconds) and ends in seconds; a hang fails here, named. */
const PER_TEST = { timeout: 120_000 };

interface Seen {
  readonly at: number;
  readonly message: DebugProtocol.ProtocolMessage & Record<string, unknown>;
}

/** Resolves with `promise`, or rejects naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every few milliseconds until it holds; rejects naming `what` after `ms`. */
async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Bytes a process has read with read(2) (files, pipes, sockets; not recvmsg), from /proc/<pid>/io. The
 * adapter reads the stub's replies this way: its count grows by what QEMU sends it.
 */
function bytesRead(pid: number): number {
  const m = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** The unix sockets a process holds that have a path (listening or accepted), from /proc/net/unix. */
function unixSockets(pid: number): { path: string; listening: boolean }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1] !== undefined) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  const sockets: { path: string; listening: boolean }[] = [];
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path; Flags 0x10000 is __SO_ACCEPTCON (listening).
    const fields = line.trim().split(/\s+/);
    const [flags, inode, path] = [fields[3], fields[6], fields[7]];
    if (inode === undefined || path === undefined || !inodes.has(inode)) continue;
    sockets.push({ path, listening: (Number.parseInt(flags ?? '0', 16) & 0x10000) !== 0 });
  }
  return sockets;
}

function unixSocketPaths(pid: number): string[] {
  return [...new Set(unixSockets(pid).map((s) => s.path))];
}

/**
 * A DAP session on the real adapter with everything it says recorded: the DAP messages it writes (read
 * off its stdout beside the DebugClient), its own stderr, and its exit.
 */
class Watched {
  readonly seen: Seen[] = [];
  readonly stderr: string[] = [];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  private readonly listeners = new Set<(seen: Seen) => void>();

  private constructor(
    readonly dc: DebugClient,
    readonly adapter: ChildProcess,
  ) {
    let buffer = Buffer.alloc(0);
    adapter.stdout?.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const headerEnd = buffer.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.toString('latin1', 0, headerEnd))?.[1]);
        if (buffer.length < headerEnd + 4 + length) return;
        const message = JSON.parse(
          buffer.toString('utf8', headerEnd + 4, headerEnd + 4 + length),
        ) as Seen['message'];
        buffer = buffer.subarray(headerEnd + 4 + length);
        const seen = { at: Date.now(), message };
        this.seen.push(seen);
        for (const listener of this.listeners) listener(seen);
      }
    });
    adapter.stderr?.setEncoding('utf8');
    adapter.stderr?.on('data', (text: string) => this.stderr.push(text));
    this.exited = new Promise((resolve) => {
      adapter.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  static async open(): Promise<Watched> {
    const dc = await startClient(20_000);
    const adapter = (dc as unknown as { _adapterProcess?: ChildProcess })._adapterProcess;
    if (adapter?.pid === undefined) throw new Error('the DebugClient has no adapter process');
    return new Watched(dc, adapter);
  }

  get pid(): number {
    return this.adapter.pid ?? -1;
  }

  /** The first message from now on that `match` accepts; rejects naming `what` after `ms`. */
  next(match: (seen: Seen) => boolean, ms: number, what: string): Promise<Seen> {
    return within(
      new Promise<Seen>((resolve) => {
        const listener = (seen: Seen): void => {
          if (!match(seen)) return;
          this.listeners.delete(listener);
          resolve(seen);
        };
        this.listeners.add(listener);
      }),
      ms,
      what,
    );
  }

  /** Attaches (or launches) and waits for the entry stop; returns its thread. */
  async start(kind: 'attach' | 'launch', config: Record<string, unknown>): Promise<number> {
    const stopped = this.next((s) => isEvent(s, 'stopped'), 60_000, 'the entry stop');
    const initialized = this.dc.waitForEvent('initialized', 60_000);
    if (kind === 'attach') await this.dc.attachRequest(config);
    else await this.dc.launchRequest(config);
    await initialized;
    await this.dc.configurationDoneRequest();
    const stop = (await stopped).message as unknown as DebugProtocol.StoppedEvent;
    return stop.body.threadId ?? 1;
  }

  /** The relay's socket (adapter/target/rsp/link.ts: `$TMPDIR/hvdbg-rsp-*`/gdb.sock) as the kernel names it. */
  relaySocket(): string {
    const path = unixSocketPaths(this.pid).find((p) => p.startsWith(join(tmpdir(), 'hvdbg-rsp-')));
    assert.ok(
      path !== undefined,
      `the adapter holds no relay socket: ${unixSocketPaths(this.pid).join(', ')}`,
    );
    return path;
  }

  /** Continues the guest and waits for the response. */
  async continue(): Promise<void> {
    await this.dc.continueRequest({ threadId: 0 });
  }

  /** The stderr output and `terminated` that end the session, the first time either is later than `from`. */
  async ended(
    from: number,
    ms: number,
  ): Promise<{ message: string; messageMs: number; terminatedMs: number }> {
    const isEnd = (s: Seen): boolean =>
      isEvent(s, 'output') &&
      (s.message as unknown as DebugProtocol.OutputEvent).body.category === 'stderr' &&
      /The debug session has ended/.test((s.message as unknown as DebugProtocol.OutputEvent).body.output);
    const already = (match: (s: Seen) => boolean): Seen | undefined =>
      this.seen.find((s) => s.at >= from && match(s));
    const [message, terminated] = await Promise.all([
      Promise.resolve(already(isEnd) ?? this.next(isEnd, ms, 'the stderr message ending the session')),
      Promise.resolve(
        already((s) => isEvent(s, 'terminated')) ??
          this.next((s) => isEvent(s, 'terminated'), ms, 'the terminated event'),
      ),
    ]);
    return {
      message: (message.message as unknown as DebugProtocol.OutputEvent).body.output,
      messageMs: message.at - from,
      terminatedMs: terminated.at - from,
    };
  }

  /**
   * After `terminated`: no response came after it (all requests in flight were answered first), none
   * since the fault asked for a toast, and the adapter is still there (it did not crash).
   */
  checkAnswers(faultAt: number): void {
    const end = this.seen.findIndex((s) => isEvent(s, 'terminated'));
    assert.ok(end >= 0, 'terminated was sent');
    const late = this.seen.slice(end + 1).filter((s) => s.message.type === 'response');
    assert.deepEqual(
      late.map((s) => s.message['command']),
      [],
      'responses after terminated',
    );
    const toasts = this.seen
      .filter((s) => s.at >= faultAt && s.message.type === 'response' && s.message['success'] === false)
      .map((s) => s.message as unknown as DebugProtocol.ErrorResponse)
      .filter((r) => r.body?.error?.showUser === true);
    assert.deepEqual(
      toasts.map((r) => `${r.command}: ${r.message}`),
      [],
      'error responses shown to the user after the fault (the session message is the one message)',
    );
    assert.equal(
      this.exit,
      undefined,
      `the adapter exited early: ${JSON.stringify(this.exit)} ${this.stderr.join('')}`,
    );
  }

  /** Ends the adapter however it is (the cleanup of a test that failed): DebugClient.stop(), bounded. */
  async dispose(): Promise<void> {
    if (this.exit !== undefined) return;
    await within(this.dc.stop(), 5000, 'DebugClient.stop()').catch(() => this.adapter.kill('SIGKILL'));
    await within(this.exited, 5000, 'the adapter process to exit').catch(() => undefined);
  }

  /** The client closes (disconnect, then DebugClient.stop()); the adapter process exits, with nothing on stderr. */
  async close(): Promise<number> {
    const started = Date.now();
    const disconnect = await within(this.dc.disconnectRequest({}), BOUND_MS, 'the disconnect response');
    assert.equal(disconnect.success, true);
    await this.dc.stop();
    await within(this.exited, 5000, 'the adapter process to exit after DebugClient.stop()');
    assert.equal(this.stderr.join(''), '', "the adapter's own stderr (an unhandled rejection, a crash)");
    return Date.now() - started;
  }
}

function isEvent(seen: Seen, name: string): boolean {
  return seen.message.type === 'event' && seen.message['event'] === name;
}

/** Nothing hvdbg started or created is left: no child process, none of the given paths. */
function assertNothingLeft(w: Watched, paths: readonly string[], qemuPid?: number): void {
  assert.deepEqual(childProcesses(w.pid), [], 'child processes of the adapter');
  for (const path of paths) assert.equal(existsSync(path), false, `${path} is left`);
  if (qemuPid !== undefined) assert.equal(isAlive(qemuPid), false, `QEMU ${qemuPid} still runs`);
}

/**
 * Steps by instruction as fast as the adapter answers (the next step as soon as the stop arrives) until
 * a step fails or the session ends. `steps` counts the stops.
 */
function stepLoop(
  w: Watched,
  threadId: number,
): { steps: () => number; done: Promise<string>; stop: () => Promise<string> } {
  let steps = 0;
  let over = false;
  const done = (async (): Promise<string> => {
    while (!over) {
      const stopped = w.next(
        (s) => isEvent(s, 'stopped') || isEvent(s, 'terminated'),
        30_000,
        `the stop (or terminated) after step ${steps + 1}`,
      );
      try {
        await w.dc.stepInRequest({ threadId, granularity: 'instruction' });
      } catch (error) {
        return `step ${steps + 1} failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      const seen = await stopped;
      if (isEvent(seen, 'terminated')) return `ended after ${steps} steps`;
      steps++;
    }
    return `ended after ${steps} steps`;
  })();
  const stop = (): Promise<string> => {
    over = true;
    return within(done, 10_000, 'the stepping loop to stop');
  };
  return { steps: () => steps, done, stop };
}

/** The QEMU arguments of a `launch` (the lab's kernel and initramfs; hvdbg adds the gdbstub). */
function launchArgs(manifest: LabManifest): string[] {
  const args = qemuArgsFor(manifest, { ...LAB, gdb: '/unused', serial0: 'null', serial1: 'null' });
  args.splice(args.indexOf('-gdb'), 2);
  return args;
}

/** Launches QEMU through hvdbg; returns QEMU's pid and its gdbstub socket (hvdbg's launch socket). */
async function launch(
  w: Watched,
  manifest: LabManifest,
): Promise<{ thread: number; pid: number; socket: string }> {
  const started = w.next(
    (s) =>
      isEvent(s, 'output') && /started QEMU/.test(String((s.message['body'] as { output?: string }).output)),
    30_000,
    'the "started QEMU" output',
  );
  const thread = await w.start('launch', { qemu: { args: launchArgs(manifest) } });
  const text = ((await started).message as unknown as DebugProtocol.OutputEvent).body.output;
  const m = /started QEMU \(pid (\d+)\) with its gdbstub on (\S+)/.exec(text);
  assert.ok(m?.[1] !== undefined && m[2] !== undefined, text);
  return { thread, pid: Number(m[1]), socket: m[2] };
}

/** A fresh debugger can connect to the lab's gdbstub and gets a stop reply: hvdbg let go of it. */
async function stubIsFree(lab: Lab): Promise<void> {
  const socket = createConnection({ path: lab.gdbSocket });
  try {
    await within(
      new Promise<void>((resolve, reject) => {
        let text = '';
        socket.on('error', reject);
        socket.on('connect', () => socket.write('$?#3f'));
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (/\$[ST][0-9a-f]{2}/.test(text)) resolve();
        });
      }),
      5000,
      "the lab's gdbstub answering a new debugger's '?'",
    );
  } finally {
    socket.destroy();
  }
}

/**
 * A unix-socket proxy between the adapter and QEMU's gdbstub (one connection), as an ssh tunnel or a
 * socat would be: what one side closes, it closes on the other.
 */
class StubProxy {
  upstream: Socket | undefined;
  downstream: Socket | undefined;
  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static open(target: string): Promise<StubProxy> {
    const path = join(mkdtempSync(join(tmpdir(), 'hvdbg-test-proxy-')), 'stub.sock');
    const server = createServer();
    const proxy = new StubProxy(server, path);
    server.on('connection', (client) => {
      const stub = createConnection({ path: target });
      proxy.downstream = client;
      proxy.upstream = stub;
      client.on('data', (chunk: Buffer) => stub.write(chunk));
      stub.on('data', (chunk: Buffer) => client.write(chunk));
      stub.on('close', () => client.end());
      client.on('close', () => stub.end());
      client.on('error', () => undefined);
      stub.on('error', () => undefined);
    });
    return new Promise((resolve) => server.listen(path, () => resolve(proxy)));
  }

  close(): void {
    this.upstream?.destroy();
    this.downstream?.destroy();
    this.server.close();
    rmSync(dirname(this.path), { recursive: true, force: true });
  }
}

describe('faults end the session with a message, within 2 s, leaving nothing', { timeout: 600_000 }, () => {
  let manifest: LabManifest;
  /** A lab for one test, stopped when the test ends. */
  const lab = async (t: TestContext): Promise<Lab> => {
    const booted = await bootLab(LAB);
    t.after(() => booted.stop());
    return booted;
  };
  /** A session for one test, closed (if the test did not) when the test ends. */
  const session = async (t: TestContext): Promise<Watched> => {
    const w = await Watched.open();
    t.after(() => {
      // What the adapter said, for a test that failed before closing it.
      if (w.exit === undefined)
        for (const seen of w.seen.slice(-30)) t.diagnostic(JSON.stringify(seen.message).slice(0, 400));
      return w.dispose();
    });
    return w;
  };
  /** Asserts the end of the session after the fault at `faultAt` and reports the times. */
  const expectEnd = async (
    t: TestContext,
    w: Watched,
    faultAt: number,
    pattern: RegExp,
  ): Promise<{ message: string; messageMs: number; terminatedMs: number }> => {
    const end = await w.ended(faultAt, 10_000);
    t.diagnostic(
      `message after ${end.messageMs} ms, terminated after ${end.terminatedMs} ms: ${end.message.trim()}`,
    );
    assert.match(end.message, pattern);
    assert.ok(end.messageMs < BOUND_MS, `the message came ${end.messageMs} ms after the fault`);
    assert.ok(end.terminatedMs < BOUND_MS, `terminated came ${end.terminatedMs} ms after the fault`);
    return end;
  };

  before(async () => {
    manifest = await prepareLab();
  });

  test('QEMU killed during a stepping loop', PER_TEST, async (t) => {
    const l = await lab(t);
    const w = await session(t);
    const thread = await w.start('attach', labAttachConfig(l, { symbolFiles: [] }));
    const relay = w.relaySocket();
    const loop = stepLoop(w, thread);
    await until(() => loop.steps() >= 200, 60_000, '200 instruction steps');
    const faultAt = Date.now();
    process.kill(l.qemuPid, 'SIGKILL');
    await expectEnd(t, w, faultAt, /gdbstub at unix:\S+ (closed the connection|went away)/);
    t.diagnostic(`${await within(loop.done, BOUND_MS, 'the stepping loop to end')}`);
    assertNothingLeft(w, [relay, dirname(relay)]);
    w.checkAnswers(faultAt);
    t.diagnostic(`closed in ${await w.close()} ms`);
  });

  for (const how of ['memoryMap', 'hv pt'] as const) {
    test(`QEMU killed during a page-table walk (${how})`, PER_TEST, async (t) => {
      const l = await lab(t);
      const w = await session(t);
      const thread = await w.start('attach', labAttachConfig(l, { symbolFiles: [] }));
      const relay = w.relaySocket();
      const before = bytesRead(w.pid);
      const walk =
        how === 'memoryMap'
          ? w.dc.customRequest('hvdbg/memoryMap', { threadId: thread, merge: 'none' })
          : w.dc.evaluateRequest({ expression: 'hv pt', context: 'repl' });
      let answered: string | undefined;
      const settled = walk.then(
        (r) => (answered = `answered: ${JSON.stringify(r.body).slice(0, 300)}`),
        (e: unknown) => (answered = `failed: ${String(e)}`),
      );
      // Tables are 8 KiB of hex each on the wire: the walk is under way after a few of them.
      await until(
        () => bytesRead(w.pid) - before >= 64 * 1024 || answered !== undefined,
        30_000,
        'the walk reading tables',
      );
      assert.equal(answered, undefined, 'the walk was still in flight at the fault');
      const faultAt = Date.now();
      process.kill(l.qemuPid, 'SIGKILL');
      await expectEnd(t, w, faultAt, /gdbstub at unix:\S+ (closed the connection|went away)/);
      await within(settled, BOUND_MS, `the ${how} response`);
      t.diagnostic(`the walk ${answered ?? ''}`);
      assertNothingLeft(w, [relay, dirname(relay)]);
      w.checkAnswers(faultAt);
      t.diagnostic(`closed in ${await w.close()} ms`);
    });
  }

  test('QEMU killed while the guest runs (attach)', PER_TEST, async (t) => {
    const l = await lab(t);
    const w = await session(t);
    await w.start('attach', labAttachConfig(l, { symbolFiles: [] }));
    const relay = w.relaySocket();
    await w.continue();
    const faultAt = Date.now();
    process.kill(l.qemuPid, 'SIGKILL');
    await expectEnd(t, w, faultAt, /gdbstub at unix:\S+ (closed the connection|went away)/);
    assertNothingLeft(w, [relay, dirname(relay)]);
    w.checkAnswers(faultAt);
    t.diagnostic(`closed in ${await w.close()} ms`);
  });

  test('QEMU killed during a physical-memory burst (launch)', PER_TEST, async (t) => {
    const w = await session(t);
    const qemu = await launch(w, manifest);
    const relay = w.relaySocket();
    const before = bytesRead(w.pid);
    const count = 4 * 2 ** 20;
    const reads = [0, 1, 2, 3].map((i) =>
      request<DebugProtocol.ReadMemoryResponse>(w.dc, 'readMemory', {
        memoryReference: 'phys:0x1000000',
        offset: i * count,
        count,
      }),
    );
    const answered: string[] = [];
    const settled = Promise.allSettled(
      reads.map((r) =>
        r.then(
          (a) => answered.push(`answered: ${JSON.stringify({ ...a.body, data: a.body?.data?.length })}`),
          (e: unknown) => answered.push(`failed: ${String(e)}`),
        ),
      ),
    );
    await until(
      () => bytesRead(w.pid) - before >= 2 ** 20 || answered.length > 0,
      30_000,
      'the burst under way',
    );
    assert.deepEqual(answered, [], 'the reads were still in flight at the fault');
    const faultAt = Date.now();
    process.kill(qemu.pid, 'SIGKILL');
    await expectEnd(
      t,
      w,
      faultAt,
      /QEMU was killed by SIGKILL|gdbstub at unix:\S+ (closed the connection|went away)/,
    );
    await within(settled, BOUND_MS, 'the readMemory responses');
    t.diagnostic(answered.join('; '));
    assertNothingLeft(w, [relay, dirname(relay), qemu.socket, dirname(qemu.socket)], qemu.pid);
    w.checkAnswers(faultAt);
    t.diagnostic(`closed in ${await w.close()} ms`);
  });

  test("hvdbg's gdb killed while the guest is stopped (attach)", PER_TEST, async (t) => {
    const l = await lab(t);
    const w = await session(t);
    await w.start('attach', labAttachConfig(l, { symbolFiles: [] }));
    const relay = w.relaySocket();
    const gdb = childProcesses(w.pid).find((p) => p.comm === 'gdb');
    assert.ok(gdb !== undefined, 'the adapter runs gdb');
    const faultAt = Date.now();
    process.kill(gdb.pid, 'SIGKILL');
    await expectEnd(t, w, faultAt, /gdb exited \(killed by SIGKILL\)/);
    assertNothingLeft(w, [relay, dirname(relay)]);
    await stubIsFree(l);
    w.checkAnswers(faultAt);
    t.diagnostic(`closed in ${await w.close()} ms`);
  });

  test("hvdbg's gdb killed while the guest runs (launch)", PER_TEST, async (t) => {
    const w = await session(t);
    const qemu = await launch(w, manifest);
    const relay = w.relaySocket();
    await w.continue();
    const gdb = childProcesses(w.pid).find((p) => p.comm === 'gdb');
    assert.ok(gdb !== undefined, 'the adapter runs gdb');
    const faultAt = Date.now();
    process.kill(gdb.pid, 'SIGKILL');
    await expectEnd(t, w, faultAt, /gdb exited \(killed by SIGKILL\)/);
    assertNothingLeft(w, [relay, dirname(relay), qemu.socket, dirname(qemu.socket)], qemu.pid);
    w.checkAnswers(faultAt);
    t.diagnostic(`closed in ${await w.close()} ms`);
  });

  for (const side of ['QEMU-side', 'adapter-side'] as const) {
    for (const state of ['stopped', 'running'] as const) {
      test(
        `the stub's socket closed by the peer: ${side} connection destroyed while ${state}`,
        PER_TEST,
        async (t) => {
          const l = await lab(t);
          const proxy = await StubProxy.open(l.gdbSocket);
          t.after(() => proxy.close());
          const w = await session(t);
          await w.start('attach', {
            ...labAttachConfig(l, { symbolFiles: [] }),
            target: `unix:${proxy.path}`,
          });
          const relay = w.relaySocket();
          if (state === 'running') await w.continue();
          const faultAt = Date.now();
          (side === 'QEMU-side' ? proxy.upstream : proxy.downstream)?.destroy();
          await expectEnd(t, w, faultAt, /gdbstub at unix:\S+ (closed the connection|went away)/);
          assertNothingLeft(w, [relay, dirname(relay)]);
          await stubIsFree(l);
          w.checkAnswers(faultAt);
          t.diagnostic(`closed in ${await w.close()} ms`);
        },
      );
    }
  }

  test("the relay's private socket removed: gdb is connected, the session goes on", PER_TEST, async (t) => {
    const l = await lab(t);
    const w = await session(t);
    const thread = await w.start('attach', labAttachConfig(l, { symbolFiles: [] }));
    // The kernel still names the relay's socket on the connection gdb made; the file is already gone.
    const relay = w.relaySocket();
    assert.deepEqual(
      unixSockets(w.pid).filter((s) => s.listening),
      [],
      'the adapter listens on no unix socket once gdb is connected',
    );
    assert.equal(existsSync(dirname(relay)), false, `${dirname(relay)} is there after attach`);
    // A temp cleaner removing it takes nothing from the session; nobody can connect through it.
    rmSync(dirname(relay), { recursive: true, force: true });
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection({ path: relay });
      socket.on('connect', () => resolve('connected'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    assert.equal(refused, 'ENOENT');
    const loop = stepLoop(w, thread);
    await until(() => loop.steps() >= 20, 30_000, '20 instruction steps after the removal');
    t.diagnostic(await loop.stop());
    const read = await request<DebugProtocol.ReadMemoryResponse>(w.dc, 'readMemory', {
      memoryReference: 'phys:0x1000000',
      count: 65536,
    });
    assert.equal(Buffer.from(read.body?.data ?? '', 'base64').length, 65536);
    assert.equal(read.body?.unreadableBytes, undefined);
    const map = await w.dc.customRequest('hvdbg/memoryMap', { threadId: thread, merge: 'none' });
    assert.ok((map.body as { ranges: unknown[] }).ranges.length > 100, 'the kernel has a memory map');
    // The session still ends as a user ends it: disconnect, and the adapter exits.
    const closing = w.close();
    t.diagnostic(`closed in ${await closing} ms`);
    assertNothingLeft(w, [relay, dirname(relay)]);
    await stubIsFree(l);
  });

  test(
    'the client vanishes (stdin closed, no disconnect) while the guest runs (launch)',
    PER_TEST,
    async (t) => {
      const w = await session(t);
      const qemu = await launch(w, manifest);
      const relay = w.relaySocket();
      await w.continue();
      const gdb = childProcesses(w.pid).find((p) => p.comm === 'gdb');
      assert.ok(gdb !== undefined, 'the adapter runs gdb');
      const closedAt = Date.now();
      w.adapter.stdin?.end();
      await within(w.exited, BOUND_MS, 'the adapter process to exit when its stdin closes');
      t.diagnostic(`the adapter exited after ${Date.now() - closedAt} ms: ${JSON.stringify(w.exit)}`);
      assert.equal(w.stderr.join(''), '', "the adapter's own stderr");
      // Its exit handler kills them (SIGKILL) and removes the sockets synchronously.
      await until(() => !isAlive(gdb.pid) && !isAlive(qemu.pid), BOUND_MS, 'gdb and QEMU to be gone');
      assertNothingLeft(w, [relay, dirname(relay), qemu.socket, dirname(qemu.socket)], qemu.pid);
    },
  );
});
