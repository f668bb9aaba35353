/**
 * The statistics `aggregate` produces: what `perf kvm stat report` shows (per exit reason: samples,
 * samples %, time %, min, max and mean exit-to-entry time, relative error of the mean), overall and
 * per vCPU, plus the guest RIPs that cause the most exits and what could not be used.
 * Times are nanoseconds.
 */
import { DurationStats } from './durationStats';
import type { UnparsedLine } from './events';
import type { ExitIsa } from './reasonTypes';

export interface ReasonStats {
  /** Canonical reason name (KVM's spelling), or the printed text for reasons not in the tables. */
  readonly name: string;
  readonly isa: ExitIsa;
  readonly code: number | null;
  /** The manual's description, when the reason is in the tables. */
  readonly description: string | null;
  /** Exits paired with the thread's next entry: perf's "Samples". */
  readonly samples: number;
  /** Every `kvm_exit` with this reason, paired or not. */
  readonly exits: number;
  readonly totalNs: number;
  /** 0 when there are no samples. */
  readonly minNs: number;
  readonly maxNs: number;
  readonly meanNs: number;
  /** perf's `( +- x% )`: standard error of the mean over the mean, percent. */
  readonly relStddevPct: number;
}

export interface VcpuStats {
  /** vCPU id; -1 collects exits whose vCPU no line gave. */
  readonly vcpu: number;
  readonly samples: number;
  readonly exits: number;
  readonly totalNs: number;
  /** Sorted by samples, then exits, descending. */
  readonly reasons: readonly ReasonStats[];
}

export interface RipStats {
  readonly rip: bigint;
  readonly exits: number;
  /** Exits at this RIP by reason, most first. */
  readonly reasons: readonly { readonly name: string; readonly exits: number }[];
}

export interface Diagnostics {
  readonly lines: number;
  readonly events: number;
  readonly unparsed: number;
  /** Blank, comment and header lines. */
  readonly skipped: number;
  /** Lost-event markers seen, events they report lost, and markers without a count. */
  readonly lostMarkers: number;
  readonly lostEvents: number;
  readonly lostUnknown: number;
  readonly unpairedExits: number;
  readonly orphanEntries: number;
  /** Lines whose timestamp is earlier than an earlier line's (interleaved per-CPU buffers). */
  readonly outOfOrder: number;
  /** Threads whose pairing state was dropped because more than `maxThreads` were live. */
  readonly threadsEvicted: number;
  /** Decoded lines of the other KVM events, by kind (`hypercall`, `pio`, …, `other`). */
  readonly eventCounts: Readonly<Record<string, number>>;
  /** The first unparsed lines, for display. */
  readonly unparsedSamples: readonly UnparsedLine[];
}

export interface KvmStats {
  /** The ISA most exits named, used to resolve hex reason codes. */
  readonly isa: ExitIsa;
  readonly samples: number;
  readonly exits: number;
  readonly totalNs: number;
  /** All vCPUs together, sorted by samples, then exits, descending. */
  readonly reasons: readonly ReasonStats[];
  /** By vCPU id, ascending. */
  readonly vcpus: readonly VcpuStats[];
  /** Most exits first. */
  readonly topRips: readonly RipStats[];
  /** True when the per-RIP counts are lower bounds (more distinct RIPs than the counter holds). */
  readonly ripsApproximate: boolean;
  readonly diagnostics: Diagnostics;
}

/** Identity of a reason row while building. */
export interface RowKey {
  readonly name: string;
  readonly isa: ExitIsa;
  readonly code: number | null;
  readonly description: string | null;
}

/** Accumulates rows keyed by `RowKey` identity, merging duplicates. */
export class RowBuilder {
  private readonly rows = new Map<RowKey, { stats: DurationStats; exits: number }>();

  add(key: RowKey, stats: DurationStats | undefined, exits: number): void {
    let r = this.rows.get(key);
    if (r === undefined) {
      r = { stats: new DurationStats(), exits: 0 };
      this.rows.set(key, r);
    }
    if (stats !== undefined) r.stats.merge(stats);
    r.exits += exits;
  }

  build(): ReasonStats[] {
    const out: ReasonStats[] = [];
    for (const [k, { stats: s, exits }] of this.rows) {
      if (s.count === 0 && exits === 0) continue;
      out.push({
        name: k.name,
        isa: k.isa,
        code: k.code,
        description: k.description,
        samples: s.count,
        exits,
        totalNs: s.totalNs,
        minNs: s.count === 0 ? 0 : s.minNs,
        maxNs: s.maxNs,
        meanNs: s.count === 0 ? 0 : s.totalNs / s.count,
        relStddevPct: s.relStddevPct(),
      });
    }
    return out.sort((a, b) => b.samples - a.samples || b.exits - a.exits || (a.name < b.name ? -1 : 1));
  }
}
