/**
 * Classifies and reads one line of trace text into a `ScanRecord`, without allocating.
 * Besides tracepoint lines it knows: blank lines; `#` comments (ftrace's header); `trace-cmd report`
 * headers (`version = 6`, `cpus=8`, `CPU 3 is empty`); lost-event markers from ftrace
 * (kernel/trace/trace.c: `CPU:%d [LOST %lu EVENTS]`, `CPU:%d [LOST EVENTS]`), trace-cmd
 * (`CPU:%d [%lld EVENTS DROPPED]`, `CPU:%d [EVENTS DROPPED]`) and perf (`PERF_RECORD_LOST … lost %lu`).
 */
import { ascii, dec, lit, num, skipSpaces } from './bytes';
import { scanPrefix } from './prefix';
import type { ReasonInterner } from './reasonIntern';
import { K, type ScanRecord } from './record';
import { scanEntry, scanExit } from './scanExit';
import { scanHypercall, scanMmio, scanMsrCr, scanPageFault, scanPio, scanUserspaceExit } from './scanOther';

const CPU_COLON = ascii('CPU:');
const CPU_SP = ascii('CPU ');
const LOST = ascii('[LOST ');
const EVENTS_RB = ascii('EVENTS]');
const EVENTS_DROPPED = ascii('EVENTS DROPPED]');
const VERSION = ascii('version = ');
const CPUS = ascii('cpus=');
const IS_EMPTY = ascii(' is empty');
const PERF_LOST = ascii('PERF_RECORD_LOST');
const LOST_SP = ascii(' lost ');

const NAMES: readonly [string, number][] = [
  ['kvm_exit', K.exit],
  ['kvm_entry', K.entry],
  ['kvm_hypercall', K.hypercall],
  ['kvm_pio', K.pio],
  ['kvm_mmio', K.mmio],
  ['kvm_msr', K.msr],
  ['kvm_cr', K.cr],
  ['kvm_page_fault', K.pageFault],
  ['kvm_userspace_exit', K.userspaceExit],
];
/** Event kinds by name length, for a cheap first cut before the byte comparison. */
const BY_LEN: [Uint8Array, number][][] = [];
for (const [n, k] of NAMES) (BY_LEN[n.length] ??= []).push([ascii(n), k]);

/** Reads `b[start, end)` (no newline) into `rec`, which must have been `reset`. */
export function scanLine(
  b: Buffer,
  start: number,
  end: number,
  rec: ScanRecord,
  reasons: ReasonInterner,
): void {
  const i = skipSpaces(b, start, end);
  if (i >= end) return; // blank
  const c = b[i];
  if (c === 0x23) {
    rec.kind = K.comment;
    return;
  }
  if (c === 0x43 && i === start && b[i + 1] === 0x50 && scanCpuMarker(b, i, end, rec)) return;
  if (c === 0x76 || c === 0x63) {
    if (lit(b, i, end, VERSION) > 0 || lit(b, i, end, CPUS) > 0) {
      rec.kind = K.header;
      return;
    }
  }
  const p = scanPrefix(b, i, end, rec);
  if (p < 0) {
    if (!scanPerfLost(b, start, end, rec)) rec.kind = K.unparsed;
    return;
  }
  const kind = eventKind(b, rec.nameStart, rec.nameEnd);
  switch (kind) {
    case K.exit:
      return scanExit(b, p, end, rec, reasons);
    case K.entry:
      return scanEntry(b, p, end, rec);
    case K.hypercall:
      return scanHypercall(b, p, end, rec);
    case K.pio:
      return scanPio(b, p, end, rec);
    case K.mmio:
      return scanMmio(b, p, end, rec);
    case K.msr:
      return scanMsrCr(b, p, end, rec, false);
    case K.cr:
      return scanMsrCr(b, p, end, rec, true);
    case K.pageFault:
      return scanPageFault(b, p, end, rec);
    case K.userspaceExit:
      return scanUserspaceExit(b, p, end, rec);
    default:
      rec.kind = K.other;
  }
}

function eventKind(b: Buffer, s: number, e: number): number {
  // The two hot names first: `kvm_exit`, `kvm_entry`.
  const n = e - s;
  if (b[s + 4] === 0x65 && b[s] === 0x6b && b[s + 1] === 0x76 && b[s + 2] === 0x6d && b[s + 3] === 0x5f) {
    if (n === 8 && b[s + 5] === 0x78 && b[s + 6] === 0x69 && b[s + 7] === 0x74) return K.exit;
    if (n === 9 && b[s + 5] === 0x6e && b[s + 6] === 0x74 && b[s + 7] === 0x72 && b[s + 8] === 0x79)
      return K.entry;
  }
  const cands = BY_LEN[n];
  if (cands === undefined || b[s] !== 0x6b || b[s + 3] !== 0x5f) return K.other;
  const c4 = b[s + 4];
  for (const [name, kind] of cands) {
    if (name[4] !== c4) continue;
    for (let i = e - s - 1; i > 4; i--) if (b[s + i] !== name[i]) return K.other;
    return b[s + 1] === 0x76 && b[s + 2] === 0x6d ? kind : K.other;
  }
  return K.other;
}

/** `CPU:N [LOST …]`, `CPU:N […EVENTS DROPPED]`, `CPU N is empty`. */
function scanCpuMarker(b: Buffer, i: number, end: number, rec: ScanRecord): boolean {
  let q = lit(b, i, end, CPU_SP);
  if (q > 0 && (q = dec(b, q, end)) > 0 && lit(b, q, end, IS_EMPTY) > 0) {
    rec.kind = K.header;
    return true;
  }
  q = lit(b, i, end, CPU_COLON);
  if (q < 0 || (q = dec(b, q, end)) < 0) return false;
  const cpu = num.dec;
  if (b[q] !== 0x20 || b[q + 1] !== 0x5b) return false;
  let count = -1;
  let r = lit(b, q + 1, end, LOST);
  if (r > 0) {
    const n = dec(b, r, end);
    if (n > 0 && b[n] === 0x20) {
      count = num.dec;
      r = n + 1;
    }
    if (lit(b, r, end, EVENTS_RB) < 0) return false;
  } else {
    r = q + 2;
    const n = dec(b, r, end);
    if (n > 0 && b[n] === 0x20) {
      count = num.dec;
      r = n + 1;
    }
    if (lit(b, r, end, EVENTS_DROPPED) < 0) return false;
  }
  rec.kind = K.lost;
  rec.cpu = cpu;
  rec.n0 = count;
  return true;
}

/** `… PERF_RECORD_LOST … lost N` as `perf script --show-lost-events` prints it. */
function scanPerfLost(b: Buffer, start: number, end: number, rec: ScanRecord): boolean {
  const line = b.subarray(start, end);
  const at = line.indexOf(PERF_LOST);
  if (at < 0) return false;
  const l = line.indexOf(LOST_SP, at);
  rec.kind = K.lost;
  rec.cpu = -1;
  rec.n0 = l >= 0 && dec(b, start + l + LOST_SP.length, end) > 0 ? num.dec : -1;
  return true;
}
