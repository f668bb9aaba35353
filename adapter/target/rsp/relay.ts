/**
 * The RSP relay: hvdbg, not gdb, holds the one connection a gdbstub accepts. gdb connects to a private
 * unix socket (in a 0700 directory) and its bytes pass through unchanged; while the guest is stopped and
 * gdb awaits nothing, the adapter may borrow the connection for its own requests — batched physical reads
 * for page-table walks — and gdb never sees those exchanges. The connections live in a worker thread
 * (link.ts, rspWorker.ts) so that gdb's packets never wait on the adapter's own work.
 *
 * Lifetime: the relay connects to the stub first (so a wrong address fails with the OS's own reason),
 * serves exactly one gdb connection, and closes both sides when either goes away.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StubAddress } from '../address';
import type { FromWorker, ToWorker, WorkerInit } from './messages';

/** The adapter asked the stub something while the guest runs: QEMU would stop the guest to listen. */
export class TargetRunningError extends Error {
  override name = 'TargetRunningError';
  constructor() {
    super('the guest is running; pause it to read its memory this way');
  }
}

/** The stub could not be reached, went away, or did not answer the adapter in time. */
export class StubLinkError extends Error {
  override name = 'StubLinkError';
}

/** The stub connection as lent to the adapter between two gdb exchanges. */
export interface StubChannel {
  /**
   * Sends the requests back to back and resolves with their replies in order (unescaped, run-length
   * expanded). An empty reply means the stub does not know the request.
   * @throws StubLinkError when the stub closes or does not answer within the relay's timeout.
   */
  exchange(requests: readonly string[]): Promise<Buffer[]>;
  /**
   * Runs a monitor command (`qRcmd`, QEMU's HMP) and resolves with its output text.
   * @throws StubLinkError as `exchange`; Error when the stub refuses the command.
   */
  monitor(command: string): Promise<string>;
}

/** What the channel knew when it was lent. */
export interface ChannelState {
  /** The last `Qqemu.PhyMemMode` value gdb (the user) set: the adapter puts it back. */
  readonly gdbPhyMemMode: '0' | '1';
}

interface RelayEvents {
  /** The stub or gdb went away; the relay has closed. */
  closed: [reason: string];
}

interface Pending {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

/** How long the adapter's own requests may wait for the stub before the link is declared dead. */
const REPLY_TIMEOUT_MS = 5000;

export class RspRelay extends EventEmitter<RelayEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedReason: string | undefined;

  private constructor(
    private readonly worker: Worker,
    /** The unix socket gdb connects to (`target remote <socketPath>`). */
    readonly socketPath: string,
  ) {
    super();
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.ended(`the relay failed: ${error.message}`));
    worker.on('exit', () => this.ended('the relay stopped'));
  }

  /**
   * Connects to the stub at `address` and listens for gdb.
   * @throws StubLinkError with the OS's reason (connection refused, no such socket), within `timeoutMs`.
   */
  static open(address: StubAddress, timeoutMs: number): Promise<RspRelay> {
    const init: WorkerInit = { address, timeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS };
    // Beside this file in out/, beside dist/adapter.js once bundled (esbuild.mjs builds both).
    const worker = new Worker(join(__dirname, 'rspWorker.js'), { workerData: init });
    return new Promise<RspRelay>((resolve, reject) => {
      const first = (message: FromWorker): void => {
        if (message.t === 'ready') resolve(new RspRelay(worker, message.socketPath));
        else if (message.t === 'open-failed') {
          void worker.terminate();
          reject(new StubLinkError(message.message));
        }
      };
      worker.once('message', first);
      worker.once('error', (error) => reject(new StubLinkError(`the relay failed: ${error.message}`)));
    });
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /**
   * Lends the stub connection to `run` as soon as the guest is stopped and gdb awaits no reply; gdb's
   * bytes wait meanwhile. Jobs run one at a time, in order.
   * @throws TargetRunningError when the guest runs (or is resumed before the turn comes); StubLinkError
   *         when the link is gone.
   */
  async whenIdle<T>(run: (channel: StubChannel, state: ChannelState) => Promise<T>): Promise<T> {
    const state = await this.request<ChannelState>({ t: 'lend', id: this.nextId++ });
    try {
      return await run(
        {
          exchange: (requests) =>
            this.request<Buffer[]>({ t: 'exchange', id: this.nextId++, requests, monitor: false }),
          monitor: (command) => this.monitor(command),
        },
        state,
      );
    } finally {
      this.post({ t: 'return' });
    }
  }

  /** Closes both connections and the socket; idempotent. */
  close(reason = 'the debug session ended'): void {
    if (this.closedReason !== undefined) return;
    this.post({ t: 'close', reason });
    // The worker reports `closed` and is then terminated; do not wait on it for longer than that.
    setTimeout(() => void this.worker.terminate(), 1000).unref();
  }

  private async monitor(command: string): Promise<string> {
    const hex = Buffer.from(command, 'latin1').toString('hex');
    const [reply] = await this.request<Buffer[]>({
      t: 'exchange',
      id: this.nextId++,
      requests: [`qRcmd,${hex}`],
      monitor: true,
    });
    const text = reply?.toString('latin1') ?? '';
    // The output is concatenated before the final reply, which is `OK`, `E..` or empty.
    if (text.endsWith('OK')) return text.slice(0, -2);
    throw new Error(`the gdbstub refused monitor command '${command}' (${text.slice(-3) || 'no reply'})`);
  }

  private request<T>(message: Extract<ToWorker, { id: number }>): Promise<T> {
    if (this.closedReason !== undefined) return Promise.reject(new StubLinkError(this.closedReason));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(message.id, { resolve: resolve, reject });
      this.post(message);
    });
  }

  private post(message: ToWorker): void {
    if (this.closedReason === undefined) this.worker.postMessage(message);
  }

  private settle(id: number, outcome: { value: unknown } | { error: Error }): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    if ('error' in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.value as never);
  }

  private onMessage(message: FromWorker): void {
    switch (message.t) {
      case 'lent':
        this.settle(message.id, { value: { gdbPhyMemMode: message.gdbPhyMemMode } });
        return;
      case 'lend-refused':
        this.settle(message.id, {
          error: message.running ? new TargetRunningError() : new StubLinkError(message.message),
        });
        return;
      case 'replies':
        this.settle(message.id, {
          value: message.replies.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)),
        });
        return;
      case 'exchange-failed':
        this.settle(message.id, { error: new StubLinkError(message.message) });
        return;
      case 'closed':
        this.ended(message.reason);
        void this.worker.terminate();
        return;
      default:
        return;
    }
  }

  private ended(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new StubLinkError(reason));
    }
    this.emit('closed', reason);
  }
}
