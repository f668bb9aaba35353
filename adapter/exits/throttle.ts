/**
 * Coalesces bursts of "something changed" into at most one call per interval: the first change after a
 * quiet period is delivered at once, later ones in the same interval are folded into one trailing call.
 * So a trace at 100,000 events/s still produces at most 1000/intervalMs snapshots a second.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Throttle {
  private last = -Infinity;
  private timer: unknown;
  private disposed = false;

  constructor(
    private readonly fn: () => void,
    readonly intervalMs: number,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Something changed: `fn` runs now, or once at the end of the current interval. */
  poke(): void {
    if (this.disposed || this.timer !== undefined) return;
    const wait = this.last + this.intervalMs - this.timers.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
  }

  /** Runs a pending call now. */
  flush(): void {
    if (this.timer === undefined) return;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.fire();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    if (this.disposed) return;
    this.last = this.timers.now();
    this.fn();
  }
}
