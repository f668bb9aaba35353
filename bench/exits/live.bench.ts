/**
 * How fast a live trace can be followed: a child process appends a generated KVM trace to a file at a
 * fixed rate (writer.ts) while this process follows it with the adapter's ExitTraceService (the same
 * code the debug adapter runs for `exitTrace`, and the extension for "Open KVM trace…"). Per rate:
 * the rate achieved, how long reading lagged behind once the writer stopped, the event-loop delay of
 * the reading process (what would stall the adapter's DAP replies), its CPU, and the snapshots sent
 * (throttled to 4/s whatever the rate) with their size. Usage:
 *   npx tsc -p . && node out/bench/exits/live.bench.js [SECONDS=4] [RATES=25000,100000,...]
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ExitTraceService } from '../../adapter/exits/service';
import { noSymbols } from '../../adapter/exits/symbols';
import type { ExitSnapshot } from '../../adapter/protocol/customRequests';
import { generateTrace } from '../vmexits/genTrace';

interface Row {
  rate: number;
  achievedLinesPerS: number;
  mbPerS: number;
  catchUpMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  cpuPct: number;
  snapshotsPerS: number;
  snapshotKb: number;
  snapshotBuildMs: number;
}

function writer(
  source: string,
  target: string,
  rate: number,
  seconds: number,
): Promise<{ lines: number; bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(__dirname, 'writer.js'), source, target, String(rate), String(seconds)],
      (error, stdout) => {
        if (error !== null) reject(new Error(error.message));
        else resolve(JSON.parse(stdout) as { lines: number; bytes: number; ms: number });
      },
    );
  });
}

async function measure(source: string, dir: string, rate: number, seconds: number): Promise<Row> {
  const target = path.join(dir, `live-${rate}.txt`);
  fs.writeFileSync(target, '');
  const service = new ExitTraceService({ symbols: noSymbols });
  const snapshots: ExitSnapshot[] = [];
  service.on('snapshot', (s) => snapshots.push(s));
  await service.startLive({ source: target });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const written = await writer(source, target, rate, seconds);
  const tWritten = performance.now();
  // Caught up: the statistics have read every byte written.
  await new Promise<void>((resolve) => {
    const check = (s: ExitSnapshot): void => {
      if (s.source.bytes < written.bytes) return;
      service.off('snapshot', check);
      resolve();
    };
    service.on('snapshot', check);
    const last = snapshots.at(-1);
    if (last !== undefined) check(last);
  });
  const tRead = performance.now();
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  const b0 = performance.now();
  const snap = service.snapshot();
  const json = JSON.stringify(snap);
  const buildMs = performance.now() - b0;
  service.dispose();
  fs.rmSync(target);
  const wall = (tRead - t0) / 1000;
  return {
    rate,
    achievedLinesPerS: Math.round(written.lines / (written.ms / 1000)),
    mbPerS: Number((written.bytes / 2 ** 20 / (written.ms / 1000)).toFixed(1)),
    catchUpMs: Math.round(tRead - tWritten),
    loopDelayP99Ms: Number((delay.percentile(99) / 1e6).toFixed(1)),
    loopDelayMaxMs: Number((delay.max / 1e6).toFixed(1)),
    cpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100),
    snapshotsPerS: Number((snapshots.length / wall).toFixed(1)),
    snapshotKb: Number((json.length / 1024).toFixed(1)),
    snapshotBuildMs: Number(buildMs.toFixed(2)),
  };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 4);
  const rates = (process.argv[3] ?? '25000,100000,250000,500000,1000000,2000000').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvdbg-exits-bench-'));
  try {
    const source = path.join(dir, 'source.txt');
    const lines = Math.max(...rates) * seconds;
    generateTrace(lines, source);
    const rows: Row[] = [];
    for (const rate of rates) {
      const row = await measure(source, dir, rate, seconds);
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
    console.table(rows);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
