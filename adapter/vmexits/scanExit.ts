/**
 * `kvm_exit` and `kvm_entry` fields, every layout Linux `arch/x86/kvm/trace.h` has printed:
 * - `reason %s rip 0x%lx` (2.6.3x) and `reason %s rip 0x%lx info %llx %llx` (3.x–5.3);
 * - `vcpu %u reason %s rip 0x%lx info %llx %llx` (5.4, "KVM: X86: Trace vcpu_id for vmexit");
 * - `vcpu %u reason %s%s%s rip 0x%lx info %llx %llx` (5.7, VMX flags such as ` FAILED_VMENTRY`);
 * - `vcpu %u reason %s%s%s rip 0x%lx info1 0x%016llx info2 0x%016llx intr_info 0x%08x
 *   error_code 0x%08x` (5.13 onward);
 * - libtraceevent's kvm plugin (`trace-cmd report`, `perf script`): `reason %s rip 0x%llx[ SYM[+0xOFF]]
 *   info %llx %llx`, with `UNKNOWN (%llu)` for reasons it does not know.
 * `kvm_entry`: `vcpu %u`, `vcpu %u, rip 0x%lx`, `vcpu %u, rip 0x%lx[immediate exit]`,
 * `vcpu %u, rip 0x%lx inj 0x%08x inj_error_code 0x%08x%s%s`, and the plugin's `vcpu %u rip 0x%llx`.
 */
import { allHex, ascii, dec, hex, lit, num, skipSpaces } from './bytes';
import type { ReasonInterner } from './reasonIntern';
import { K, LAYOUT, type ScanRecord } from './record';

const VCPU = ascii('vcpu ');
const REASON = ascii('reason ');
const INFO = ascii('info ');
const INFO1 = ascii('info1 0x');
const INFO2 = ascii(' info2 0x');
const INTR = ascii(' intr_info 0x');
const ERR = ascii(' error_code 0x');
const EXT_LEN = 92;

/** `wmask` bit: the extended layout's info fields are at `textStart`, not yet read. */
export const LAZY_INFO = 0x100;
/** `wmask` bit: a `kvm_entry` RIP is at `textStart, textEnd`, not yet read. */
export const LAZY_RIP = 0x200;
const RIP = ascii('rip ');
const SP_INFO = ascii(' info ');
const IMMEDIATE = ascii('[immediate exit]');
const GUEST = ascii('[guest]');

/** Reads `kvm_exit` fields at `p`; sets `rec.kind` to exit or unparsed. */
export function scanExit(b: Buffer, p: number, end: number, rec: ScanRecord, reasons: ReasonInterner): void {
  let q = lit(b, p, end, VCPU);
  if (q >= 0) {
    q = dec(b, q, end);
    if (q < 0) return bad(rec, 'bad kvm_exit vcpu');
    rec.vcpu = num.dec;
    rec.layout = LAYOUT.vcpu;
    p = skipSpaces(b, q, end);
  } else {
    rec.layout = LAYOUT.legacy;
  }
  const rs = lit(b, p, end, REASON);
  if (rs < 0) return bad(rec, 'kvm_exit without reason');
  // The reason runs to ` rip ` (SVM names such as `PF excp` and VMX flags contain spaces).
  let re = rs;
  while (re + 5 < end) {
    if (
      b[re] === 0x20 &&
      b[re + 1] === 0x72 &&
      b[re + 2] === 0x69 &&
      b[re + 3] === 0x70 &&
      b[re + 4] === 0x20
    ) {
      break;
    }
    re++;
  }
  if (re + 5 >= end) return bad(rec, 'kvm_exit without rip');
  const reason = reasons.internBytes(b, rs, re);
  if (reason === null) return bad(rec, 'bad kvm_exit reason');
  rec.reason = reason;
  p = hex(b, re + 5, end);
  if (p < 0) return bad(rec, 'bad kvm_exit rip');
  rec.w0h = num.hi;
  rec.w0l = num.lo;
  rec.wmask = 1;
  rec.kind = K.exit;
  p = skipSpaces(b, p, end);
  if (p >= end) return;
  if (b[p] === 0x69 && b[p + 4] === 0x31 && lit(b, p, end, INFO1) > 0) {
    // Fixed widths: `info1 0x` 16 ` info2 0x` 16 ` intr_info 0x` 8 ` error_code 0x` 8 (92 bytes).
    // The values are read, and their digits checked, when an event object is built
    // (`readExtendedInfo`); statistics do not need them.
    rec.layout = LAYOUT.extended;
    // The separators are checked at their fixed places by a few distinctive bytes each.
    if (
      end - p < EXT_LEN ||
      !at(b, p + 24, INFO2) ||
      !at(b, p + 49, INTR) ||
      !at(b, p + 70, ERR) ||
      (end - p > EXT_LEN && b[p + EXT_LEN] !== 0x20)
    ) {
      return bad(rec, 'truncated kvm_exit');
    }
    rec.textStart = p;
    rec.wmask = 1 | LAZY_INFO;
    return;
  }
  q = lit(b, p, end, INFO);
  if (q < 0) {
    // The plugin may print the symbol for rip before ` info `.
    q = b.subarray(p, end).indexOf(SP_INFO);
    if (q < 0) return;
    q += p + SP_INFO.length;
  }
  if ((q = hex(b, q, end)) < 0) return bad(rec, 'truncated kvm_exit');
  rec.w1h = num.hi;
  rec.w1l = num.lo;
  if (b[q] !== 0x20 || (q = hex(b, q + 1, end)) < 0) return bad(rec, 'truncated kvm_exit');
  rec.w2h = num.hi;
  rec.w2l = num.lo;
  rec.wmask = 7;
}

