/**
 * The Debug Console's text: `perf kvm stat report`'s table (adapter/vmexits' formatter, character for
 * character), then what perf does not show: the guest RIPs with most exits and where they are.
 */
import { ExitsError } from './errors';
import type { LastExitsBody, ResolvedSymbol } from '../protocol/customRequests';
import type { KvmStats } from '../vmexits/kvmStats';
import { formatPerfKvmStat } from '../vmexits/format';
import { describeSymbol } from './symbols';

export interface ReportOptions {
  readonly vcpu?: number;
  /** What was read, for the header. */
  readonly label: string;
  /** RIPs listed (default 10). */
  readonly rips?: number;
}

export function formatExitReport(
  stats: KvmStats,
  symbols: (rip: bigint) => ResolvedSymbol | undefined,
  options: ReportOptions,
): string {
  const vcpu = options.vcpu;
  if (vcpu !== undefined && !stats.vcpus.some((v) => v.vcpu === vcpu)) {
    const known = stats.vcpus.map((v) => v.vcpu).join(', ') || 'none';
    throw new ExitsError(`${options.label} has no exits of vCPU ${vcpu} (vCPUs in the trace: ${known})`);
  }
  let out = formatPerfKvmStat(stats, vcpu === undefined ? {} : { vcpu });
  const counted = stats.vcpus.find((v) => v.vcpu === vcpu) ?? stats;
  out += `Source: ${options.label}; ${counted.exits} exits, ${counted.samples} paired with their entry`;
  if (stats.diagnostics.unparsed > 0) out += `, ${stats.diagnostics.unparsed} unparsed lines`;
  out += '.\n';
  const rips = stats.topRips.slice(0, options.rips ?? 10);
  if (rips.length === 0) return out;
  out += `\nGuest RIPs with most exits${vcpu === undefined ? '' : ' (all vCPUs)'}`;
  out += stats.ripsApproximate ? ' (counts are lower bounds):\n\n' : ':\n\n';
  out += `${'RIP'.padStart(18)} ${'Exits'.padStart(9)}  ${'Reasons'.padEnd(28)} Where\n`;
  for (const r of rips) {
    const reasons = r.reasons
      .slice(0, 3)
      .map((x) => `${x.name} ${x.exits}`)
      .join(', ');
    const where = describeSymbol(symbols(r.rip)) || '(not resolved)';
    out += `${`0x${r.rip.toString(16)}`.padStart(18)} ${String(r.exits).padStart(9)}  ${reasons.padEnd(28)} ${where}\n`;
  }
  return out;
}

/** Microseconds with two decimals, as perf prints times. */
const us = (ns: number): string => `${(ns / 1000).toFixed(2)}us`;

export function formatLastExits(body: LastExitsBody): string {
  const column = body.matchedBy === 'cpu' ? 'trace CPU' : 'KVM vcpu';
  const head = `Last ${body.exits.length} exits of vCPU ${body.vcpuIndex} (${column} ${body.vcpuIndex})`;
  if (body.exits.length === 0) return `${head}: none in ${body.source ?? 'the trace'} yet.`;
  const lines = [`${head} from ${body.source ?? 'the trace'}, oldest first:`, ''];
  lines.push(
    `${'time (s)'.padStart(16)}  ${'reason'.padEnd(16)} ${'rip'.padStart(18)} ${'exit→entry'.padStart(11)}  where`,
  );
  for (const e of body.exits) {
    const t = (e.tsNs / 1e9).toFixed(6).padStart(16);
    const d = e.durationNs === undefined ? '' : us(e.durationNs);
    lines.push(
      `${t}  ${e.reason.padEnd(16)} ${e.rip.padStart(18)} ${d.padStart(11)}  ${describeSymbol(e.symbol)}`,
    );
  }
  return lines.join('\n');
}
