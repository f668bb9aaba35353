/** A feed's state as the views receive it (`ExitSnapshot`): plain JSON, addresses as hex strings. */
import type { ExitSnapshot, LastExit, ReasonRow, RipRow } from '../protocol/customRequests';
import type { TraceFeed } from './feed';
import type { ExitSlot } from './ring';
import type { SymbolResolver } from './symbols';
import { toBig } from '../vmexits/bytes';

/** RIPs listed under each reason. */
export const TOP_RIPS_PER_REASON = 10;

export const hex = (value: bigint): string => `0x${value.toString(16)}`;

export function buildSnapshot(feed: TraceFeed, symbols: SymbolResolver, seq: number): ExitSnapshot {
  const stats = feed.monitor.stats();
  const rips = feed.monitor.ripsByReason(stats.isa, TOP_RIPS_PER_REASON);
  let pairedCount = 0;
  let pairedTime = 0;
  for (const r of stats.reasons) {
    pairedCount += r.samples;
    pairedTime += r.totalNs;
  }
  const reasons: ReasonRow[] = stats.reasons.map((r) => ({
    name: r.name,
    isa: r.isa,
    code: r.code,
    description: r.description,
    samples: r.samples,
    exits: r.exits,
    samplesPct: pairedCount === 0 ? 0 : (100 * r.samples) / pairedCount,
    timePct: pairedTime === 0 ? 0 : (100 * r.totalNs) / pairedTime,
    totalNs: r.totalNs,
    minNs: r.minNs,
    maxNs: r.maxNs,
    meanNs: r.meanNs,
    topRips: (rips.get(r.name) ?? []).map(({ rip, exits }): RipRow => {
      const symbol = symbols.cached(rip);
      return { rip: hex(rip), exits, ...(symbol === undefined ? {} : { symbol }) };
    }),
  }));
  return {
    source: feed.info(),
    isa: stats.isa,
    samples: stats.samples,
    exits: stats.exits,
    totalNs: stats.totalNs,
    reasons,
    vcpus: stats.vcpus.map((v) => ({ vcpu: v.vcpu, samples: v.samples, exits: v.exits, totalNs: v.totalNs })),
    timeline: feed.monitor.timeline(),
    ripsApproximate: stats.ripsApproximate,
    unparsedLines: stats.diagnostics.unparsed,
    lostEvents: stats.diagnostics.lostEvents,
    seq,
  };
}

/** The RIPs a snapshot lists that the resolver has no answer for yet. */
export function unresolvedRips(snapshot: ExitSnapshot): bigint[] {
  const out = new Set<bigint>();
  for (const r of snapshot.reasons)
    for (const rip of r.topRips) if (rip.symbol === undefined) out.add(BigInt(rip.rip));
  return [...out];
}

export function toLastExit(slot: ExitSlot, symbols: SymbolResolver): LastExit {
  const rip = toBig(slot.ripHi, slot.ripLo);
  const symbol = symbols.cached(rip);
  return {
    tsNs: slot.tsNs,
    cpu: slot.cpu,
    vcpu: slot.vcpu,
    pid: slot.pid,
    reason: slot.reason,
    rip: hex(rip),
    ...((slot.infoMask & 1) !== 0 ? { info1: hex(toBig(slot.info1Hi, slot.info1Lo)) } : {}),
    ...((slot.infoMask & 2) !== 0 ? { info2: hex(toBig(slot.info2Hi, slot.info2Lo)) } : {}),
    ...(slot.durationNs >= 0 ? { durationNs: slot.durationNs } : {}),
    ...(symbol === undefined ? {} : { symbol }),
  };
}
