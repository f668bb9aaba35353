/**
 * The state built from one trace as its bytes arrive: adapter/vmexits' scanner and aggregator (the
 * statistics `perf kvm stat` gives, in bounded memory), plus what the views need beyond them: the last
 * exits of each CPU and vCPU (rings) and exit counts over time (timeline). One pass over the bytes, no
 * object per line: the scanner's reused record is read directly.
 *
 * Unlike `StatsBuilder`, statistics can be taken at any time (`stats()`) while the trace goes on.
 */
import type { ExitTimeline } from '../protocol/customRequests';
import { type AggregateOptions, Aggregator } from '../vmexits/aggregator';
import { toBig } from '../vmexits/bytes';
import { finishStats } from '../vmexits/finish';
import type { KvmStats } from '../vmexits/kvmStats';
import { RecordScanner } from '../vmexits/parser';
import { ReasonInterner } from '../vmexits/reasonIntern';
import { exitReason } from '../vmexits/reasons';
import { K, type ScanRecord } from '../vmexits/record';
import { LAZY_INFO, readExtendedInfo } from '../vmexits/scanExit';
import { type ExitSlot, RingIndex } from './ring';
import { Timeline, type TimelineOptions } from './timeline';

export interface MonitorOptions {
  /** Exits kept per CPU and per vCPU (default 64). */
  readonly ringSize?: number;
  readonly timeline?: TimelineOptions;
  readonly aggregate?: AggregateOptions;
}

/** Exits of one reason at one RIP. */
export interface RipCount {
  readonly rip: bigint;
  readonly exits: number;
}

/** Pending exits by thread, for their exit-to-entry time; bounded. */
const MAX_PENDING = 4096;

export class TraceMonitor {
  private readonly scanner: RecordScanner;
  private readonly agg: Aggregator;
  readonly byCpu: RingIndex;
  readonly byVcpu: RingIndex;
  private readonly timelineState: Timeline;
  private readonly pending = new Map<number, [ExitSlot, ExitSlot | undefined, number]>();
  bytes = 0;
  /** Bumped by every chunk: lets callers skip work when nothing changed. */
  version = 0;
  private ended = false;

  constructor(options: MonitorOptions = {}) {
    const reasons = new ReasonInterner();
    const agg = new Aggregator({ ...options.aggregate, reasons });
    this.agg = agg;
    const ringSize = options.ringSize ?? 64;
    this.byCpu = new RingIndex(ringSize);
    this.byVcpu = new RingIndex(ringSize);
    this.timelineState = new Timeline(
      options.timeline ?? { mode: 'whole', bucketNs: 10_000_000, maxBuckets: 240 },
    );
    this.scanner = new RecordScanner(
      (rec, b, start, end) => {
        agg.addRecord(rec, b, start, end);
        if (rec.kind === K.exit) this.onExit(rec, b);
        else if (rec.kind === K.entry) this.onEntry(rec);
      },
      { reasons },
    );
  }

  push(chunk: Buffer): void {
    if (this.ended) return;
    this.bytes += chunk.length;
    this.version++;
    this.scanner.push(chunk);
  }

  /** The trace ended: its last line counts even without a newline. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.version++;
    this.scanner.end();
  }

  /** Lines seen so far. */
  get lines(): number {
    return this.scanner.counts.lines;
  }

  /** The statistics so far (exits still waiting for their entry are not samples yet). */
  stats(): KvmStats {
    return finishStats(this.agg);
  }

  timeline(): ExitTimeline {
    return this.timelineState.snapshot();
  }

  /**
   * The RIPs with most exits for each reason (by the names `stats` uses), at most `perReason` each.
   * Exact while the distinct (RIP, reason) pairs fit the aggregator's RIP counter.
   */
  ripsByReason(isa: KvmStats['isa'], perReason: number): Map<string, RipCount[]> {
    const keys = this.agg.reasons.allKeys();
    const names: string[] = [];
    const nameOf = (id: number): string => {
      let name = names[id];
      if (name === undefined) {
        const key = keys[id] ?? this.agg.reasons.overflow;
        name = key.name;
        if (key.isa === 'unknown' && key.code !== null && isa !== 'unknown')
          name = exitReason(isa, key.code)?.name ?? name;
        names[id] = name;
      }
      return name;
    };
    const byReason = new Map<string, Map<bigint, number>>();
    for (const [hi, lo, id, count] of this.agg.rips.entries()) {
      const name = nameOf(id);
      let m = byReason.get(name);
      if (m === undefined) byReason.set(name, (m = new Map<bigint, number>()));
      const rip = toBig(hi, lo);
      m.set(rip, (m.get(rip) ?? 0) + count);
    }
    const out = new Map<string, RipCount[]>();
    for (const [name, m] of byReason) {
      const rows = [...m].map(([rip, exits]) => ({ rip, exits }));
      rows.sort((a, b) => b.exits - a.exits || (a.rip < b.rip ? -1 : 1));
      out.set(name, rows.slice(0, perReason));
    }
    return out;
  }

  /** The last `n` exits recorded on trace CPU `key` (`cpu`) or of KVM vCPU `key` (`vcpu`), oldest first. */
  lastExits(by: 'cpu' | 'vcpu', key: number, n?: number): ExitSlot[] {
    return (by === 'cpu' ? this.byCpu : this.byVcpu).last(key, n);
  }

  private onExit(rec: ScanRecord, line: Buffer): void {
    const reason = rec.reason;
    if (reason === null) return;
    // The aggregator has read the record: the extended layout's info fields can be read now.
    if ((rec.wmask & LAZY_INFO) !== 0) readExtendedInfo(line, rec);
    const a = this.byCpu.ring(rec.cpu)?.claim();
    const b = this.byVcpu.ring(rec.vcpu)?.claim();
    if (a !== undefined) fill(a, rec, reason.key.name);
    if (b !== undefined) fill(b, rec, reason.key.name);
    if (a !== undefined) {
      if (this.pending.size >= MAX_PENDING) this.pending.clear();
      this.pending.set(rec.pid, [a, b, rec.tsNs]);
    }
    this.timelineState.add(rec.tsNs, rec.vcpu);
  }

  private onEntry(rec: ScanRecord): void {
    const p = this.pending.get(rec.pid);
    if (p === undefined) return;
    this.pending.delete(rec.pid);
    const [a, b, ts] = p;
    const d = rec.tsNs - ts;
    if (d < 0) return;
    // A slot reused by a later exit since is left alone.
    if (a.pid === rec.pid && a.tsNs === ts) a.durationNs = d;
    if (b !== undefined && b.pid === rec.pid && b.tsNs === ts) b.durationNs = d;
  }
}

function fill(s: ExitSlot, rec: ScanRecord, reason: string): void {
  s.tsNs = rec.tsNs;
  s.cpu = rec.cpu;
  s.vcpu = rec.vcpu;
  s.pid = rec.pid;
  s.reason = reason;
  s.ripHi = rec.w0h;
  s.ripLo = rec.w0l;
  s.infoMask = (rec.wmask >> 1) & 3;
  s.info1Hi = rec.w1h;
  s.info1Lo = rec.w1l;
  s.info2Hi = rec.w2h;
  s.info2Lo = rec.w2l;
}
