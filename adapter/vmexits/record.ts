/**
 * The scanner's reusable, allocation-free view of one line. `scanLine` fills it; the aggregator
 * reads it directly and `materialize` turns it into a `TraceEvent` when a caller wants objects.
 */
import type { InternedReason } from './reasonIntern';

/** Line kinds (`ScanRecord.kind`). */
export const K = {
  blank: 0,
  comment: 1,
  header: 2,
  unparsed: 3,
  lost: 4,
  other: 5,
  exit: 6,
  entry: 7,
  hypercall: 8,
  pio: 9,
  mmio: 10,
  msr: 11,
  cr: 12,
  pageFault: 13,
  userspaceExit: 14,
} as const;

/** `kvm_exit` layouts (`ScanRecord.layout`), see `ExitLayout`. */
export const LAYOUT = { legacy: 0, vcpu: 1, extended: 2 } as const;

/**
 * Field use by kind (64-bit values as u32 halves `wNh`/`wNl`, present when bit N of `wmask` is set):
 * - exit: vcpu, reason, layout, w0 rip, w1 info1, w2 info2, n0 intr_info, n1 error_code (extended);
 * - entry: vcpu, w0 rip, flag0 immediate exit, flag1 guest mode;
 * - hypercall: w0 nr, w1..w4 a0..a3;
 * - pio: flag0 write, n0 port, n1 size, n2 count, n3 val (if flag1);
 * - mmio: text access (`textStart/End`), n0 len, w0 gpa, w1 val;
 * - msr: flag0 write, n0 msr, w0 data, flag1 #GP;  cr: flag0 write, n0 cr, w0 val;
 * - pageFault: vcpu, w0 rip, w1 address, w2 error code;
 * - userspaceExit: text reason, n0 code;  other: name (`nameStart/End`);
 * - lost: n0 count (-1 unknown), cpu;  unparsed: why.
 */
export class ScanRecord {
  kind: number = K.blank;
  lineNo = 0;
  commStart = 0;
  commEnd = 0;
  pid = -1;
  tgid = -1;
  cpu = -1;
  tsNs = 0;
  nameStart = 0;
  nameEnd = 0;
  textStart = 0;
  textEnd = 0;
  vcpu = -1;
  reason: InternedReason | null = null;
  layout = 0;
  wmask = 0;
  w0h = 0;
  w0l = 0;
  w1h = 0;
  w1l = 0;
  w2h = 0;
  w2l = 0;
  w3h = 0;
  w3l = 0;
  w4h = 0;
  w4l = 0;
  n0 = -1;
  n1 = -1;
  n2 = -1;
  n3 = -1;
  flag0 = false;
  flag1 = false;
  why = '';
  /** Offset of the previous line's `[cpu]` from its start (kept across lines; see `scanPrefix`). */
  cpuHint = 0;

  /** Clears the per-event fields before a line is scanned. */
  reset(lineNo: number): void {
    this.kind = K.blank;
    this.lineNo = lineNo;
    this.pid = -1;
    this.tgid = -1;
    this.cpu = -1;
    this.tsNs = 0;
    this.vcpu = -1;
    this.reason = null;
    this.layout = 0;
    this.wmask = 0;
    this.n0 = -1;
    this.n1 = -1;
    this.n2 = -1;
    this.n3 = -1;
    this.flag0 = false;
    this.flag1 = false;
    this.why = '';
  }
}
