/**
 * Benchmark: parse and aggregate a synthetic KVM trace with `adapter/vmexits`, against mawk running
 * `kvm-stat.awk` (the same per-reason counts and exit-to-entry times), in the same run.
 *
 * For each size (default 250,000 and 1,000,000 lines) it writes the trace to a temporary file
 * (`genTrace.ts`, deterministic), then runs each tool `REPS` times as a child process under
 * `/usr/bin/time` (wall time, user+system CPU, peak RSS), alternating them, and reports medians,
 * lines per second and the ratio, and checks both computed the same samples per reason (and times
 * within 1 µs per sample, awk working in floating-point seconds).
 *
 * Usage: `node out/bench/vmexits/parse.bench.js [LINES…]` (env REPS, default 3; MODE sync|stream).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateTrace } from './genTrace';

interface Run {
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssKb: number;
  readonly stdout: string;
}

const TIME = '/usr/bin/time';
const AWK = path.join(__dirname, '..', '..', '..', 'bench', 'vmexits', 'kvm-stat.awk');
const OURS = path.join(__dirname, 'runOurs.js');

/** Runs `cmd args` under /usr/bin/time; wall time measured here, CPU and peak RSS from time(1). */
function timed(cmd: string, args: readonly string[]): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '@@ %U %S %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const m = /@@ ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (m === null) throw new Error(`no time(1) output: ${r.stderr}`);
  return { wallS, cpuS: Number(m[1]) + Number(m[2]), rssKb: Number(m[3]), stdout: r.stdout };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** awk rows: reason → [samples, total µs]. */
function awkRows(out: string): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const line of out.trim().split('\n')) {
    const [name, n, tot] = line.split('\t');
    if (name !== undefined && name !== 'exits') m.set(name, [Number(n), Number(tot)]);
  }
  return m;
}

function compare(awk: Map<string, [number, number]>, ours: readonly (string | number)[][]): string[] {
  const problems: string[] = [];
  for (const [name, samples, totalNs] of ours) {
    const a = awk.get(String(name));
    if (a === undefined) problems.push(`${String(name)}: missing in awk`);
    else if (a[0] !== samples) problems.push(`${String(name)}: samples ${a[0]} (awk) vs ${String(samples)}`);
    else if (Math.abs(a[1] - Number(totalNs) / 1000) > a[0] * 1)
      problems.push(`${String(name)}: time differs`);
  }
  if (awk.size !== ours.length) problems.push(`reasons: ${awk.size} (awk) vs ${ours.length}`);
  return problems;
}

function main(): void {
  const sizes = process.argv.slice(2).map(Number);
  const reps = Number(process.env['REPS'] ?? 3);
  const mode = process.env['MODE'] ?? 'sync';
  const hasMawk = spawnSync('mawk', ['-W', 'version']).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvdbg-vmexits-'));
  const results: Record<string, unknown>[] = [];
  try {
    for (const lines of sizes.length > 0 ? sizes : [250_000, 1_000_000]) {
      const file = path.join(dir, `trace-${lines}.txt`);
      const bytes = generateTrace(lines, file);
      const ours: Run[] = [];
      const awk: Run[] = [];
      for (let i = 0; i < reps; i++) {
        ours.push(timed(process.execPath, [OURS, file, mode]));
        if (hasMawk) awk.push(timed('mawk', ['-f', AWK, file]));
      }
      const o = JSON.parse(ours[0]?.stdout ?? '{}') as {
        rows: (string | number)[][];
        hwmKb: number | null;
        wallMs: number;
      };
      const problems = hasMawk ? compare(awkRows(awk[0]?.stdout ?? ''), o.rows) : ['mawk not installed'];
      const oursWall = median(ours.map((r) => r.wallS));
      const awkWall = median(awk.map((r) => r.wallS));
      const oursCpu = median(ours.map((r) => r.cpuS));
      const awkCpu = median(awk.map((r) => r.cpuS));
      const inProc = median(ours.map((r) => (JSON.parse(r.stdout) as { wallMs: number }).wallMs / 1000));
      results.push({
        lines,
        megabytes: +(bytes / 1e6).toFixed(1),
        ours: { wallS: +oursWall.toFixed(3), parseS: +inProc.toFixed(3), cpuS: +oursCpu.toFixed(2), linesPerS: Math.round(lines / oursWall), parseLinesPerS: Math.round(lines / inProc), peakRssMb: +(median(ours.map((r) => r.rssKb)) / 1024).toFixed(1), vmHwmMb: o.hwmKb === null ? null : +(o.hwmKb / 1024).toFixed(1) },
        mawk: hasMawk ? { wallS: +awkWall.toFixed(3), cpuS: +awkCpu.toFixed(2), linesPerS: Math.round(lines / awkWall), peakRssMb: +(median(awk.map((r) => r.rssKb)) / 1024).toFixed(1) } : null,
        speedup: hasMawk ? { wall: +(awkWall / oursWall).toFixed(2), cpu: +(awkCpu / oursCpu).toFixed(2) } : null,
        sameResults: problems.length === 0,
        problems,
      }); // prettier-ignore
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
  if (results.some((r) => r['sameResults'] !== true)) process.exitCode = 1;
}

main();
