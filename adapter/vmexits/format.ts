/**
 * Renders `KvmStats` as `perf kvm stat report` prints its VM-EXIT table (tools/perf/builtin-kvm.c
 * `print_vcpu_info` and `print_result`), character for character:
 *
 *     Analyze events for all VMs, all VCPUs:
 *
 *                                      VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time
 *
 *                                          HLT        950    47.50%    97.12%      1.10us  10042.30us    255.71us ( +-  12.34% )
 *
 *     Total Samples:2000, Total events handled time:250122.51us.
 */
import type { KvmStats, ReasonStats } from './kvmStats';

export interface PerfFormatOptions {
  /** Only this vCPU (perf `--vcpu`); default all. */
  readonly vcpu?: number;
  /** Width of the reason column: 40 (`KVM_EVENT_NAME_LEN`, current perf, default) or 20 (perf ≤ 6.2). */
  readonly nameWidth?: number;
  /** What was traced, as perf words it: `all VMs` (default) or e.g. `pid(s) 1234`. */
  readonly target?: string;
  /** perf `--key`: order by samples (default) or by total time, descending. */
  readonly sortBy?: 'sample' | 'time';
}

/**
 * The report text. Rows are the reasons with at least one sample; times are microseconds with two
 * decimals, rounded as C's printf rounds (ties to even). `Lost events` counts lost-event markers, as
 * perf counts PERF_RECORD_LOST records.
 */
export function formatPerfKvmStat(stats: KvmStats, options: PerfFormatOptions = {}): string {
  const width = options.nameWidth ?? 40;
  const vcpu = options.vcpu ?? -1;
  let rows: readonly ReasonStats[] = stats.reasons;
  if (vcpu !== -1) rows = stats.vcpus.find((v) => v.vcpu === vcpu)?.reasons ?? [];
  rows = rows.filter((r) => r.samples > 0);
  if (options.sortBy === 'time') {
    rows = [...rows].sort((a, b) => b.totalNs - a.totalNs || b.samples - a.samples || cmp(a.name, b.name));
  }
  let totalCount = 0;
  let totalTime = 0;
  for (const r of rows) {
    totalCount += r.samples;
    totalTime += r.totalNs;
  }
  let out = '\n\n';
  out += `Analyze events for ${options.target ?? 'all VMs'}, `;
  out += vcpu === -1 ? 'all VCPUs:\n\n' : `VCPU ${vcpu}:\n\n`;
  out += `${pad('VM-EXIT', width)} ${pad('Samples', 10)} ${pad('Samples%', 9)} ${pad('Time%', 9)} `;
  out += `${pad('Min Time', 11)} ${pad('Max Time', 11)} ${pad('Avg time', 16)} \n\n`;
  for (const r of rows) {
    out += `${pad(r.name.slice(0, width - 1), width)} ${pad(String(r.samples), 10)} `;
    out += `${pad(cFixed((r.samples / totalCount) * 100, 2), 8)}% `;
    out += `${pad(cFixed((r.totalNs / totalTime) * 100, 2), 8)}% `;
    out += `${pad(cFixed(r.minNs / 1000, 2), 9)}us ${pad(cFixed(r.maxNs / 1000, 2), 9)}us `;
    out += `${pad(cFixed(r.totalNs / r.samples / 1000, 2), 9)}us ( +-${pad(cFixed(r.relStddevPct, 2), 7)}% )\n`;
  }
  out += `\nTotal Samples:${totalCount}, Total events handled time:${cFixed(totalTime / 1000, 2)}us.\n\n`;
  if (stats.diagnostics.lostMarkers > 0) out += `\nLost events: ${stats.diagnostics.lostMarkers}\n\n`;
  return out;
}

/** Right-aligns like `%*s`. */
function pad(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `%.{digits}f` as glibc prints it: the exact binary value rounded, exact ties to even
 * (`Number.prototype.toFixed` rounds exact ties up), `nan`/`inf` for non-finite values.
 */
export function cFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const exact = Math.abs(x) < 1e21 ? x.toFixed(Math.min(100, digits + 60)) : '';
  const dot = exact.indexOf('.');
  if (dot >= 0 && /^50*$/.test(exact.slice(dot + 1 + digits))) {
    // An exact tie: keep the truncation when its last digit is even.
    const truncated = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
    const last = truncated.charCodeAt(truncated.length - 1) - 48;
    if (last % 2 === 0) return truncated;
  }
  return x.toFixed(digits);
}
