/**
 * The RSP relay: hvdbg, not gdb, holds the one connection a gdbstub accepts. gdb connects to a private
 * unix socket (in a 0700 directory) and its bytes pass through unchanged (link.ts); while the guest is
 * stopped and gdb awaits nothing, the adapter may borrow the connection for its own requests — batched
 * physical reads for page-table walks — and gdb never sees those exchanges.
 *
 * The link runs on the adapter's own thread: measured on the lab, a worker thread cost more per packet
 * (thread wake-ups, message copies) than it saved, both for gdb's single steps and for page walks.
 *
 * Lifetime: the relay connects to the stub first (so a wrong address fails with the OS's own reason),
 * serves exactly one gdb connection (its socket and directory are removed once gdb is connected), and
 * closes both sides when either goes away, with a `closed` event naming which.
 */
import { EventEmitter } from 'node:events';
import type { StubAddress } from '../address';
import { StubLink } from './link';

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

/** How long the adapter's own requests may wait for the stub before the link is declared dead. */
const REPLY_TIMEOUT_MS = 5000;

export class RspRelay extends EventEmitter<RelayEvents> {
  private closedReason: string | undefined;
  private link!: StubLink;

  private constructor() {
    super();
  }

  /**
   * Connects to the stub at `address` and listens for gdb.
   * @throws StubLinkError with the OS's reason (connection refused, no such socket), within `timeoutMs`.
   */
  static async open(address: StubAddress, timeoutMs: number): Promise<RspRelay> {
    const relay = new RspRelay();
    try {
      relay.link = await StubLink.open(address, timeoutMs, REPLY_TIMEOUT_MS, {
        closed: (reason) => relay.ended(reason),
      });
    } catch (error) {
      throw new StubLinkError(error instanceof Error ? error.message : String(error));
    }
    return relay;
  }

  /** The unix socket gdb connects to (`target remote <socketPath>`). */
  get socketPath(): string {
    return this.link.socketPath;
  }

  /** The link is closed (the `closed` event may still be on its way). */
  get closed(): boolean {
    return this.link.closed !== undefined;
  }

  /** How many of gdb's requests the relay answered itself (repeats within a stop). */
  get localAnswers(): number {
    return this.link.cache.hits;
  }

  /**
   * Lends the stub connection to `run` as soon as the guest is stopped and gdb awaits no reply; gdb's
   * bytes wait meanwhile. Jobs run one at a time, in order.
   * @throws TargetRunningError when the guest runs (or is resumed before the turn comes); StubLinkError
   *         when the link is gone (or closes before the turn comes).
   */
  async whenIdle<T>(run: (channel: StubChannel, state: ChannelState) => Promise<T>): Promise<T> {
    const link = this.link;
    if (link.closed !== undefined) throw new StubLinkError(link.closed);
    if (!link.stopped) throw new TargetRunningError();
    await new Promise<void>((resolve, reject) => {
      link.lend(resolve, () =>
        reject(link.closed !== undefined ? new StubLinkError(link.closed) : new TargetRunningError()),
      );
    });
    try {
      return await run(
        {
          exchange: (requests) => this.exchange(requests, false),
          monitor: (command) => this.monitor(command),
        },
        { gdbPhyMemMode: link.gdbPhyMemMode },
      );
    } finally {
      link.giveBack();
    }
  }

  /** Closes both connections and the socket; idempotent. */
  close(reason = 'the debug session ended'): void {
    this.link.close(reason);
  }

  private async exchange(requests: readonly string[], monitor: boolean): Promise<Buffer[]> {
    try {
      return await this.link.exchange(requests, monitor);
    } catch (error) {
      throw new StubLinkError(error instanceof Error ? error.message : String(error));
    }
  }

  private async monitor(command: string): Promise<string> {
    const hex = Buffer.from(command, 'latin1').toString('hex');
    const [reply] = await this.exchange([`qRcmd,${hex}`], true);
    const text = reply?.toString('latin1') ?? '';
    // The output is concatenated before the final reply, which is `OK`, `E..` or empty.
    if (text.endsWith('OK')) return text.slice(0, -2);
    throw new Error(`the gdbstub refused monitor command '${command}' (${text.slice(-3) || 'no reply'})`);
  }

  private ended(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.emit('closed', reason);
  }
}
