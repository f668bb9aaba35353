/**
 * KVM's x86 hypercall ABI and every `KVM_HC_*` number.
 *
 * Numbers and error codes: Linux `include/uapi/linux/kvm_para.h`. Purposes and argument names:
 * `Documentation/virt/kvm/x86/hypercalls.rst`. Return values and which calls x86 implements: Linux
 * `arch/x86/kvm/x86.c` (`__kvm_emulate_hypercall`, `kvm_pv_clock_pairing`) and `arch/x86/kvm/lapic.c`
 * (`kvm_pv_send_ipi`). On x86 any call from CPL > 0 returns -KVM_EPERM and any number x86 does not
 * implement returns -KVM_ENOSYS; in 32-bit mode KVM truncates the number, the arguments and the result
 * to 32 bits.
 */
import type { GpRegister, HypercallAbiInfo, HypercallArg, HypercallEntry } from './types';

const ARGS = ['rbx', 'rcx', 'rdx', 'rsi'] as const satisfies readonly GpRegister[];

export const KVM_ABI: HypercallAbiInfo = {
  abi: 'kvm',
  title: 'KVM',
  instruction: 'vmcall (Intel) or vmmcall (AMD); Linux patches one into the other at boot',
  numberRegister: 'rax',
  argumentRegisters: ARGS,
  resultRegister: 'rax',
  namePrefixes: ['KVM_HC_'],
  source: 'Linux Documentation/virt/kvm/x86/hypercalls.rst ("X86")',
};

/** `KVM_E*` (uapi kvm_para.h): a failing hypercall returns the negated value in RAX. */
export const KVM_ERRORS: ReadonlyMap<number, string> = new Map([
  [1000, 'KVM_ENOSYS'],
  [14, 'KVM_EFAULT'],
  [22, 'KVM_EINVAL'],
  [7, 'KVM_E2BIG'],
  [1, 'KVM_EPERM'],
  [95, 'KVM_EOPNOTSUPP'],
]);

const DOC = 'Linux Documentation/virt/kvm/x86/hypercalls.rst; include/uapi/linux/kvm_para.h';
const X86C = 'Linux arch/x86/kvm/x86.c __kvm_emulate_hypercall';
const NOT_X86 = 'On x86 KVM answers -KVM_ENOSYS.';

const a = (i: 0 | 1 | 2 | 3, name: string, description: string): HypercallArg => ({
  name,
  register: ARGS[i],
  description: `a${i}: ${description}`,
});

function kvm(
  number: number,
  name: string,
  args: readonly HypercallArg[],
  returns: string,
  description: string,
  source = DOC,
): HypercallEntry {
  return { abi: 'kvm', number, name, args, returns, description, source };
}

/** Every `KVM_HC_*` in kvm_para.h, in number order (the non-x86 ones included, marked as such). */
export const KVM_HYPERCALLS: readonly HypercallEntry[] = [
  kvm(
    1,
    'KVM_HC_VAPIC_POLL_IRQ',
    [],
    '0',
    'Exit to the host so it checks for pending interrupts on re-entry.',
    `${DOC}; ${X86C}`,
  ),
  kvm(
    2,
    'KVM_HC_MMU_OP',
    [
      a(0, 'bytes', 'length of the MMU-operation buffer'),
      a(1, 'addr_low', 'guest-physical address of the buffer, low part'),
      a(2, 'addr_high', 'guest-physical address of the buffer, high part (32-bit guests)'),
    ],
    '-KVM_ENOSYS on current KVM',
    'Deprecated: batched MMU operations (PTE writes, TLB flush, page-table release). ' +
      'Argument roles are from the removed kvm_pv_mmu_op() call and were not re-verified.',
  ),
  kvm(
    3,
    'KVM_HC_FEATURES',
    [],
    'the hypercall feature bitmap (PowerPC)',
    `PowerPC: enumerate hypercalls. ${NOT_X86}`,
  ),
  kvm(
    4,
    'KVM_HC_PPC_MAP_MAGIC_PAGE',
    [],
    '0 (PowerPC)',
    `PowerPC: map the shared "magic page" holding supervisor register state. ${NOT_X86}`,
  ),
  kvm(
    5,
    'KVM_HC_KICK_CPU',
    [a(0, 'flags', 'reserved for future use'), a(1, 'apicid', 'APIC ID of the vCPU to wake from HLT')],
    '0; -KVM_ENOSYS when the guest lacks KVM_FEATURE_PV_UNHALT',
    'Wake a vCPU halted in a paravirtual spinlock wait.',
    `${DOC}; ${X86C}`,
  ),
  kvm(6, 'KVM_HC_MIPS_GET_CLOCK_FREQ', [], 'the CPU clock frequency (MIPS)', `MIPS only. ${NOT_X86}`),
  kvm(7, 'KVM_HC_MIPS_EXIT_VM', [], 'does not return (MIPS)', `MIPS only: leave the VM. ${NOT_X86}`),
  kvm(8, 'KVM_HC_MIPS_CONSOLE_OUTPUT', [], 'bytes written (MIPS)', `MIPS only: console output. ${NOT_X86}`),
  kvm(
    9,
    'KVM_HC_CLOCK_PAIRING',
    [
      a(0, 'paddr', 'guest-physical address where the host writes struct kvm_clock_pairing'),
      a(1, 'clock_type', 'clock; only KVM_CLOCK_PAIRING_WALLCLOCK (0, the host CLOCK_REALTIME)'),
    ],
    '0; -KVM_EOPNOTSUPP (other clock type, host clock not TSC-based, TSC catch-up); -KVM_EFAULT',
    'Read the host wall clock together with the guest TSC at the same instant (64-bit hosts).',
    `${DOC}; Linux arch/x86/kvm/x86.c kvm_pv_clock_pairing`,
  ),
  kvm(
    10,
    'KVM_HC_SEND_IPI',
    [
      a(0, 'ipi_bitmap_low', 'destination bitmap, bits 0-63 (bit n = APIC ID min+n)'),
      a(1, 'ipi_bitmap_high', 'destination bitmap, bits 64-127'),
      a(2, 'min', 'lowest APIC ID of the bitmap'),
      a(3, 'icr', 'APIC ICR value (vector, delivery mode)'),
    ],
    'number of CPUs the IPI was delivered to; -KVM_EINVAL for a destination or shorthand in the ICR',
    'Send an IPI to up to 128 vCPUs at once (64 in 32-bit mode).',
    `${DOC}; Linux arch/x86/kvm/lapic.c kvm_pv_send_ipi`,
  ),
  kvm(
    11,
    'KVM_HC_SCHED_YIELD',
    [a(0, 'dest_apicid', 'APIC ID of the preempted IPI target to yield to')],
    '0; -KVM_ENOSYS when the guest lacks KVM_FEATURE_PV_SCHED_YIELD',
    'Yield this vCPU because the target of an IPI is preempted.',
    `${DOC}; ${X86C}`,
  ),
  kvm(
    12,
    'KVM_HC_MAP_GPA_RANGE',
    [
      a(0, 'gpa', 'guest-physical address of the first page'),
      a(1, 'npages', 'number of contiguous 4 KiB pages'),
      a(2, 'attrs', 'bits 3:0 page size (0 4K, 1 2M, 2 1G), bit 4 encrypted (1) or shared (0)'),
    ],
    '0 (answered by the VMM through KVM_EXIT_HYPERCALL); -KVM_EINVAL; -KVM_ENOSYS when the VMM has not enabled it',
    'Tell the host that a GPA range changed between encrypted and shared (SEV).',
    `${DOC}; ${X86C}`,
  ),
];
