/**
 * The per-thread pairing states of a trace, bounded: past `maxThreads` live threads, the oldest
 * thread's state is flushed (its pending exits and entries counted as unpaired) and dropped.
 * Consecutive lines usually come from the same thread, so the last lookup is cached.
 */
import { type DropCounts, ThreadPairing } from './pairing';

export class ThreadTable {
  private readonly threads = new Map<number, ThreadPairing>();
  private lastPid = -2;
  private last: ThreadPairing | null = null;
  /** Threads dropped to stay within `maxThreads`. */
  evicted = 0;

  constructor(
    private readonly window: number,
    private readonly maxThreads: number,
    private readonly drops: DropCounts,
  ) {
    if (!(window >= 1 && maxThreads >= 1)) throw new RangeError('window and maxThreads must be at least 1');
  }

  /** The state of thread `pid`, created (and another evicted when full) if new. */
  get(pid: number): ThreadPairing {
    if (pid === this.lastPid && this.last !== null) return this.last;
    let t = this.threads.get(pid);
    if (t === undefined) {
      if (this.threads.size >= this.maxThreads) {
        const [oldPid, old] = this.threads.entries().next().value as [number, ThreadPairing];
        old.flush(this.drops);
        this.threads.delete(oldPid);
        this.evicted++;
      }
      t = new ThreadPairing(this.window);
      this.threads.set(pid, t);
    }
    this.lastPid = pid;
    this.last = t;
    return t;
  }

  /** Flushes every thread (end of trace) and forgets them. */
  flushAll(): void {
    for (const t of this.threads.values()) t.flush(this.drops);
    this.threads.clear();
    this.last = null;
    this.lastPid = -2;
  }
}
