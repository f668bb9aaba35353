/**
 * GdbBackend owns one gdb process speaking GDB/MI 3 and returns typed promises. It is the only module that
 * talks to gdb-js; the MI command families (adapter/gdb/mi/*.ts) build on {@link GdbBackend.mi}.
 *
 * Guarantees: every pending command settles when gdb exits (never a hang), and the process is killed by
 * {@link GdbBackend.dispose} whatever state it is in (never an orphan).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { GdbCommandError, GdbExitedError, GdbNotFoundError, GdbTimeoutError, toGdbError } from './errors';
import { parseMIRecord, wrapGdbProcess, type GdbJs, type RawAsyncRecord } from './gdbjs';
import { quoteMI, type MITuple } from './miValues';
import { record as transcribe } from '../session/transcript';
import { ABORTS_WHILE_RUNNING, RUNNING_MESSAGE, oneLine, readableByGdbJs } from './commandChecks';
import { toStopRecord, type StopRecord } from './stopRecord';

export type { StopRecord } from './stopRecord';

export interface GdbStartOptions {
  /** The gdb executable (a name on PATH or a path). */
  readonly gdbPath: string;
  /** Extra arguments after hvdbg's own (`--interpreter=mi3 --nx -q`). */
  readonly extraArgs?: readonly string[];
  readonly cwd?: string;
}

export interface GdbBackendEvents {
  stopped: [StopRecord];
  running: [threadId: string];
  notify: [RawAsyncRecord];
  output: [text: string, category: 'console' | 'stderr' | 'log' | 'target'];
  exited: [detail: string];
}

/**
 * What an MI command family (adapter/gdb/mi/) needs of gdb: one command, one result. The backend is the
 * live implementation; the in-process tests replay recorded gdb answers through the same port.
 */
export type MiPort = Pick<GdbBackend, 'mi'>;

/** MI commands and CLI lines: what the command families that also need gdb's CLI take. */
export type GdbPort = Pick<GdbBackend, 'mi' | 'console'>;

export class GdbBackend extends EventEmitter<GdbBackendEvents> {
  private readonly gdb: GdbJs;
  private readonly exitedPromise: Promise<never>;
  /**
   * The rejecters of the commands awaiting gdb, called when it exits. (Not a race against
   * `exitedPromise`: each race left a reaction on that promise, which lives as long as gdb, and the
   * reaction held the command's result: every stack, thread list and variable of the session, kept.)
   */
  private readonly exitWaiters = new Set<(error: Error) => void>();
  private exitDetail: string | undefined;
  private consoleCapture: string[] | undefined;
  private consoleQueue: Promise<unknown> = Promise.resolve();
  /** `Date.now()` of the last command sent or answered: lets a heartbeat stay out of the way of real work. */
  lastActivity = Date.now();
  /** Commands sent and not answered yet, and since when gdb has had one (`Date.now()`). */
  private inFlight = 0;
  private busyFrom = 0;
  private idleWaiters: (() => void)[] = [];
  /** The commands of {@link ABORTS_WHILE_RUNNING} sent and not answered: a resume waits for them. */
  private readonly stoppedOnly = new Set<Promise<unknown>>();
  /** The target may be running: a resume was sent or `*running` came, and no `*stopped` since. */
  private targetRunning = false;
  /** `*running` records seen: tells a refused resume from one that ran. */
  private runningRecords = 0;
  private nextToken = 1;
  private readonly tokenWaiters = new Map<
    string,
    { resolve: (t: MITuple) => void; reject: (e: Error) => void }
  >();
  private partialLine = '';
  private readonly forGdbJs = new PassThrough();

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super();
    // gdb-js reads its own copy of gdb's output: its stream library pauses the stream it reads between
    // pulls, and gdb's real stdout must keep flowing for the fast path below.
    child.stdout.on('data', (chunk: Buffer) => {
      const forwarded = this.scanStdout(chunk);
      if (forwarded !== '') this.forGdbJs.write(forwarded);
    });
    child.stdout.on('end', () => this.forGdbJs.end());
    this.gdb = wrapGdbProcess(child, this.forGdbJs);
    this.exitedPromise = new Promise<never>((_resolve, reject) => {
      child.once('exit', (code, signal) => {
        this.exitDetail = signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
        reject(new GdbExitedError(this.exitDetail));
        for (const waiter of this.exitWaiters) waiter(new GdbExitedError(this.exitDetail));
        this.exitWaiters.clear();
        this.emit('exited', this.exitDetail);
      });
    });
    this.exitedPromise.catch(() => undefined);
    // Execution records (`*running`, `*stopped`) and the results of hvdbg's token-tagged execution
    // commands are read straight off gdb's stdout and never reach gdb-js: through gdb-js a step cost
    // 1.3 ms against gdb's own 0.9 ms (bench/attachStep.bench.ts). gdb-js owns every other command, its
    // queue, and the console/log/target/notify streams.
    this.gdb.on('notify', (record) => this.emit('notify', record));
    this.gdb.consoleStream.each((text) => {
      if (this.consoleCapture !== undefined) this.consoleCapture.push(text);
      else this.emit('output', text, 'console');
    });
    this.gdb.logStream.each((text) => this.emit('output', text, 'log'));
    // QEMU's monitor answers (`qRcmd`) arrive as target-stream records: part of the command's output.
    this.gdb.targetStream.each((text) => {
      if (this.consoleCapture !== undefined) this.consoleCapture.push(text);
      else this.emit('output', text, 'target');
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => this.emit('output', text, 'stderr'));
  }

