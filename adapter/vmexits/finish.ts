/**
 * Turns an aggregator's accumulators into `KvmStats`. Reasons printed as bare codes (`0x4c`,
 * libtraceevent's `UNKNOWN (76)`) carry no ISA; they are resolved against the ISA most named
 * exits used, and merged with the named rows for the same code.
 */
import type { DurationStats } from './durationStats';
import type { UnparsedLine } from './events';
import type { DropCounts } from './pairing';
import type { RipCounter } from './ripCounter';
import type { ExitIsa } from './reasonTypes';
import type { KvmStats, RipStats, RowKey, VcpuStats } from './kvmStats';
import { RowBuilder } from './kvmStats';
import type { ReasonInterner, ReasonKey } from './reasonIntern';
import { exitReason } from './reasons';
import { toBig } from './bytes';

/** How many RIPs `topRips` lists. */
export const TOP_RIPS = 20;

/** Per-vCPU accumulators, indexed by reason id. */
export interface VcpuAcc {
  readonly stats: (DurationStats | undefined)[];
  readonly exits: number[];
}

/** What {@link finishStats} reads of an aggregator's accumulators (adapter/vmexits/aggregator.ts). */
export interface Totals {
  readonly reasons: ReasonInterner;
  readonly vcpus: ReadonlyMap<number, VcpuAcc>;
  readonly rips: RipCounter;
  readonly drops: DropCounts;
  readonly isaExits: { readonly vmx: number; readonly svm: number };
  readonly counts: {
    readonly lines: number;
    readonly events: number;
    readonly unparsed: number;
    readonly skipped: number;
    readonly lostMarkers: number;
    readonly lostEvents: number;
    readonly lostUnknown: number;
  };
  readonly eventCounts: Readonly<Record<string, number>>;
  readonly unparsedSamples: readonly UnparsedLine[];
  readonly outOfOrder: number;
  readonly threadsEvicted: number;
}

export function finishStats(agg: Totals): KvmStats {
  const { vmx, svm } = agg.isaExits;
  const isa: ExitIsa = vmx === 0 && svm === 0 ? 'unknown' : vmx >= svm ? 'vmx' : 'svm';
  const keys = agg.reasons.allKeys();
  const rowKeys: RowKey[] = [];
  const resolved = new Map<string, RowKey>();
  const keyOf = (id: number): RowKey =>
    (rowKeys[id] ??= rowKey(keys[id] ?? agg.reasons.overflow, isa, resolved));

  const all = new RowBuilder();
  const vcpus: VcpuStats[] = [];
  for (const [vcpu, acc] of agg.vcpus) {
    const b = new RowBuilder();
    const m = Math.max(acc.stats.length, acc.exits.length);
    for (let id = 0; id < m; id++) {
      b.add(keyOf(id), acc.stats[id], acc.exits[id] ?? 0);
      all.add(keyOf(id), acc.stats[id], acc.exits[id] ?? 0);
    }
    const rows = b.build();
    if (rows.length === 0) continue;
    vcpus.push({
      vcpu,
      samples: sum(rows, (r) => r.samples),
      exits: sum(rows, (r) => r.exits),
      totalNs: sum(rows, (r) => r.totalNs),
      reasons: rows,
    });
  }
  vcpus.sort((a, b) => a.vcpu - b.vcpu);
  const reasons = all.build();

  const c = agg.counts;
  return {
    isa,
    samples: sum(reasons, (r) => r.samples),
    exits: sum(reasons, (r) => r.exits),
    totalNs: sum(reasons, (r) => r.totalNs),
    reasons,
    vcpus,
    topRips: topRips(agg, keyOf),
    ripsApproximate: agg.rips.approximate,
    diagnostics: {
      lines: c.lines,
      events: c.events,
      unparsed: c.unparsed,
      skipped: c.skipped,
      lostMarkers: c.lostMarkers,
      lostEvents: c.lostEvents,
      lostUnknown: c.lostUnknown,
      unpairedExits: agg.drops.unpairedExits,
      orphanEntries: agg.drops.orphanEntries,
      outOfOrder: agg.outOfOrder,
      threadsEvicted: agg.threadsEvicted,
      eventCounts: { ...agg.eventCounts },
      unparsedSamples: [...agg.unparsedSamples],
    },
  };
}

/** The row identity for a key, resolving bare codes under `isa`; equal rows share one object. */
function rowKey(k: ReasonKey, isa: ExitIsa, resolved: Map<string, RowKey>): RowKey {
  let name = k.name;
  let kIsa = k.isa;
  let info = k.info;
  if (kIsa === 'unknown' && k.code !== null && isa !== 'unknown') {
    const found = exitReason(isa, k.code);
    if (found !== undefined) {
      info = found;
      name = found.name;
      kIsa = found.isa;
    }
  }
  const id = `${kIsa}\u0000${name}`;
  let r = resolved.get(id);
  if (r === undefined) {
    r = { name, isa: kIsa, code: info?.code ?? k.code, description: info?.description ?? null };
    resolved.set(id, r);
  }
  return r;
}

function topRips(agg: Totals, keyOf: (id: number) => RowKey): RipStats[] {
  const byRip = new Map<bigint, Map<string, number>>();
  for (const [hi, lo, id, count] of agg.rips.entries()) {
    const rip = toBig(hi, lo);
    let m = byRip.get(rip);
    if (m === undefined) byRip.set(rip, (m = new Map<string, number>()));
    const name = keyOf(id).name;
    m.set(name, (m.get(name) ?? 0) + count);
  }
  const out: RipStats[] = [];
  for (const [rip, m] of byRip) {
    const rs = [...m].map(([name, exits]) => ({ name, exits })).sort((a, b) => b.exits - a.exits);
    out.push({ rip, exits: sum(rs, (r) => r.exits), reasons: rs });
  }
  out.sort((a, b) => b.exits - a.exits || (a.rip < b.rip ? -1 : 1));
  return out.slice(0, TOP_RIPS);
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let s = 0;
  for (const x of xs) s += f(x);
  return s;
}
