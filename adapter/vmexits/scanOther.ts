/**
 * Fields of the other KVM tracepoints, as printed by their `TP_printk` formats in Linux
 * `arch/x86/kvm/trace.h` (kvm_hypercall, kvm_pio, kvm_msr, kvm_cr, kvm_page_fault) and
 * `include/trace/events/kvm.h` (kvm_mmio, kvm_userspace_exit). Each reader sets `rec.kind` to its
 * kind, or to unparsed with `rec.why`.
 */
import { ascii, dec, hex, lit, num, sdec, skipSpaces } from './bytes';
import { K, type ScanRecord } from './record';

const NR = ascii('nr ');
const A = [ascii(' a0 '), ascii(' a1 '), ascii(' a2 '), ascii(' a3 ')];
const PIO = ascii('pio_');
const READ = ascii('read');
const WRITE = ascii('write');
const AT = ascii(' at ');
const SIZE = ascii(' size ');
const COUNT = ascii(' count ');
const VAL = ascii(' val ');
const MMIO = ascii('mmio ');
const LEN = ascii(' len ');
const GPA = ascii(' gpa ');
const MSR = ascii('msr_');
const CR = ascii('cr_');
const EQ = ascii(' = ');
const GP = ascii(' (#GP)');
const VCPU = ascii('vcpu ');
const RIP = ascii(' rip ');
const ADDRESS = ascii('address ');
const ERROR_CODE = ascii(' error_code ');
const REASON = ascii('reason ');

/** `nr 0x%lx a0 0x%lx a1 0x%lx a2 0x%lx a3 0x%lx` → w0 nr, w1..w4 a0..a3. */
export function scanHypercall(b: Buffer, p: number, end: number, rec: ScanRecord): void {
  let q = lit(b, p, end, NR);
  if (q < 0 || (q = hex(b, q, end)) < 0) return bad(rec, 'bad kvm_hypercall');
  rec.w0h = num.hi;
  rec.w0l = num.lo;
  for (let i = 0; i < 4; i++) {
    if ((q = lit(b, q, end, A[i] as Uint8Array)) < 0 || (q = hex(b, q, end)) < 0) {
      return bad(rec, 'truncated kvm_hypercall');
    }
    if (i === 0) [rec.w1h, rec.w1l] = [num.hi, num.lo];
    else if (i === 1) [rec.w2h, rec.w2l] = [num.hi, num.lo];
    else if (i === 2) [rec.w3h, rec.w3l] = [num.hi, num.lo];
    else [rec.w4h, rec.w4l] = [num.hi, num.lo];
  }
  rec.wmask = 31;
  rec.kind = K.hypercall;
}

/** Reads `read` or `write` at `q` into `rec.flag0` (write); -1 if neither. */
function readWrite(b: Buffer, q: number, end: number, rec: ScanRecord): number {
  let r = lit(b, q, end, READ);
  if (r >= 0) {
    rec.flag0 = false;
    return r;
  }
  r = lit(b, q, end, WRITE);
  rec.flag0 = true;
  return r;
}

/** `pio_%s at 0x%x size %d count %d[ val 0x%x %s]`. */
export function scanPio(b: Buffer, p: number, end: number, rec: ScanRecord): void {
  let q = lit(b, p, end, PIO);
  if (q < 0 || (q = readWrite(b, q, end, rec)) < 0) return bad(rec, 'bad kvm_pio');
  if ((q = lit(b, q, end, AT)) < 0 || (q = hex(b, q, end)) < 0 || num.hi !== 0)
    return bad(rec, 'bad kvm_pio');
  rec.n0 = num.lo;
  if ((q = lit(b, q, end, SIZE)) < 0 || (q = dec(b, q, end)) < 0) return bad(rec, 'truncated kvm_pio');
  rec.n1 = num.dec;
  if ((q = lit(b, q, end, COUNT)) < 0 || (q = dec(b, q, end)) < 0) return bad(rec, 'truncated kvm_pio');
  rec.n2 = num.dec;
  if (skipSpaces(b, q, end) < end) {
    if ((q = lit(b, q, end, VAL)) < 0 || (q = hex(b, q, end)) < 0) return bad(rec, 'truncated kvm_pio');
    rec.n3 = num.lo;
    rec.flag1 = true;
  }
  rec.kind = K.pio;
}

