/**
 * Child process of the benchmark: parses and aggregates one trace file with `adapter/vmexits` and
 * prints one JSON line: lines, parse time, peak memory (VmHWM from /proc/self/status, and the
 * largest RSS sampled every 5 ms) and the per-reason rows to check against awk.
 *
 * Usage: `node out/bench/vmexits/runOurs.js PATH [sync|stream]` — `sync` reads 1 MiB at a time
 * into one reused Buffer; `stream` uses `aggregateStream(fs.createReadStream(PATH))`.
 */
import * as fs from 'node:fs';
import { aggregateStream, StatsBuilder, type KvmStats } from '../../adapter/vmexits';

function vmHwmKb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

function parseSync(path: string): KvmStats {
  const b = new StatsBuilder();
  const fd = fs.openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (
      let n = fs.readSync(fd, buf, 0, buf.length, null);
      n > 0;
      n = fs.readSync(fd, buf, 0, buf.length, null)
    ) {
      b.push(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return b.finish();
}

async function main(): Promise<void> {
  const [, , path, mode = 'sync'] = process.argv;
  if (path === undefined) throw new Error('usage: run-ours PATH [sync|stream]');
  let maxRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }, 5);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const stats =
    mode === 'stream'
      ? await aggregateStream(fs.createReadStream(path, { highWaterMark: 1 << 20 }))
      : parseSync(path);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  clearInterval(timer);
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  const out = {
    mode,
    lines: stats.diagnostics.lines,
    unparsed: stats.diagnostics.unparsed,
    exits: stats.exits,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    hwmKb: vmHwmKb(),
    maxRssKb: Math.round(maxRss / 1024),
    rows: stats.reasons.map((r) => [r.name, r.samples, r.totalNs, r.minNs, r.maxNs]),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
