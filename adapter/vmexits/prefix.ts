/**
 * The line prefix before an event's fields, in the shapes the tools print:
 * - ftrace `trace`/`trace_pipe` (kernel/trace/trace_output.c): `COMM-PID [CPU] FLAGS TS: EVENT: …`,
 *   e.g. `   CPU 0/KVM-4242    [003] d..2.  5678.123456: kvm_exit: …`, flags 4 wide before 5.14,
 *   5 wide after, absent with `noirq-info`; with `record-tgid` a `(TGID)` or `(-------)` column
 *   follows PID;
 * - `trace-cmd report`: `COMM-PID [CPU] TS: EVENT:` padded, optionally with latency flags;
 * - `perf script`: `COMM PID [CPU] TS: SYSTEM:EVENT: …` (TID, or `PID/TID` with `-F pid,tid`).
 * Timestamps have 6 or 9 decimals (`trace-cmd report -t`, `perf script --ns`) or none (counter clocks).
 */
import { dec, isDigit, num, skipSpaces } from './bytes';
import type { ScanRecord } from './record';

const LBRACK = 0x5b;
const RBRACK = 0x5d;
const SPACE = 0x20;
const COLON = 0x3a;
const POW10 = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

/**
 * Reads the prefix of `b[start, end)` into `rec` (comm, pid, tgid, cpu, tsNs, event name).
 * @returns the index of the event's fields, or -1 with `rec.why` set.
 */
export function scanPrefix(b: Buffer, start: number, end: number, rec: ScanRecord): number {
  const i = skipSpaces(b, start, end);
  // The CPU column: the first ` [digits]`. Lines of one thread share a layout, so first try where
  // the previous line had it (`rec.cpuHint`, an offset from the line start).
  let j = start + rec.cpuHint;
  let k = -1;
  let c = 0;
  if (j > i && j < end && b[j] === LBRACK && b[j - 1] === SPACE) k = cpuField(b, j, end, rec);
  if (k < 0) {
    // `perf script -F cpu,time,event,trace` starts the line with the CPU column itself.
    for (j = i; j < end; j++) {
      if (b[j] !== LBRACK || (j > i && b[j - 1] !== SPACE)) continue;
      k = cpuField(b, j, end, rec);
      if (k >= 0) break;
    }
  }
  if (k < 0) return fail(rec, 'no [cpu] field');
  rec.cpuHint = j - start;
  if (j === i) {
    // No task column: comm empty, pid and tgid unknown.
    rec.pid = -1;
    rec.tgid = -1;
    rec.commStart = i;
    rec.commEnd = i;
    return scanAfterCpu(b, k, end, rec);
  }
  // Back from `[` over spaces, an optional `(TGID)`, then PID (or PID/TID).
  let e = j;
  while (e > i && b[e - 1] === SPACE) e--;
  if (b[e - 1] === 0x29) {
    let o = e - 2;
    while (o > i && b[o] !== 0x28) o--;
    if (b[o] !== 0x28) return fail(rec, 'bad (tgid) field');
    const t = dec(b, skipSpaces(b, o + 1, e), e - 1);
    rec.tgid = t > 0 ? num.dec : -1;
    e = o;
    while (e > i && b[e - 1] === SPACE) e--;
  }
  let d = e;
  let pid = 0;
  for (let m = 1; d > i && (c = b[d - 1] as number) >= 0x30 && c <= 0x39; m *= 10) {
    pid += (c - 0x30) * m;
    d--;
  }
  if (d === e || e - d > 10) return fail(rec, 'no pid');
  rec.pid = pid;
  if (b[d - 1] === 0x2f) {
    // perf `PID/TID`: keep the TID, skip the PID.
    d--;
    while (d > i && isDigit(b[d - 1])) d--;
  }
  let ce = d;
  if (d > i && b[d - 1] === 0x2d) ce = d - 1;
  else while (ce > i && b[ce - 1] === SPACE) ce--;
  rec.commStart = i;
  rec.commEnd = ce;
  return scanAfterCpu(b, k, end, rec);
}

/** From the `]` of the CPU column: optional flags, the timestamp and the event name. */
function scanAfterCpu(b: Buffer, k: number, end: number, rec: ScanRecord): number {
  let c = 0;
  // After `]`: optional flags (never start with a digit), then the timestamp and `:`.
  let p = k + 1;
  while (p < end && b[p] === SPACE) p++;
  c = b[p] as number;
  if (p < end && (c < 0x30 || c > 0x39)) {
    while (p < end && b[p] !== SPACE) p++;
    while (p < end && b[p] === SPACE) p++;
  }
  let sec = 0;
  const s0 = p;
  for (; p < end && (c = b[p] as number) >= 0x30 && c <= 0x39; p++) sec = sec * 10 + (c - 0x30);
  if (p === s0 || p - s0 > 12) return fail(rec, 'no timestamp');
  let ts: number;
  if (b[p] === 0x2e) {
    const f = ++p;
    let frac = 0;
    for (; p < end && (c = b[p] as number) >= 0x30 && c <= 0x39; p++)
      if (p - f < 9) frac = frac * 10 + (c - 0x30);
    const n = p - f;
    if (n === 0) return fail(rec, 'no timestamp');
    ts = sec * 1e9 + frac * (POW10[n < 9 ? n : 9] as number);
  } else {
    ts = sec; // a counter clock (`x86-tsc`, `counter`): raw ticks
  }
  if (b[p] !== COLON) return fail(rec, 'no timestamp');
  rec.tsNs = ts;
  // The event name: a token ending in `:`; perf prefixes `system:`.
  p++;
  while (p < end && b[p] === SPACE) p++;
  const ns = p;
  let prev = -1;
  let last = -1;
  for (; p < end && (c = b[p] as number) !== SPACE; p++) {
    if (c === COLON) {
      prev = last;
      last = p;
    }
  }
  if (p - ns < 2 || last !== p - 1) return fail(rec, 'no event name');
  const nameStart = prev >= 0 ? prev + 1 : ns;
  rec.nameStart = nameStart;
  rec.nameEnd = p - 1;
  while (p < end && b[p] === SPACE) p++;
  return p;
}

/** Reads `[digits]` at `j` into `rec.cpu`; returns the index of `]`, or -1. */
function cpuField(b: Buffer, j: number, end: number, rec: ScanRecord): number {
  let v = 0;
  let k = j + 1;
  let c = 0;
  for (; k < end && (c = b[k] as number) >= 0x30 && c <= 0x39; k++) v = v * 10 + (c - 0x30);
  if (k === j + 1 || k - j > 8 || b[k] !== RBRACK) return -1;
  rec.cpu = v;
  return k;
}

function fail(rec: ScanRecord, why: string): number {
  rec.why = why;
  return -1;
}
