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

export interface GdbStartOptions {
  /** The gdb executable (a name on PATH or a path). */
  readonly gdbPath: string;
  /** Extra arguments after hvdbg's own (`--interpreter=mi3 --nx -q`). */
  readonly extraArgs?: readonly string[];
  readonly cwd?: string;
}

/** `*stopped`, typed. See the GDB manual, "GDB/MI Async Records". */
export interface StopRecord {
  readonly reason: string;
  readonly threadId: number | undefined;
  readonly breakpointNumber: number | undefined;
  readonly signalName: string | undefined;
  readonly raw: MITuple;
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

/**
 * An MI command is one line: gdb would run what follows a newline as a command of its own (`-gdb-exit`).
 * Arguments are quoted (quoteMI) or checked where requests enter; this catches what slipped through, as
 * hvdbg's own bug, before gdb sees it.
 */
function oneLine(command: string): void {
  if (/[\r\n]/.test(command))
    throw new Error(
      `an MI command with a line break was not sent to gdb: ${JSON.stringify(command.slice(0, 200))}`,
    );
}

export class GdbBackend extends EventEmitter<GdbBackendEvents> {
  private readonly gdb: GdbJs;
  private readonly exitedPromise: Promise<never>;
  private exitDetail: string | undefined;
  private consoleCapture: string[] | undefined;
  private consoleQueue: Promise<unknown> = Promise.resolve();
  /** `Date.now()` of the last command sent: lets a heartbeat stay out of the way of real work. */
  lastActivity = Date.now();
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
    this.lastActivity = Date.now();
    const pending = this.gdb.execMI(command).then(
      (data) => data as MITuple,
      (error: unknown) => Promise.reject(toGdbError(command, error)),
    );
    const racers: Promise<MITuple>[] = [pending, this.exitedPromise];
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
    }
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
    this.lastActivity = Date.now();
    const token = String(this.nextToken++);
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<MITuple>((resolve, reject) => {
      this.tokenWaiters.set(token, { resolve, reject });
      timer = setTimeout(() => reject(new GdbTimeoutError(command, timeoutMs)), timeoutMs);
    });
    transcribe('mi>', `${token}${command}`);
    this.child.stdin.write(`${token}${command}\n`);
    try {
      await Promise.race([answered, this.exitedPromise]);
    } finally {
      clearTimeout(timer);
      this.tokenWaiters.delete(token);
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
        // Only the thread matters here; no need for the full parser on every step.
        const thread = /thread-id="([^"]*)"/.exec(line)?.[1] ?? 'all';
        this.emit('running', thread);
        continue;
      }
      if (line.startsWith('*')) {
        const record = parseMIRecord(line);
        this.onExec({ state: record.state ?? '', data: record.data ?? {} });
        continue;
      }
      if (line.startsWith('(gdb)')) continue;
      // Only hvdbg's own commands carry tokens (see execute): their results are not gdb-js's.
      const tagged = /^(\d+)\^(done|running|connected|error|exit)/.exec(line);
      if (tagged === null) {
        forward += `${line}\n`;
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
      const thread = data['thread-id'];
      this.emit('running', typeof thread === 'string' ? thread : 'all');
      return;
    }
    if (record.state !== 'stopped') return;
    const num = (key: string): number | undefined => {
      const value = data[key];
      return typeof value === 'string' ? Number.parseInt(value, 10) : undefined;
    };
    const reason = data['reason'];
    const signal = data['signal-name'];
    this.emit('stopped', {
      reason: typeof reason === 'string' ? reason : 'unknown',
      threadId: num('thread-id'),
      breakpointNumber: num('bkptno'),
      signalName: typeof signal === 'string' ? signal : undefined,
      raw: data,
    });
  }
}
