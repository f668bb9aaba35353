/**
 * Control-register and MSR exits: VMX CR-access exit qualification (Intel SDM Vol. 3C §28.2.1,
 * Table 28-3, "Exit Qualification for Control-Register Accesses"), SVM CR-intercept EXITINFO1
 * with decode assists (AMD APM Vol. 2 §15.33.1: bit 63 = MOV CRx, bits 3:0 = GPR), SVM MSR
 * EXITINFO1 (APM Vol. 2 §15.11: 0 = RDMSR, 1 = WRMSR) and VMX MSR exits (the index is in ECX, not
 * in the qualification, except for the immediate forms, reasons 84/85, whose qualification is it).
 */

/** GPR names by the 4-bit register number both manuals use. */
export const GPR_NAMES: readonly string[] = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
]; // prettier-ignore

export interface CrAccess {
  readonly kind: 'cr';
  readonly cr: number;
  /** `mov-to-cr`, `mov-from-cr`, `clts`, `lmsw`; SVM: `mov` (decode assist) or `other`. */
  readonly access: 'mov-to-cr' | 'mov-from-cr' | 'clts' | 'lmsw' | 'mov' | 'other';
  /** The general-purpose register of a MOV, else null. */
  readonly gpr: string | null;
  /** VMX LMSW: the source operand (bits 31:16), else null. */
  readonly lmswData: number | null;
  /** VMX LMSW: operand in memory (bit 6). */
  readonly lmswMemory: boolean;
}

const VMX_CR_ACCESS = ['mov-to-cr', 'mov-from-cr', 'clts', 'lmsw'] as const;

/** Decodes a VMX control-register-access qualification: bits 3:0 CR, 5:4 type, 6 LMSW operand, 11:8 GPR, 31:16 LMSW data. */
export function decodeVmxCrAccess(qualification: bigint): CrAccess {
  const q = Number(qualification & 0xffffffffn);
  const access = VMX_CR_ACCESS[(q >>> 4) & 3] ?? 'mov-to-cr';
  const mov = access === 'mov-to-cr' || access === 'mov-from-cr';
  return {
    kind: 'cr',
    cr: q & 0xf,
    access,
    gpr: mov ? (GPR_NAMES[(q >>> 8) & 0xf] ?? null) : null,
    lmswData: access === 'lmsw' ? (q >>> 16) & 0xffff : null,
    lmswMemory: access === 'lmsw' && (q & 0x40) !== 0,
  };
}

/** Decodes SVM CR read/write EXITINFO1 for control register `cr` (from the exit code). */
export function decodeSvmCrAccess(cr: number, exitInfo1: bigint): CrAccess {
  const mov = ((exitInfo1 >> 63n) & 1n) === 1n;
  return {
    kind: 'cr',
    cr,
    access: mov ? 'mov' : 'other',
    gpr: mov ? (GPR_NAMES[Number(exitInfo1 & 0xfn)] ?? null) : null,
    lmswData: null,
    lmswMemory: false,
  };
}

export interface MsrAccess {
  readonly kind: 'msr';
  readonly write: boolean;
  /** The MSR index when the exit information carries it (VMX immediate forms), else null. */
  readonly msr: number | null;
}

/** SVM MSR intercept: EXITINFO1 0 = RDMSR, 1 = WRMSR. */
export function decodeSvmMsr(exitInfo1: bigint): MsrAccess {
  return { kind: 'msr', write: (exitInfo1 & 1n) === 1n, msr: null };
}

/** VMX MSR exits: reason 31/32 (index in ECX) or 84/85 (index in the qualification). */
export function decodeVmxMsr(reason: number, qualification: bigint): MsrAccess {
  const write = reason === 32 || reason === 85;
  const imm = reason === 84 || reason === 85;
  return { kind: 'msr', write, msr: imm ? Number(qualification & 0xffffffffn) : null };
}
