/**
 * Builds `KvmStats` from scanner records (`addRecord`, the fast path: no per-line objects) or,
 * through `addEvent` in aggregate.ts, from `TraceEvent`s.
 * Memory is bounded by the options, not by the trace's length: reasons by the interner's
 * `maxKeys`, threads by `maxThreads`, vCPUs by `maxVcpus`, RIPs by `ripCapacity`.
 */
import { printable } from './bytes';
import { DurationStats } from './durationStats';
import type { UnparsedLine } from './events';
import type { ExitIsa } from './reasonTypes';
import type { KvmStats } from './kvmStats';
import { finishStats, type Totals, type VcpuAcc } from './finish';

export type { VcpuAcc } from './finish';
import type { DropCounts } from './pairing';
import { ThreadTable } from './threadTable';
import { ReasonInterner } from './reasonIntern';
import { K, type ScanRecord } from './record';
import { RipCounter } from './ripCounter';

export interface AggregateOptions {
  /** Pending exits/entries kept per thread for out-of-order lines (default 16). */
  readonly window?: number;
  /** Threads with pairing state kept at once (default 65536); the oldest is dropped past it. */
  readonly maxThreads?: number;
  /** vCPUs with their own rows (default 4096); further ones are counted under -1. */
  readonly maxVcpus?: number;
  /** Distinct (RIP, reason) counters (default 4096). */
  readonly ripCapacity?: number;
  /** Unparsed lines kept as samples (default 20). */
  readonly unparsedSamples?: number;
  /** Interner shared with the scanner feeding `addRecord`. */
  readonly reasons?: ReasonInterner;
}

const KIND_NAMES: Readonly<Record<number, string>> = {
  [K.hypercall]: 'hypercall',
  [K.pio]: 'pio',
  [K.mmio]: 'mmio',
  [K.msr]: 'msr',
  [K.cr]: 'cr',
  [K.pageFault]: 'page_fault',
  [K.userspaceExit]: 'userspace_exit',
  [K.other]: 'other',
};

export class Aggregator implements Totals {
  readonly reasons: ReasonInterner;
  readonly vcpus = new Map<number, VcpuAcc>();
  readonly rips: RipCounter;
  readonly drops: DropCounts = { unpairedExits: 0, orphanEntries: 0 };
  readonly isaExits = { vmx: 0, svm: 0 };
  readonly counts = {
    lines: 0,
    events: 0,
    unparsed: 0,
    skipped: 0,
    lostMarkers: 0,
    lostEvents: 0,
    lostUnknown: 0,
  };
  readonly eventCounts: Record<string, number> = {};
  readonly unparsedSamples: UnparsedLine[] = [];
  outOfOrder = 0;
  private readonly threads: ThreadTable;
  /** `vcpus` for ids -1..254, by id + 1. */
  private readonly vcpuFast: VcpuAcc[] = [];
  private lastTs = -Infinity;
  private readonly maxVcpus: number;
  private readonly maxSamples: number;
  private readonly sink: (reasonId: number, ns: number, vcpu: number) => void;

  constructor(options: AggregateOptions = {}) {
    this.reasons = options.reasons ?? new ReasonInterner();
    this.threads = new ThreadTable(options.window ?? 16, options.maxThreads ?? 65536, this.drops);
    this.maxVcpus = options.maxVcpus ?? 4096;
    this.maxSamples = options.unparsedSamples ?? 20;
    this.rips = new RipCounter(options.ripCapacity ?? 4096);
    // Only per-vCPU accumulators are kept; `finish` merges them for the totals.
    this.sink = (id, ns, vcpu) => {
      (this.vcpu(vcpu).stats[id] ??= new DurationStats()).add(ns);
    };
  }

  /** Adds one scanned line; `b[start, end)` is the line (used only for unparsed samples). */
  addRecord(rec: ScanRecord, b: Buffer, start: number, end: number): void {
    const k = rec.kind;
    if (k === K.exit) {
      const r = rec.reason;
      if (r !== null) this.exit(rec.pid, rec.tsNs, r.key.id, r.key.isa, rec.vcpu, rec.w0h, rec.w0l);
    } else if (k === K.entry) {
      this.entry(rec.pid, rec.tsNs, rec.vcpu);
    } else if (k >= K.other) {
      this.other(KIND_NAMES[k] ?? 'other', rec.tsNs);
    } else if (k === K.unparsed) {
      if (this.unparsed()) {
        this.unparsedSamples.push({
          kind: 'unparsed',
          lineNo: rec.lineNo,
          text: printable(b, start, end),
          why: rec.why,
        });
      }
    } else if (k === K.lost) {
      this.lost(rec.n0 < 0 ? null : rec.n0);
    } else {
      this.counts.lines++;
      this.counts.skipped++;
    }
  }

  /** Ends the trace: flushes pending exits/entries and builds the statistics. Call once. */
  finish(): KvmStats {
    this.threads.flushAll();
    return finishStats(this);
  }

  /** Threads whose pairing state was dropped to stay within `maxThreads`. */
  get threadsEvicted(): number {
    return this.threads.evicted;
  }

  /** The accumulators of `vcpu` (vCPUs past `maxVcpus` share -1's). */
  vcpu(vcpu: number): VcpuAcc {
    const fast = this.vcpuFast[vcpu + 1];
    if (fast !== undefined) return fast;
    let v = this.vcpus.get(vcpu);
    if (v === undefined) {
      if (this.vcpus.size >= this.maxVcpus && vcpu !== -1) return this.vcpu(-1);
      v = { stats: [], exits: [] };
      this.vcpus.set(vcpu, v);
      if (vcpu < 255) this.vcpuFast[vcpu + 1] = v;
    }
    return v;
  }

  /** A `kvm_exit` of thread `pid` with reason key `id`, guest RIP `hi:lo` (u32 halves). */
  exit(pid: number, ts: number, id: number, isa: ExitIsa, vcpu: number, hi: number, lo: number): void {
    this.event(ts);
    const t = this.threads.get(pid);
    if (isa === 'vmx') this.isaExits.vmx++;
    else if (isa === 'svm') this.isaExits.svm++;
    const v = this.vcpu(vcpu >= 0 ? vcpu : t.lastVcpu);
    v.exits[id] = (v.exits[id] ?? 0) + 1;
    this.rips.add(hi, lo, id);
    t.exit(ts, id, vcpu, this.sink, this.drops);
  }

  /** A `kvm_entry` of thread `pid`. */
  entry(pid: number, ts: number, vcpu: number): void {
    this.event(ts);
    this.threads.get(pid).entry(ts, vcpu, this.sink, this.drops);
  }

  /** Another decoded event. */
  other(kind: string, ts: number): void {
    this.event(ts);
    this.eventCounts[kind] = (this.eventCounts[kind] ?? 0) + 1;
  }

  /** Counts an unparsed line; true when its sample should be kept. */
  unparsed(): boolean {
    this.counts.lines++;
    this.counts.unparsed++;
    return this.unparsedSamples.length < this.maxSamples;
  }

  lost(count: number | null): void {
    const c = this.counts;
    c.lines++;
    c.lostMarkers++;
    if (count === null) c.lostUnknown++;
    else c.lostEvents += count;
  }

  private event(ts: number): void {
    this.counts.lines++;
    this.counts.events++;
    if (ts < this.lastTs) this.outOfOrder++;
    else this.lastTs = ts;
  }
}
