/**
 * Counts exits per vCPU and reason for the outline. A `kvm_exit` line names its vCPU in the formats of
 * Linux 5.4 on; older ftrace text and the trace-cmd/perf plugin output do not, but the thread's
 * `kvm_entry` lines do (`vcpu %u`), and KVM runs each vCPU on one thread. So exits without a vCPU are
 * counted per thread and host CPU first and assigned at the end: to the thread's vCPU when one of its
 * entries named it, else to the host CPU they were recorded on.
 */
import type { ExitGroup, ReasonCount } from './traceIndex';

class Bucket {
  readonly reasons = new Map<string, ReasonCount>();

  add(reason: string, line: number): void {
    const r = this.reasons.get(reason);
    if (r === undefined) this.reasons.set(reason, { reason, count: 1, firstLine: line, lastLine: line });
    else {
      r.count++;
      r.lastLine = line;
    }
  }

  mergeInto(into: Bucket): void {
    for (const r of this.reasons.values()) {
      const t = into.reasons.get(r.reason);
      if (t === undefined) into.reasons.set(r.reason, { ...r });
      else {
        t.count += r.count;
        t.firstLine = Math.min(t.firstLine, r.firstLine);
        t.lastLine = Math.max(t.lastLine, r.lastLine);
      }
    }
  }
}

export class ExitGroupCounter {
  private readonly byVcpu = new Map<number, Bucket>();
  /** Exits without a vCPU, by `pid` then host CPU. */
  private readonly unassigned = new Map<number, Map<number, Bucket>>();
  readonly vcpuByPid = new Map<number, number>();

  exit(vcpu: number, pid: number, cpu: number, reason: string, line: number): void {
    if (vcpu >= 0) return bucket(this.byVcpu, vcpu).add(reason, line);
    let perCpu = this.unassigned.get(pid);
    if (perCpu === undefined) this.unassigned.set(pid, (perCpu = new Map<number, Bucket>()));
    bucket(perCpu, cpu).add(reason, line);
  }

  entry(vcpu: number, pid: number): void {
    if (vcpu >= 0 && pid >= 0 && !this.vcpuByPid.has(pid)) this.vcpuByPid.set(pid, vcpu);
  }

  /** vCPU groups first (by id), then host-CPU groups (by id). */
  finish(): ExitGroup[] {
    const byCpu = new Map<number, Bucket>();
    for (const [pid, perCpu] of this.unassigned) {
      const vcpu = this.vcpuByPid.get(pid);
      for (const [cpu, b] of perCpu)
        b.mergeInto(vcpu === undefined ? bucket(byCpu, cpu) : bucket(this.byVcpu, vcpu));
    }
    return [...groups('vcpu', this.byVcpu), ...groups('host-cpu', byCpu)];
  }
}

function bucket(map: Map<number, Bucket>, key: number): Bucket {
  let b = map.get(key);
  if (b === undefined) map.set(key, (b = new Bucket()));
  return b;
}

function groups(kind: ExitGroup['kind'], map: Map<number, Bucket>): ExitGroup[] {
  return [...map.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, b]) => {
      const reasons = [...b.reasons.values()].sort((x, y) => y.count - x.count || x.firstLine - y.firstLine);
      return {
        kind,
        id,
        count: reasons.reduce((n, r) => n + r.count, 0),
        firstLine: Math.min(...reasons.map((r) => r.firstLine)),
        lastLine: Math.max(...reasons.map((r) => r.lastLine)),
        reasons,
      };
    });
}
