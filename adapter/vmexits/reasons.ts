/**
 * Lookup of VMX/SVM exit reasons by code and by the name a trace prints.
 * Tables: `vmxReasons.ts` (Intel SDM Vol. 3C, Appendix C) and `svmReasons.ts` (AMD APM Vol. 2, Appendix C).
 */
import type { ExitIsa, ExitReasonInfo } from './reasonTypes';
import { SVM_EXIT_REASONS } from './svmReasons';
import { VMX_EXIT_REASON_FLAGS, VMX_EXIT_REASONS } from './vmxReasons';

export type { ExitIsa, ExitReasonInfo } from './reasonTypes';
export { SVM_EXIT_REASONS } from './svmReasons';
export { VMX_EXIT_REASONS, VMX_FAILED_VMENTRY } from './vmxReasons';

const vmxByCode = new Map(VMX_EXIT_REASONS.map((r) => [r.code, r]));
const svmByCode = new Map(SVM_EXIT_REASONS.map((r) => [r.code, r]));
const byName = new Map<string, ExitReasonInfo>();
for (const r of [...VMX_EXIT_REASONS, ...SVM_EXIT_REASONS]) {
  for (const n of [r.name, ...r.aliases]) if (!byName.has(n)) byName.set(n, r);
}

/** The table row for a VMX basic exit reason (flags in bits 31:16 are ignored), or undefined. */
export function vmxExitReason(code: number): ExitReasonInfo | undefined {
  return vmxByCode.get(code & 0xffff);
}

/** The table row for an SVM exit code (a u32; pass -1 as 0xffffffff or -1), or undefined. */
export function svmExitReason(code: number): ExitReasonInfo | undefined {
  return svmByCode.get(code >>> 0);
}

/** The row for `code` under `isa`, or undefined. */
export function exitReason(isa: 'vmx' | 'svm', code: number): ExitReasonInfo | undefined {
  return isa === 'vmx' ? vmxExitReason(code) : svmExitReason(code);
}

/** The row whose KVM name, manual name or alias is exactly `name` (case-sensitive), or undefined. */
export function exitReasonByName(name: string): ExitReasonInfo | undefined {
  return byName.get(name);
}

/** The result of reading the text between `reason ` and ` rip` of a `kvm_exit` line. */
export interface ReasonText {
  /** Base reason: the canonical name of a known reason, else the printed base name (e.g. `0x4c`). */
  readonly name: string;
  readonly isa: ExitIsa;
  /** Code when known from the tables, a hex name, or libtraceevent's `UNKNOWN (n)`; else null. */
  readonly code: number | null;
  /** The table row, when the name was found. */
  readonly info: ExitReasonInfo | null;
  /** VMX flag bits printed after the name (`FAILED_VMENTRY`, or leftover bits in hex). */
  readonly flags: number;
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const HEX_RE = /^0x[0-9a-fA-F]{1,8}$/;
const EXCP_RE = /^[A-Z][A-Z0-9]{1,5} excp$/;
const UNKNOWN_RE = /^UNKNOWN \((\d{1,10})\)$/;

/** KVM's tables spell VMX reasons in upper case and SVM reasons in lower case. */
function guessIsa(name: string): ExitIsa {
  if (/^[A-Z0-9_]+$/.test(name)) return 'vmx';
  if (/^[a-z0-9_-]+$/.test(name)) return 'svm';
  return 'unknown';
}

/**
 * Reads a `kvm_exit` reason text: `EPT_VIOLATION`, `INVALID_STATE FAILED_VMENTRY`, `PF excp`, `npf`,
 * `0x4c` (a code KVM's table lacks), `UNKNOWN (123)` (libtraceevent's kvm plugin), `EXIT_IOIO` (plugin).
 * @returns null when the text is not a well-formed reason (garbage, empty, bad flags).
 */
export function readReasonText(text: string): ReasonText | null {
  const unk = UNKNOWN_RE.exec(text);
  if (unk !== null) {
    const code = Number(unk[1]);
    return code <= 0xffffffff ? { name: text, isa: 'unknown', code, info: null, flags: 0 } : null;
  }
  const parts = text.split(' ');
  let base = parts[0] ?? '';
  let rest = 1;
  if (parts.length >= 2 && EXCP_RE.test(`${base} ${parts[1] ?? ''}`)) {
    base = `${base} excp`;
    rest = 2;
  }
  let flags = 0;
  for (let i = rest; i < parts.length; i++) {
    const p = parts[i] ?? '';
    const f = VMX_EXIT_REASON_FLAGS.get(p);
    if (f !== undefined) flags |= f;
    else if (HEX_RE.test(p)) flags |= Number.parseInt(p, 16);
    else return null;
  }
  flags >>>= 0;
  const info = byName.get(base);
  if (info !== undefined) return { name: info.name, isa: info.isa, code: info.code, info, flags };
  if (HEX_RE.test(base)) {
    return { name: base, isa: 'unknown', code: Number.parseInt(base, 16), info: null, flags };
  }
  if (rest === 2 || NAME_RE.test(base))
    return { name: base, isa: guessIsa(base), code: null, info: null, flags };
  return null;
}
