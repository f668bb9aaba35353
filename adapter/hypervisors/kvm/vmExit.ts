/**
 * The VM exit a vCPU's KVM is handling, from KVM's own structures, as the VM Exit scope shows it.
 *
 * SVM: the VMCB's control area, `((struct vcpu_svm *)vcpu)->vmcb->control.exit_code`, `exit_info_1`,
 * `exit_info_2` (AMD APM Vol. 2 §15.6 and Appendix B; `struct kvm_vcpu` is the first member of
 * `struct vcpu_svm`, Linux `arch/x86/kvm/svm/svm.h`). VMX: KVM's saved copies, `vmx->exit_reason.full`
 * and `vmx->exit_qualification` (Linux `arch/x86/kvm/vmx/vmx.h`; the qualification is cached only once
 * KVM read it for this exit). Reason names: adapter/vmexits (AMD APM Vol. 2 App. C, Intel SDM Vol. 3C
 * App. C).
 */
import type { VmExitInfo } from '../../protocol/hypercallRequests';
import { describeExitInfo } from '../../vmexits/describeInfo';
import { decodeExitInfo } from '../../vmexits/decode';
import { exitReason } from '../../vmexits/reasons';
import { hex } from '../../hypercalls/registers';

/**
 * VMCB control-area offsets of EXITCODE, EXITINFO1, EXITINFO2 (AMD APM Vol. 2, Appendix B, Table B-1):
 * architectural, so only the offset of `vmcb` in KVM's `struct vcpu_svm` needs the debug info.
 */
export const VMCB_EXIT_CODE = 0x70;
export const VMCB_EXIT_INFO_1 = 0x78;
export const VMCB_EXIT_INFO_2 = 0x80;

/** The gdb expressions giving the offsets (in bytes) of KVM's fields, evaluated once per session. */
export const KVM_OFFSET_EXPRESSIONS = {
  svmVmcb: '(unsigned long)&((struct vcpu_svm *)0)->vmcb',
  vmxExitReason: '(unsigned long)&((struct vcpu_vmx *)0)->exit_reason',
  vmxExitQualification: '(unsigned long)&((struct vcpu_vmx *)0)->exit_qualification',
} as const;

/** EXITCODE, EXITINFO1, EXITINFO2 from the 24 bytes of a VMCB at offset 0x70 (little-endian). */
export function parseVmcbExit(bytes: Uint8Array): { code: number; info1: bigint; info2: bigint } {
  if (bytes.length < 24)
    throw new Error(`the VMCB exit fields were not readable (${bytes.length} of 24 bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    code: view.getUint32(0, true),
    info1: view.getBigUint64(8, true),
    info2: view.getBigUint64(16, true),
  };
}

/** Names and decodes an exit read from KVM's structures. */
export function describeVmExit(
  isa: 'svm' | 'vmx',
  code: number,
  info1: bigint | undefined,
  info2: bigint | undefined,
  from: string,
  frame: { function: string; level: number },
): VmExitInfo {
  const row = exitReason(isa, code);
  const alias = row?.aliases.find((a) => a.startsWith('EXIT_'));
  const name =
    row === undefined ? hex(code >>> 0) : isa === 'svm' && alias !== undefined ? alias.slice(5) : row.name;
  const decoded = info1 === undefined ? null : decodeExitInfo({ isa, code, info1, info2: info2 ?? null });
  return {
    isa,
    code: hex(code >>> 0),
    name,
    ...(row === undefined ? {} : { traceName: row.name, description: row.description }),
    ...(info1 === undefined ? {} : { info1: hex(info1) }),
    ...(info2 === undefined ? {} : { info2: hex(info2) }),
    ...(decoded === null ? {} : { infoText: describeExitInfo(decoded) }),
    from,
    frame,
  };
}