/** `mmio %s len %u gpa 0x%llx val 0x%llx` → text access, n0 len, w0 gpa, w1 val. */
export function scanMmio(b: Buffer, p: number, end: number, rec: ScanRecord): void {
  let q = lit(b, p, end, MMIO);
  if (q < 0) return bad(rec, 'bad kvm_mmio');
  rec.textStart = q;
  while (q < end && b[q] !== 0x20) q++;
  rec.textEnd = q;
  if (q === rec.textStart) return bad(rec, 'bad kvm_mmio');
  if ((q = lit(b, q, end, LEN)) < 0 || (q = dec(b, q, end)) < 0) return bad(rec, 'truncated kvm_mmio');
  rec.n0 = num.dec;
  if ((q = lit(b, q, end, GPA)) < 0 || (q = hex(b, q, end)) < 0) return bad(rec, 'truncated kvm_mmio');
  rec.w0h = num.hi;
  rec.w0l = num.lo;
  rec.wmask = 1;
  if ((q = lit(b, q, end, VAL)) >= 0 && (q = hex(b, q, end)) >= 0) {
    rec.w1h = num.hi;
    rec.w1l = num.lo;
    rec.wmask = 3;
  }
  rec.kind = K.mmio;
}

/** `msr_%s %x = 0x%llx%s` and `cr_%s %x = 0x%lx` → flag0 write, n0 index, w0 value, flag1 #GP. */
export function scanMsrCr(b: Buffer, p: number, end: number, rec: ScanRecord, isCr: boolean): void {
  const what = isCr ? 'kvm_cr' : 'kvm_msr';
  let q = lit(b, p, end, isCr ? CR : MSR);
  if (q < 0 || (q = readWrite(b, q, end, rec)) < 0 || b[q] !== 0x20) return bad(rec, `bad ${what}`);
  if ((q = hex(b, q + 1, end)) < 0 || num.hi !== 0) return bad(rec, `bad ${what}`);
  rec.n0 = num.lo;
  if ((q = lit(b, q, end, EQ)) < 0 || (q = hex(b, q, end)) < 0) return bad(rec, `truncated ${what}`);
  rec.w0h = num.hi;
  rec.w0l = num.lo;
  rec.wmask = 1;
  rec.flag1 = !isCr && lit(b, q, end, GP) >= 0;
  rec.kind = isCr ? K.cr : K.msr;
}

/** `[vcpu %u rip 0x%lx ]address %lx error_code %x` → vcpu, w0 rip, w1 address, w2 error code. */
export function scanPageFault(b: Buffer, p: number, end: number, rec: ScanRecord): void {
  let q = lit(b, p, end, VCPU);
  if (q >= 0) {
    if ((q = dec(b, q, end)) < 0) return bad(rec, 'bad kvm_page_fault');
    rec.vcpu = num.dec;
    if ((q = lit(b, q, end, RIP)) < 0 || (q = hex(b, q, end)) < 0) return bad(rec, 'bad kvm_page_fault');
    rec.w0h = num.hi;
    rec.w0l = num.lo;
    rec.wmask = 1;
    p = skipSpaces(b, q, end);
  }
  if ((q = lit(b, p, end, ADDRESS)) < 0 || (q = hex(b, q, end)) < 0) return bad(rec, 'bad kvm_page_fault');
  rec.w1h = num.hi;
  rec.w1l = num.lo;
  if ((q = lit(b, q, end, ERROR_CODE)) < 0 || (q = hex(b, q, end)) < 0) {
    return bad(rec, 'truncated kvm_page_fault');
  }
  rec.w2h = num.hi;
  rec.w2l = num.lo;
  rec.wmask |= 6;
  rec.kind = K.pageFault;
}

/** `reason %s (%d)` → text reason, n0 code. */
export function scanUserspaceExit(b: Buffer, p: number, end: number, rec: ScanRecord): void {
  let q = lit(b, p, end, REASON);
  if (q < 0) return bad(rec, 'bad kvm_userspace_exit');
  rec.textStart = q;
  while (q < end && b[q] !== 0x20) q++;
  rec.textEnd = q;
  if (q === rec.textStart || b[q + 1] !== 0x28 || (q = sdec(b, q + 2, end)) < 0 || b[q] !== 0x29) {
    return bad(rec, 'truncated kvm_userspace_exit');
  }
  rec.n0 = num.dec;
  rec.kind = K.userspaceExit;
}

function bad(rec: ScanRecord, why: string): void {
  rec.kind = K.unparsed;
  rec.why = why;
}