/** Reads `kvm_entry` fields at `p`; sets `rec.kind` to entry or unparsed. */
export function scanEntry(b: Buffer, p: number, end: number, rec: ScanRecord): void {
  let q = lit(b, p, end, VCPU);
  if (q < 0 || (q = dec(b, q, end)) < 0) return bad(rec, 'kvm_entry without vcpu');
  rec.vcpu = num.dec;
  rec.kind = K.entry;
  if (b[q] === 0x2c) q++;
  q = skipSpaces(b, q, end);
  const r = lit(b, q, end, RIP);
  if (r < 0) return;
  // The RIP is read (and checked) when an event object is built: null there if malformed.
  rec.textStart = r;
  rec.textEnd = end;
  rec.wmask = LAZY_RIP;
  // Trailing `inj … inj_error_code …` and bracketed markers, in any order.
  for (let i = r; i < end; i++) {
    if (b[i] !== 0x5b) continue;
    if (lit(b, i, end, IMMEDIATE) > 0) rec.flag0 = true;
    else if (lit(b, i, end, GUEST) > 0) rec.flag1 = true;
  }
}

/** Whether `lit`'s first two and last four bytes (` xx…x 0x`) are at `i` (`i + lit.length` is in range). */
function at(b: Buffer, i: number, lit: Uint8Array): boolean {
  const n = lit.length;
  return (
    b[i] === lit[0] &&
    b[i + 1] === lit[1] &&
    b[i + n - 4] === lit[n - 4] &&
    b[i + n - 3] === lit[n - 3] &&
    b[i + n - 2] === 0x30 &&
    b[i + n - 1] === 0x78
  );
}

/**
 * Reads the extended layout's info1, info2, intr_info and error_code (placed by `scanExit`).
 * When a field's digits are not all hex, the fields stay unset (the event shows them as null).
 */
export function readExtendedInfo(b: Buffer, rec: ScanRecord): void {
  const p = rec.textStart;
  rec.wmask = 1;
  if (!allHex(b, p + 8, 16) || !allHex(b, p + 33, 16) || !allHex(b, p + 62, 8) || !allHex(b, p + 84, 8))
    return;
  hex(b, p + 8, p + 24);
  rec.w1h = num.hi;
  rec.w1l = num.lo;
  hex(b, p + 33, p + 49);
  rec.w2h = num.hi;
  rec.w2l = num.lo;
  hex(b, p + 62, p + 70);
  rec.n0 = num.lo;
  hex(b, p + 84, p + 92);
  rec.n1 = num.lo;
  rec.wmask = 7;
}

function bad(rec: ScanRecord, why: string): void {
  rec.kind = K.unparsed;
  rec.why = why;
}
