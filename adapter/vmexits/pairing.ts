/**
 * Pairs each thread's `kvm_exit` with the `kvm_entry` that follows it in time, as `perf kvm stat`
 * does per thread (builtin-kvm.c `handle_begin_event`/`handle_end_event`: an exit starts a record,
 * the next entry ends it; an entry without a preceding exit is ignored; a second exit replaces the
 * first). Unlike perf, which sorts the whole trace first, this keeps only a small window per thread:
 * events are inserted in timestamp order into at most `window` pending slots, so lines that arrive
 * out of order (per-CPU buffers read by `trace_pipe`, a vCPU thread migrating between CPUs between
 * exit and entry) still pair, with bounded memory. Slots pushed out of the window are counted.
 */

/** Receives a pair: the exit's reason id, its time to the entry (ns), and the vCPU. */
export type PairSink = (reasonId: number, ns: number, vcpu: number) => void;

const EXIT = 0;
const ENTRY = 1;
const F = 4; // fields per slot: ts, type, reasonId, vcpu

export class ThreadPairing {
  private readonly buf: Float64Array;
  private n = 0;
  /** vCPU id from this thread's last `kvm_entry`, or -1. */
  lastVcpu = -1;

  constructor(private readonly window: number) {
    this.buf = new Float64Array(window * F + F);
  }

  /** Pending slots. */
  get pending(): number {
    return this.n;
  }

  exit(ts: number, reasonId: number, vcpu: number, out: PairSink, dropped: DropCounts): void {
    this.insert(ts, EXIT, reasonId, vcpu, out, dropped);
  }

  entry(ts: number, vcpu: number, out: PairSink, dropped: DropCounts): void {
    if (vcpu >= 0) this.lastVcpu = vcpu;
    this.insert(ts, ENTRY, -1, vcpu, out, dropped);
  }

  /** Drops every pending slot, counting unpaired exits and orphan entries. */
  flush(dropped: DropCounts): void {
    const b = this.buf;
    for (let i = 0; i < this.n; i++) {
      if (b[i * F + 1] === EXIT) dropped.unpairedExits++;
      else dropped.orphanEntries++;
    }
    this.n = 0;
  }

  private insert(
    ts: number,
    type: number,
    reasonId: number,
    vcpu: number,
    out: PairSink,
    dropped: DropCounts,
  ): void {
    const b = this.buf;
    let pos = this.n;
    while (pos > 0 && (b[(pos - 1) * F] as number) > ts) pos--;
    if (pos < this.n) b.copyWithin((pos + 1) * F, pos * F, this.n * F);
    const o = pos * F;
    b[o] = ts;
    b[o + 1] = type;
    b[o + 2] = reasonId;
    b[o + 3] = vcpu;
    this.n++;
    // Pair adjacent exit→entry around the new slot, repeating as removals join neighbours.
    let i = pos > 0 ? pos - 1 : 0;
    while (i + 1 < this.n) {
      const a = i * F;
      if (b[a + 1] === EXIT && b[a + F + 1] === ENTRY) {
        const ev = b[a + F + 3] as number;
        const xv = b[a + 3] as number;
        out(
          b[a + 2] as number,
          (b[a + F] as number) - (b[a] as number),
          ev >= 0 ? ev : xv >= 0 ? xv : this.lastVcpu,
        );
        b.copyWithin(a, a + 2 * F, this.n * F);
        this.n -= 2;
        if (i > 0) i--;
      } else if (i >= pos) {
        break;
      } else {
        i++;
      }
    }
    while (this.n > this.window) {
      if (b[1] === EXIT) dropped.unpairedExits++;
      else dropped.orphanEntries++;
      b.copyWithin(0, F, this.n * F);
      this.n--;
    }
  }
}

/** Events that could not be paired. */
export interface DropCounts {
  /** Exits with no later entry on the same thread (lost events, end of trace). */
  unpairedExits: number;
  /** Entries with no earlier exit on the same thread (start of trace, lost events). */
  orphanEntries: number;
}
