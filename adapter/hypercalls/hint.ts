/**
 * Which hypervisor a guest runs on, from what the guest itself recorded.
 *
 * `pv_info.name` values set by Linux: "KVM" (arch/x86/kernel/kvm.c), "Xen" (PV, arch/x86/xen/enlighten_pv.c),
 * "Xen HVM" and "Xen PVH" (arch/x86/xen/enlighten_hvm.c), "Hyper-V" (arch/x86/kernel/cpu/mshyperv.c),
 * "VMware hypervisor" (arch/x86/kernel/cpu/vmware.c); "bare hardware" otherwise. The lguest ("lguest") and
 * VMI names are matched loosely; their exact strings were not verified. CPUID leaf 0x40000000 signatures
 * (EBX, ECX, EDX as 12 characters): "KVMKVMKVM\0\0\0", "XenVMMXenVMM", "Microsoft Hv", "VMwareVMware".
 */
import type { HypervisorHint } from './types';

/** The hint for a Linux guest's `pv_info.name`, or undefined (bare hardware, unknown). */
export function hintFromPvInfoName(name: string): HypervisorHint | undefined {
  const n = name.trim();
  if (n === 'KVM') return 'kvm';
  if (/^Xen\b/.test(n)) return 'xen';
  if (n === 'Hyper-V') return 'hyperv';
  if (/^VMware/i.test(n)) return 'vmware';
  if (/^lguest/i.test(n)) return 'lguest';
  if (/^vmi\b/i.test(n)) return 'vmi';
  return undefined;
}

/** The hint for a CPUID 0x40000000 vendor signature (trailing NULs ignored), or undefined. */
export function hintFromCpuidSignature(signature: string): HypervisorHint | undefined {
  const s = signature.replace(/\0+$/, '');
  switch (s) {
    case 'KVMKVMKVM':
      return 'kvm';
    case 'XenVMMXenVMM':
      return 'xen';
    case 'Microsoft Hv':
      return 'hyperv';
    case 'VMwareVMware':
      return 'vmware';
    default:
      return undefined;
  }
}
