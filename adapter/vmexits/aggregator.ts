/**
 * Builds `KvmStats` from scanner records (fast path, no per-line objects) or from `TraceEvent`s.
 * Memory is bounded by the options, not by the trace's length: reasons by the interner's
 * `maxKeys`, threads by `maxThreads`, vCPUs by `maxVcpus`, RIPs by `ripCapacity`.
 */
import { printable } from './bytes';
import { DurationStats } from './duration-stats';
import type { TraceEvent, UnparsedLine } from './events';
import type { KvmStats } from './kvm-stats';
import { finishStats } from './finish';
import { type DropCounts, ThreadPairing } from './pairing';
import { ReasonInterner } from './reason-intern';
import { exitReason } from './reasons';
import { K, type ScanRecord } from './record';
import { RipCounter } from './rip-counter';

export interface AggregateOptions {
  /** Pending exits/entries kept per thread for out-of-order lines (default 16). */
  readonly window?: number;
  readonly maxThreads?: number;
  readonly maxVcpus?: number;
  /** Distinct (RIP, reason) counters (default 4096). */
  readonly ripCapacity?: number;
  /** Unparsed lines kept as samples (default 20). */
  readonly unparsedSamples?: number;
  /** Interner shared with the scanner feeding `addRecord`. */
  readonly reasons?: ReasonInterner;
}

/** Per-vCPU accumulators, indexed by reason id. */
export interface VcpuAcc {
  readonly stats: (DurationStats | undefined)[];
  readonly exits: number[];
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

export class Aggregator {
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
  threadsEvicted = 0;
  private readonly threads = new Map<number, ThreadPairing>();
  /** `vcpus` for ids -1..254, by id + 1. */
  private readonly vcpuFast: VcpuAcc[] = [];
  private lastPid = -2;
  private lastThread: ThreadPairing | null = null;
  private lastTs = -Infinity;
  private readonly window: number;
  private readonly maxThreads: number;
  private readonly maxVcpus: number;
  private readonly maxSamples: number;
  private readonly sink: (reasonId: number, ns: number, vcpu: number) => void;

  constructor(options: AggregateOptions = {}) {
    this.reasons = options.reasons ?? new ReasonInterner();
    this.window = options.window ?? 16;
    this.maxThreads = options.maxThreads ?? 65536;
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
    const c = this.counts;
    c.lines++;
    const k = rec.kind;
    if (k === K.exit || k === K.entry) {
      c.events++;
      this.time(rec.tsNs);
      const t = this.thread(rec.pid);
      if (k === K.entry) {
        t.entry(rec.tsNs, rec.vcpu, this.sink, this.drops);
        return;
      }
      const r = rec.reason;
      if (r === null) return;
      this.exit(t, rec.tsNs, r.key.id, r.key.isa, rec.vcpu, rec.w0h, rec.w0l);
    } else if (k >= K.other) {
      c.events++;
      this.time(rec.tsNs);
      const name = KIND_NAMES[k] ?? 'other';
      this.eventCounts[name] = (this.eventCounts[name] ?? 0) + 1;
    } else if (k === K.unparsed) {
      c.unparsed++;
      if (this.unparsedSamples.length < this.maxSamples) {
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
      c.skipped++;
    }
  }

  /** Adds one event (for events built elsewhere, e.g. by `TraceParser`). */
  addEvent(ev: TraceEvent): void {
    const c = this.counts;
    c.lines++;
    switch (ev.kind) {
      case 'unparsed':
        c.unparsed++;
        if (this.unparsedSamples.length < this.maxSamples) this.unparsedSamples.push(ev);
        return;
      case 'lost':
        this.lost(ev.count);
        return;
      case 'exit': {
        c.events++;
        this.time(ev.tsNs);
        const info = ev.isa !== 'unknown' && ev.code !== null ? (exitReason(ev.isa, ev.code) ?? null) : null;
        const key = this.reasons.key(ev.reason, ev.isa, ev.code, info);
        const hi = Number((ev.rip >> 32n) & 0xffffffffn);
        const lo = Number(ev.rip & 0xffffffffn);
        this.exit(this.thread(ev.pid), ev.tsNs, key.id, key.isa, ev.vcpu ?? -1, hi, lo);
        return;
      }
      case 'entry':
        c.events++;
        this.time(ev.tsNs);
        this.thread(ev.pid).entry(ev.tsNs, ev.vcpu, this.sink, this.drops);
        return;
      default:
        c.events++;
        this.time(ev.tsNs);
        this.eventCounts[ev.kind] = (this.eventCounts[ev.kind] ?? 0) + 1;
    }
  }

  /** Counts a blank, comment or header line (for callers feeding events, which have none). */
  addSkipped(n = 1): void {
    this.counts.lines += n;
    this.counts.skipped += n;
  }

  /** Ends the trace: flushes pending exits/entries and builds the statistics. Call once. */
  finish(): KvmStats {
    for (const t of this.threads.values()) t.flush(this.drops);
    this.threads.clear();
    this.lastThread = null;
    return finishStats(this);
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

  private exit(
    t: ThreadPairing,
    ts: number,
    id: number,
    isa: string,
    vcpu: number,
    hi: number,
    lo: number,
  ): void {
    if (isa === 'vmx') this.isaExits.vmx++;
    else if (isa === 'svm') this.isaExits.svm++;
    const v = this.vcpu(vcpu >= 0 ? vcpu : t.lastVcpu);
    v.exits[id] = (v.exits[id] ?? 0) + 1;
    this.rips.add(hi, lo, id);
    t.exit(ts, id, vcpu, this.sink, this.drops);
  }

  private lost(count: number | null): void {
    this.counts.lostMarkers++;
    if (count === null) this.counts.lostUnknown++;
    else this.counts.lostEvents += count;
  }

  private time(ts: number): void {
    if (ts < this.lastTs) this.outOfOrder++;
    else this.lastTs = ts;
  }

  private thread(pid: number): ThreadPairing {
    if (pid === this.lastPid && this.lastThread !== null) return this.lastThread;
    let t = this.threads.get(pid);
    if (t === undefined) {
      if (this.threads.size >= this.maxThreads) {
        const [oldPid, old] = this.threads.entries().next().value as [number, ThreadPairing];
        old.flush(this.drops);
        this.threads.delete(oldPid);
        if (oldPid === this.lastPid) this.lastThread = null;
        this.threadsEvicted++;
      }
      t = new ThreadPairing(this.window);
      this.threads.set(pid, t);
    }
    this.lastPid = pid;
    this.lastThread = t;
    return t;
  }
}