  /** Spawns gdb. Rejects with {@link GdbNotFoundError} when the executable cannot be run. */
  static async start(options: GdbStartOptions): Promise<GdbBackend> {
    const args = ['--interpreter=mi3', '--nx', '-q', ...(options.extraArgs ?? [])];
    const child = spawn(options.gdbPath, args, {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'dumb' },
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(new GdbNotFoundError(options.gdbPath, error.code ?? error.message)),
      );
    });
    return new GdbBackend(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitDetail !== undefined;
  }

  /** Sends one MI command (e.g. `-thread-info`); resolves with the `^done`/`^running` result tuple. */
  async mi(command: string, timeoutMs?: number): Promise<MITuple> {
    if (this.exitDetail !== undefined) throw new GdbExitedError(this.exitDetail);
    oneLine(command);
    if (ABORTS_WHILE_RUNNING.test(command)) {
      // Sent only when gdb awaits nothing (so that no resume queued before it runs first), and only
      // while the target is stopped.
      while (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (this.exitDetail !== undefined) throw new GdbExitedError(this.exitDetail);
      if (this.targetRunning) throw new GdbCommandError(command, RUNNING_MESSAGE);
    }
    const done = this.started();
    const pending = this.gdb.execMI(command).then(
      (data) => data as MITuple,
      (error: unknown) => Promise.reject(toGdbError(command, error)),
    );
    if (ABORTS_WHILE_RUNNING.test(command)) {
      // gdb-js writes it a moment later: a resume sent meanwhile (straight to gdb) must not overtake it.
      const settled = pending.then(
        () => undefined,
        () => undefined,
      );
      this.stoppedOnly.add(settled);
      void settled.then(() => this.stoppedOnly.delete(settled));
    }
    const racers: Promise<MITuple>[] = [this.untilExit(pending)];
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) {
      racers.push(
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new GdbTimeoutError(command, timeoutMs)), timeoutMs);
        }),
      );
    }
    try {
      return await Promise.race(racers);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      done();
    }
  }

  /** `work`'s outcome, or a GdbExitedError as soon as gdb exits. */
  private untilExit<T>(work: Promise<T>): Promise<T> {
    if (this.exitDetail !== undefined) return Promise.reject(new GdbExitedError(this.exitDetail));
    return new Promise<T>((resolve, reject) => {
      this.exitWaiters.add(reject);
      work.then(resolve, reject).finally(() => this.exitWaiters.delete(reject));
    });
  }

  /**
   * How long gdb has been working on a command it has not answered yet (ms), 0 when it awaits none. A
   * long command (a 1 MB expression, a deep backtrace) is no dead stub: the heartbeat waits for it.
   */
  busyFor(now = Date.now()): number {
    return this.inFlight === 0 ? 0 : now - this.busyFrom;
  }

  /** Counts a command in flight; the returned function ends it (once). */
  private started(): () => void {
    this.lastActivity = Date.now();
    if (this.inFlight++ === 0) this.busyFrom = this.lastActivity;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.lastActivity = Date.now();
      if (this.inFlight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    };
  }

  /**
   * gdb stopped the target without a `*stopped` record (it failed to describe the stop: the execution
   * service found every thread stopped): commands that need a stopped target may be sent again.
   */
  noteStoppedWithoutRecord(): void {
    this.targetRunning = false;
  }

  /**
   * Sends an execution command (`-exec-step-instruction --thread 2`) past gdb-js: written straight to
   * gdb with a token, its tagged result read straight off gdb's output and never shown to gdb-js, whose
   * queue (which pairs results with its own commands in order) stays in step. Resolves at `^running`.
   * gdb-js's stream pipeline costs about 0.3 ms a step (bench/attachStep.bench.ts), a third of what
   * gdb's own stepi takes.
   */
  async execute(command: string, timeoutMs = 10000): Promise<void> {
    if (this.exitDetail !== undefined) throw new GdbExitedError(this.exitDetail);
    oneLine(command);
    const resumes = !command.startsWith('-exec-interrupt');
    const wasRunning = this.targetRunning;
    const runs = this.runningRecords;
    // From now on the target may run: a disassembly asked after this would reach gdb after the resume,
    // and one already on its way (gdb-js writes a moment later) goes first.
    if (resumes) this.targetRunning = true;
    if (resumes && this.stoppedOnly.size > 0) await Promise.all([...this.stoppedOnly]);
    if (this.exitDetail !== undefined) throw new GdbExitedError(this.exitDetail);
    const done = this.started();
    const token = String(this.nextToken++);
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<MITuple>((resolve, reject) => {
      this.tokenWaiters.set(token, { resolve, reject });
      timer = setTimeout(() => reject(new GdbTimeoutError(command, timeoutMs)), timeoutMs);
    });
    transcribe('mi>', `${token}${command}`);
    this.child.stdin.write(`${token}${command}\n`);
    try {
      await this.untilExit(answered);
    } catch (error) {
      // Refused (`^error`): the target is as it was, unless it ran meanwhile.
      if (resumes && this.runningRecords === runs) this.targetRunning = wasRunning;
      throw error;
    } finally {
      clearTimeout(timer);
      this.tokenWaiters.delete(token);
      done();
    }
  }

  /**
   * Reads gdb's output lines: handles execution records and tagged results at once, and returns the
   * text gdb-js still needs (results, stream and notify records; not the execution records it would
   * only parse again, nor the `(gdb)` prompts).
   */
  private scanStdout(chunk: Buffer): string {
    const text = this.partialLine + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partialLine = lines.pop() ?? '';
    let forward = '';
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      transcribe('mi<', line);
      if (line.startsWith('*running')) {
        this.targetRunning = true;
        this.runningRecords++;
        // Only the thread matters here; no need for the full parser on every step.
        const thread = /thread-id="([^"]*)"/.exec(line)?.[1] ?? 'all';
        this.emit('running', thread);
        continue;
      }
      if (line.startsWith('*')) {
        let record: ReturnType<typeof parseMIRecord>;
        try {
          record = parseMIRecord(line);
        } catch {
          // Unreadable (see readableByGdbJs): a stop is still a stop, described as unknown.
          record = line.startsWith('*stopped') ? { state: 'stopped', data: {} } : {};
        }
        this.onExec({ state: record.state ?? '', data: record.data ?? {} });
        continue;
      }
      if (line.startsWith('(gdb)')) continue;
      // Only hvdbg's own commands carry tokens (see execute): their results are not gdb-js's.
      const tagged = /^(\d+)\^(done|running|connected|error|exit)/.exec(line);
      if (tagged === null) {
        const readable = readableByGdbJs(line);
        if (readable !== undefined) forward += `${readable}\n`;
        continue;
      }
      const waiter = tagged[1] === undefined ? undefined : this.tokenWaiters.get(tagged[1]);
      if (waiter === undefined) continue;
      const record = parseMIRecord(line);
      if (tagged[2] === 'error') {
        const message = record.data?.['msg'];
        waiter.reject(new GdbCommandError(line, typeof message === 'string' ? message : line));
      } else {
        waiter.resolve((record.data ?? {}) as MITuple);
      }
    }
    return forward;
  }

  /**
   * Runs a gdb CLI command (what a user types at `(gdb)`) and returns what it printed. Commands that
   * resume the target return at once; their stop arrives as a `stopped` event.
   */
  console(command: string, timeoutMs?: number): Promise<string> {
    // One console command at a time, so that each one's output is captured apart from the others'.
    const run = async (): Promise<string> => {
      const captured: string[] = [];
      this.consoleCapture = captured;
      try {
        await this.mi(`-interpreter-exec console ${quoteMI(command)}`, timeoutMs);
        return captured.join('');
      } finally {
        this.consoleCapture = undefined;
      }
    };
    const result = this.consoleQueue.then(run, run);
    this.consoleQueue = result.catch(() => undefined);
    return result;
  }

  /** Asks gdb to exit, then kills it if it has not within `graceMs`. Safe to call more than once. */
  async dispose(graceMs = 1000): Promise<void> {
    if (this.exitDetail !== undefined) return;
    const exited = this.exitedPromise.catch(() => undefined);
    this.child.stdin.write('-gdb-exit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills gdb at once (SIGKILL). */
  kill(): void {
    if (this.exitDetail === undefined) this.child.kill('SIGKILL');
  }

  /** Kills gdb and resolves once it has exited. */
  async killAndWait(): Promise<void> {
    if (this.exitDetail !== undefined) return;
    const exited = this.exitedPromise.catch(() => undefined);
    this.child.kill('SIGKILL');
    await exited;
  }

  private onExec(record: RawAsyncRecord): void {
    const data = record.data as MITuple;
    if (record.state === 'running') {
      this.targetRunning = true;
      this.runningRecords++;
      const thread = data['thread-id'];
      this.emit('running', typeof thread === 'string' ? thread : 'all');
      return;
    }
    if (record.state !== 'stopped') return;
    this.targetRunning = false;
    this.emit('stopped', toStopRecord(data));
  }
}
