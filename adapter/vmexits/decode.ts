/**
 * Decodes the exit information of the common exits from a `kvm_exit` event: `info1` is the VMX
 * exit qualification or SVM EXITINFO1, `info2` the SVM EXITINFO2 (KVM's `get_exit_info`,
 * `arch/x86/kvm/vmx/vmx.c` / `svm/svm.c`). Also decodes interruption-information words
 * (`intr_info`; Intel SDM Vol. 3C §25.9.2 Table 25-17, AMD APM Vol. 2 §15.7.2 EXITINTINFO).
 */
import {
  decodeSvmCrAccess,
  decodeSvmMsr,
  decodeVmxCrAccess,
  decodeVmxMsr,
  type CrAccess,
  type MsrAccess,
} from './decodeCrMsr';
import { decodeSvmIo, decodeVmxIo, type IoAccess } from './decodeIo';
import {
  decodeEptViolation,
  decodeNestedPageFault,
  type EptViolation,
  type NestedPageFault,
} from './decodePaging';
import type { ExitEvent } from './events';

export type ExitInfo = IoAccess | EptViolation | NestedPageFault | CrAccess | MsrAccess;

export * from './decodeCrMsr';
export * from './decodeIo';
export * from './decodePaging';

/**
 * The decoded exit information for I/O, EPT violation, NPF, CR access and MSR exits; null for
 * other reasons, an unknown ISA, or an event without `info1`.
 */
export function decodeExitInfo(ev: Pick<ExitEvent, 'isa' | 'code' | 'info1' | 'info2'>): ExitInfo | null {
  const { isa, code, info1, info2 } = ev;
  if (code === null || info1 === null) return null;
  if (isa === 'vmx') {
    switch (code & 0xffff) {
      case 30:
        return decodeVmxIo(info1);
      case 48:
        return decodeEptViolation(info1);
      case 28:
        return decodeVmxCrAccess(info1);
      case 31:
      case 32:
      case 84:
      case 85:
        return decodeVmxMsr(code & 0xffff, info1);
      default:
        return null;
    }
  }
  if (isa === 'svm') {
    if (code === 0x7b) return decodeSvmIo(info1, info2);
    if (code === 0x400) return decodeNestedPageFault(info1, info2);
    if (code === 0x7c) return decodeSvmMsr(info1);
    if (code < 0x20) return decodeSvmCrAccess(code & 0xf, info1);
  }
  return null;
}

export interface InterruptionInfo {
  readonly valid: boolean;
  readonly vector: number;
  /** Event type (bits 10:8), named for VMX (SVM uses 0 INTR, 2 NMI, 3 exception, 4 software int). */
  readonly type: string;
  readonly errorCodeValid: boolean;
  /** VMX bit 12: NMI unblocking due to IRET. */
  readonly nmiUnblocking: boolean;
}

const VMX_TYPES = [
  'external interrupt', 'reserved', 'NMI', 'hardware exception',
  'software interrupt', 'privileged software exception', 'software exception', 'other event',
]; // prettier-ignore
const SVM_TYPES = [
  'INTR',
  'reserved',
  'NMI',
  'exception',
  'software interrupt',
  'reserved',
  'reserved',
  'reserved',
];

/** Decodes a VMX interruption-information field or SVM EXITINTINFO (low 32 bits). */
export function decodeInterruptionInfo(isa: 'vmx' | 'svm', info: number): InterruptionInfo {
  const t = (info >>> 8) & 7;
  return {
    valid: (info & 0x80000000) !== 0,
    vector: info & 0xff,
    type: (isa === 'vmx' ? VMX_TYPES : SVM_TYPES)[t] ?? 'reserved',
    errorCodeValid: (info & 0x800) !== 0,
    nmiUnblocking: isa === 'vmx' && (info & 0x1000) !== 0,
  };
}
