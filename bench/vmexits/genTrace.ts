/**
 * Writes a deterministic synthetic ftrace `trace` file of KVM events for the benchmark:
 * 4 vCPU threads (`CPU n/KVM`), the Linux 5.13+ `kvm_exit` layout (VMX), `kvm_entry` with RIP, and
 * the companion events KVM emits for some exits (`kvm_mmio`, `kvm_msr`, `kvm_pio`,
 * `kvm_page_fault`, `kvm_hypercall`). Lines are in timestamp order, every exit is followed by its
 * thread's entry, so a plain per-thread pairing (the awk script) gives the same statistics.
 *
 * Usage: `node out/bench/vmexits/genTrace.js LINES PATH [SEED]`.
 */
import * as fs from 'node:fs';

/** A small, fast, seeded PRNG (mulberry32) returning [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Kind {
  readonly reason: string;
  readonly weight: number;
  /** Median exit-to-entry time, microseconds. */
  readonly us: number;
  readonly qual: string;
  readonly extra: ((r: () => number) => string) | null;
}

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');
const KINDS: readonly Kind[] = [
  { reason: 'EXTERNAL_INTERRUPT', weight: 25, us: 2, qual: hex16(0), extra: null },
  { reason: 'EPT_MISCONFIG', weight: 15, us: 6, qual: hex16(0), extra: () => 'kvm_mmio: mmio write len 4 gpa 0xfebd1000 val 0x1' },
  { reason: 'HLT', weight: 14, us: 400, qual: hex16(0), extra: null },
  { reason: 'MSR_WRITE', weight: 12, us: 2, qual: hex16(0), extra: (r) => `kvm_msr: msr_write 6e0 = 0x${(0x2a9e8c41f0e + Math.floor(r() * 1e6)).toString(16)}` },
  { reason: 'IO_INSTRUCTION', weight: 8, us: 35, qual: hex16(0x3f80000), extra: () => 'kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x41 ' },
  { reason: 'EPT_VIOLATION', weight: 8, us: 9, qual: hex16(0x181), extra: (r) => `kvm_page_fault: vcpu 1 rip 0xffffffff8102d3c6 address 0x${hex16(0x100000000 + Math.floor(r() * 0x10000) * 4096)} error_code 0x181` },
  { reason: 'PAUSE_INSTRUCTION', weight: 5, us: 3, qual: hex16(0), extra: null },
  { reason: 'PREEMPTION_TIMER', weight: 4, us: 2, qual: hex16(0), extra: null },
  { reason: 'CPUID', weight: 3, us: 2, qual: hex16(0), extra: null },
  { reason: 'APIC_WRITE', weight: 3, us: 3, qual: hex16(0x300), extra: null },
  { reason: 'VMCALL', weight: 2, us: 5, qual: hex16(0), extra: () => 'kvm_hypercall: nr 0x5 a0 0x0 a1 0x1 a2 0x0 a3 0x0' },
  { reason: 'CR_ACCESS', weight: 1, us: 4, qual: hex16(3), extra: null },
]; // prettier-ignore
const TOTAL = KINDS.reduce((s, k) => s + k.weight, 0);
/** Low halves of kernel RIPs (the high half is 0xffffffff). */
const RIPS = Array.from({ length: 64 }, (_, i) => 0x81000000 + i * 0x1c3a4);
const rip64 = (lo: number): string => `0xffffffff${lo.toString(16).padStart(8, '0')}`;

interface Vcpu {
  readonly id: number;
  readonly pid: number;
  cpu: number;
  /** Next event time, ns. */
  t: number;
  /** Pending lines of the current exit, with their times. */
  queue: [number, string][];
}

function ts(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const us = Math.floor((ns % 1e9) / 1000);
  return `${String(s).padStart(5)}.${String(us).padStart(6, '0')}`;
}

function prefix(v: Vcpu, ns: number, flags: string): string {
  return `${`CPU ${v.id}/KVM`.padStart(16)}-${String(v.pid).padEnd(7)} [${String(v.cpu).padStart(3, '0')}] ${flags} ${ts(ns)}: `;
}

/** Builds the lines of one exit of `v`: exit, companion event, entry. */
function exitLines(v: Vcpu, r: () => number): void {
  let w = r() * TOTAL;
  let k = KINDS[0] as Kind;
  for (const kind of KINDS) {
    w -= kind.weight;
    if (w < 0) {
      k = kind;
      break;
    }
  }
  const rip = RIPS[Math.floor(r() * r() * RIPS.length)] as number;
  const dur = Math.max(1000, Math.round(k.us * 1000 * Math.exp((r() - 0.5) * 1.5)));
  const t0 = v.t;
  const exit = `kvm_exit: vcpu ${v.id} reason ${k.reason} rip ${rip64(rip)} info1 0x${k.qual} info2 0x${hex16(0)} intr_info 0x00000000 error_code 0x00000000`;
  v.queue.push([t0, prefix(v, t0, 'd..1.') + exit]);
  if (k.extra !== null) v.queue.push([t0 + 1000, prefix(v, t0 + 1000, '.....') + k.extra(r)]);
  if (k.reason === 'HLT' && r() < 0.3) v.cpu = (v.cpu + 1) % 4; // woken on another CPU
  const t1 = t0 + dur;
  v.queue.push([t1, `${prefix(v, t1, 'd..1.')}kvm_entry: vcpu ${v.id}, rip ${rip64(rip + 3)}`]);
  v.t = t1 + 1000 + Math.floor(r() * 20000);
}

/** Writes `lines` lines to `path`; returns the bytes written. */
export function generateTrace(lines: number, path: string, seed = 1): number {
  const r = prng(seed);
  const vcpus: Vcpu[] = [0, 1, 2, 3].map((id) => ({
    id,
    pid: 20001 + id,
    cpu: id,
    t: 812e9 + id * 777,
    queue: [],
  }));
  const fd = fs.openSync(path, 'w');
  let bytes = 0;
  let batch: string[] = [];
  let batchLen = 0;
  try {
    for (let n = 0; n < lines; n++) {
      // Next line in time order: each vCPU's queue head, refilled when empty.
      let best: Vcpu | null = null;
      let bestT = Infinity;
      for (const v of vcpus) {
        if (v.queue.length === 0) exitLines(v, r);
        const head = v.queue[0] as [number, string];
        if (head[0] < bestT) {
          bestT = head[0];
          best = v;
        }
      }
      const line = (best as Vcpu).queue.shift() as [number, string];
      batch.push(line[1]);
      batchLen += line[1].length + 1;
      if (batchLen > 1 << 20) {
        bytes += fs.writeSync(fd, batch.join('\n') + '\n');
        batch = [];
        batchLen = 0;
      }
    }
    if (batch.length > 0) bytes += fs.writeSync(fd, batch.join('\n') + '\n');
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

if (require.main === module) {
  const [, , n, path, seed] = process.argv;
  if (n === undefined || path === undefined) {
    process.stderr.write('usage: gen-trace LINES PATH [SEED]\n');
    process.exit(2);
  }
  const bytes = generateTrace(Number(n), path, seed === undefined ? 1 : Number(seed));
  process.stdout.write(`${n} lines, ${bytes} bytes -> ${path}\n`);
}
