/**
 * Turns a filled `ScanRecord` into a `TraceEvent` object (the only place the parser allocates
 * strings and bigints per line).
 */
import { hex, num, printable, toBig } from './bytes';
import { LAZY_INFO, LAZY_RIP, readExtendedInfo } from './scanExit';
import type { ExitLayout, LineFields, TraceEvent } from './events';
import { K, LAYOUT, type ScanRecord } from './record';

const LAYOUTS: readonly ExitLayout[] = ['legacy', 'vcpu', 'extended'];

/** Caches the last comm per pid so repeated lines share one string. */
export class CommCache {
  private readonly byPid = new Map<number, { bytes: Buffer; text: string }>();

  get(b: Buffer, start: number, end: number, pid: number): string {
    const hit = this.byPid.get(pid);
    const n = end - start;
    if (hit !== undefined && hit.bytes.length === n && hit.bytes.equals(b.subarray(start, end)))
      return hit.text;
    const text = b.toString('latin1', start, end);
    if (this.byPid.size >= 4096) this.byPid.clear();
    this.byPid.set(pid, { bytes: Buffer.from(b.subarray(start, end)), text });
    return text;
  }
}

/**
 * The event for `rec` (scanned from `b`), or null for blank, comment and header lines.
 * `line` bounds the original line, used for the text of unparsed lines.
 */
export function materialize(
  b: Buffer,
  lineStart: number,
  lineEnd: number,
  rec: ScanRecord,
  comms: CommCache,
): TraceEvent | null {
  const k = rec.kind;
  if (k === K.blank || k === K.comment || k === K.header) return null;
  if (k === K.unparsed) {
    return { kind: 'unparsed', lineNo: rec.lineNo, text: printable(b, lineStart, lineEnd), why: rec.why };
  }
  if (k === K.lost)
    return { kind: 'lost', lineNo: rec.lineNo, cpu: rec.cpu, count: rec.n0 < 0 ? null : rec.n0 };
  const base: LineFields = {
    lineNo: rec.lineNo,
    comm: comms.get(b, rec.commStart, rec.commEnd, rec.pid),
    pid: rec.pid,
    tgid: rec.tgid < 0 ? null : rec.tgid,
    cpu: rec.cpu,
    tsNs: rec.tsNs,
  };
  if ((rec.wmask & LAZY_INFO) !== 0) readExtendedInfo(b, rec);
  if ((rec.wmask & LAZY_RIP) !== 0) {
    const e = hex(b, rec.textStart, rec.textEnd);
    const ok = e >= 0 && (e === rec.textEnd || b[e] === 0x20 || b[e] === 0x5b);
    rec.w0h = num.hi;
    rec.w0l = num.lo;
    rec.wmask = ok ? 1 : 0;
  }
  const w0 = toBig(rec.w0h, rec.w0l);
  switch (k) {
    case K.exit: {
      const r = rec.reason;
      const has = (rec.wmask & 2) !== 0;
      const ext = rec.layout === LAYOUT.extended;
      return {
        ...base,
        kind: 'exit',
        vcpu: rec.vcpu < 0 ? null : rec.vcpu,
        reason: r === null ? '' : r.key.name,
        code: r === null ? null : r.key.code,
        isa: r === null ? 'unknown' : r.key.isa,
        flags: r === null ? 0 : r.flags,
        rip: w0,
        info1: has ? toBig(rec.w1h, rec.w1l) : null,
        info2: has ? toBig(rec.w2h, rec.w2l) : null,
        intrInfo: ext && has ? rec.n0 : null,
        errorCode: ext && has ? rec.n1 : null,
        layout: LAYOUTS[rec.layout] ?? 'legacy',
      };
    }
    case K.entry:
      return {
        ...base,
        kind: 'entry',
        vcpu: rec.vcpu,
        rip: (rec.wmask & 1) !== 0 ? w0 : null,
        immediateExit: rec.flag0,
        guestMode: rec.flag1,
      };
    case K.hypercall:
      return {
        ...base,
        kind: 'hypercall',
        nr: w0,
        a0: toBig(rec.w1h, rec.w1l),
        a1: toBig(rec.w2h, rec.w2l),
        a2: toBig(rec.w3h, rec.w3l),
        a3: toBig(rec.w4h, rec.w4l),
      };
    case K.pio:
      return {
        ...base,
        kind: 'pio',
        write: rec.flag0,
        port: rec.n0,
        size: rec.n1,
        count: rec.n2,
        val: rec.flag1 ? rec.n3 : null,
      };
    case K.mmio:
      return {
        ...base,
        kind: 'mmio',
        access: b.toString('latin1', rec.textStart, rec.textEnd),
        len: rec.n0,
        gpa: w0,
        val: (rec.wmask & 2) !== 0 ? toBig(rec.w1h, rec.w1l) : null,
      };
    case K.msr:
      return { ...base, kind: 'msr', write: rec.flag0, msr: rec.n0, data: w0, gp: rec.flag1 };
    case K.cr:
      return { ...base, kind: 'cr', write: rec.flag0, cr: rec.n0, val: w0 };
    case K.pageFault:
      return {
        ...base,
        kind: 'page_fault',
        vcpu: rec.vcpu < 0 ? null : rec.vcpu,
        rip: (rec.wmask & 1) !== 0 ? w0 : null,
        address: toBig(rec.w1h, rec.w1l),
        errorCode: toBig(rec.w2h, rec.w2l),
      };
    case K.userspaceExit:
      return {
        ...base,
        kind: 'userspace_exit',
        reason: b.toString('latin1', rec.textStart, rec.textEnd),
        code: rec.n0,
      };
    default:
      return { ...base, kind: 'other', name: b.toString('latin1', rec.nameStart, rec.nameEnd) };
  }
}
