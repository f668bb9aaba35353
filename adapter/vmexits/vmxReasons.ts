/**
 * Intel VMX basic exit reasons.
 *
 * Codes and descriptions: Intel SDM Vol. 3C, Appendix C ("VMX Basic Exit Reasons", Table C-1).
 * Names: Linux `arch/x86/include/uapi/asm/vmx.h` `VMX_EXIT_REASONS`, which `kvm_exit` prints through
 * `__print_symbolic(exit_reason & 0xffff, VMX_EXIT_REASONS)` (`arch/x86/kvm/trace.h`). For codes that
 * table lacks, KVM prints `0x%lx`; their `name` here follows the SDM in the same upper-case style.
 * Aliases: `PENDING_INTERRUPT` is reason 7's name before Linux 5.5 and in libtraceevent's kvm plugin.
 * Linux 2.6.3x printed lower-case names from vmx.c's `vmx_exit_reasons_str[]` (`io_instruction`,
 * `apic_access`, ...): those that are not also SVM names in KVM's table are aliases here. The five
 * that are (`cpuid`, `hypercall`, `wbinvd`, `invlpg`, `task_switch`) cannot be told from SVM's without
 * context and stay SVM.
 */
import { row, type ExitReasonInfo } from './reasonTypes';

/** Bit 31 of the VMX exit-reason field: the exit is a VM-entry failure (SDM Vol. 3C §28.2.1). */
export const VMX_FAILED_VMENTRY = 0x80000000;

/** `VMX_EXIT_REASON_FLAGS` (uapi vmx.h): the flag names `kvm_exit` appends after the basic reason. */
export const VMX_EXIT_REASON_FLAGS: ReadonlyMap<string, number> = new Map([
  ['FAILED_VMENTRY', VMX_FAILED_VMENTRY],
]);

const K = true; // named in KVM's VMX_EXIT_REASONS
const H = false; // KVM prints the code in hex

/** Every VMX basic exit reason, in code order. */
export const VMX_EXIT_REASONS: readonly ExitReasonInfo[] = [
  row('vmx', 0, 'EXCEPTION_NMI', K, 'Exception or non-maskable interrupt (NMI)', ['exception']),
  row('vmx', 1, 'EXTERNAL_INTERRUPT', K, 'External interrupt', ['ext_irq']),
  row('vmx', 2, 'TRIPLE_FAULT', K, 'Triple fault', ['triple_fault']),
  row('vmx', 3, 'INIT_SIGNAL', K, 'INIT signal'),
  row('vmx', 4, 'SIPI_SIGNAL', K, 'Start-up IPI (SIPI)'),
  row('vmx', 5, 'IO_SMI', H, 'I/O system-management interrupt (SMI)'),
  row('vmx', 6, 'OTHER_SMI', H, 'Other SMI'),
  row('vmx', 7, 'INTERRUPT_WINDOW', K, 'Interrupt window', ['PENDING_INTERRUPT', 'interrupt_window']),
  row('vmx', 8, 'NMI_WINDOW', K, 'NMI window', ['nmi_window']),
  row('vmx', 9, 'TASK_SWITCH', K, 'Task switch'),
  row('vmx', 10, 'CPUID', K, 'CPUID'),
  row('vmx', 11, 'GETSEC', H, 'GETSEC'),
  row('vmx', 12, 'HLT', K, 'HLT', ['halt']),
  row('vmx', 13, 'INVD', K, 'INVD'),
  row('vmx', 14, 'INVLPG', K, 'INVLPG'),
  row('vmx', 15, 'RDPMC', K, 'RDPMC'),
  row('vmx', 16, 'RDTSC', K, 'RDTSC'),
  row('vmx', 17, 'RSM', H, 'RSM (in SMM)'),
  row('vmx', 18, 'VMCALL', K, 'VMCALL'),
  row('vmx', 19, 'VMCLEAR', K, 'VMCLEAR'),
  row('vmx', 20, 'VMLAUNCH', K, 'VMLAUNCH'),
  row('vmx', 21, 'VMPTRLD', K, 'VMPTRLD'),
  row('vmx', 22, 'VMPTRST', K, 'VMPTRST'),
  row('vmx', 23, 'VMREAD', K, 'VMREAD'),
  row('vmx', 24, 'VMRESUME', K, 'VMRESUME'),
  row('vmx', 25, 'VMWRITE', K, 'VMWRITE'),
  row('vmx', 26, 'VMOFF', K, 'VMXOFF'),
  row('vmx', 27, 'VMON', K, 'VMXON'),
  row('vmx', 28, 'CR_ACCESS', K, 'Control-register accesses (MOV CR, CLTS, LMSW)', ['cr_access']),
  row('vmx', 29, 'DR_ACCESS', K, 'MOV DR', ['dr_access']),
  row('vmx', 30, 'IO_INSTRUCTION', K, 'I/O instruction (IN, OUT, INS, OUTS)', ['io_instruction']),
  row('vmx', 31, 'MSR_READ', K, 'RDMSR', ['rdmsr']),
  row('vmx', 32, 'MSR_WRITE', K, 'WRMSR', ['wrmsr']),
  row('vmx', 33, 'INVALID_STATE', K, 'VM-entry failure due to invalid guest state'),
  row('vmx', 34, 'MSR_LOAD_FAIL', K, 'VM-entry failure due to MSR loading'),
  row('vmx', 36, 'MWAIT_INSTRUCTION', K, 'MWAIT'),
  row('vmx', 37, 'MONITOR_TRAP_FLAG', K, 'Monitor trap flag'),
  row('vmx', 39, 'MONITOR_INSTRUCTION', K, 'MONITOR'),
  row('vmx', 40, 'PAUSE_INSTRUCTION', K, 'PAUSE'),
  row('vmx', 41, 'MCE_DURING_VMENTRY', K, 'VM-entry failure due to machine-check event'),
  row('vmx', 43, 'TPR_BELOW_THRESHOLD', K, 'TPR below threshold', ['tpr_below_thres']),
  row('vmx', 44, 'APIC_ACCESS', K, 'APIC access', ['apic_access']),
  row('vmx', 45, 'EOI_INDUCED', K, 'Virtualized EOI'),
  row('vmx', 46, 'GDTR_IDTR', K, 'Access to GDTR or IDTR (LGDT, LIDT, SGDT, SIDT)'),
  row('vmx', 47, 'LDTR_TR', K, 'Access to LDTR or TR (LLDT, LTR, SLDT, STR)'),
  row('vmx', 48, 'EPT_VIOLATION', K, 'EPT violation', ['ept_violation']),
  row('vmx', 49, 'EPT_MISCONFIG', K, 'EPT misconfiguration'),
  row('vmx', 50, 'INVEPT', K, 'INVEPT'),
  row('vmx', 51, 'RDTSCP', K, 'RDTSCP'),
  row('vmx', 52, 'PREEMPTION_TIMER', K, 'VMX-preemption timer expired'),
  row('vmx', 53, 'INVVPID', K, 'INVVPID'),
  row('vmx', 54, 'WBINVD', K, 'WBINVD or WBNOINVD'),
  row('vmx', 55, 'XSETBV', K, 'XSETBV'),
  row('vmx', 56, 'APIC_WRITE', K, 'APIC write (trap-like virtualized write)'),
  row('vmx', 57, 'RDRAND', K, 'RDRAND'),
  row('vmx', 58, 'INVPCID', K, 'INVPCID'),
  row('vmx', 59, 'VMFUNC', K, 'VMFUNC'),
  row('vmx', 60, 'ENCLS', K, 'ENCLS'),
  row('vmx', 61, 'RDSEED', K, 'RDSEED'),
  row('vmx', 62, 'PML_FULL', K, 'Page-modification log full'),
  row('vmx', 63, 'XSAVES', K, 'XSAVES'),
  row('vmx', 64, 'XRSTORS', K, 'XRSTORS'),
  row('vmx', 65, 'PCONFIG', H, 'PCONFIG'),
  row('vmx', 66, 'SPP_EVENT', H, 'SPP-related event (sub-page write protection)'),
  row('vmx', 67, 'UMWAIT', K, 'UMWAIT'),
  row('vmx', 68, 'TPAUSE', K, 'TPAUSE'),
  row('vmx', 69, 'LOADIWKEY', H, 'LOADIWKEY'),
  row('vmx', 70, 'ENCLV', H, 'ENCLV'),
  row('vmx', 72, 'ENQCMD_PASID_FAIL', H, 'ENQCMD PASID translation failure'),
  row('vmx', 73, 'ENQCMDS_PASID_FAIL', H, 'ENQCMDS PASID translation failure'),
  row('vmx', 74, 'BUS_LOCK', K, 'Bus lock'),
  row('vmx', 75, 'NOTIFY', K, 'Instruction timeout (notify window expired)'),
  row('vmx', 76, 'SEAMCALL', H, 'SEAMCALL'),
  row('vmx', 77, 'TDCALL', K, 'TDCALL'),
  row('vmx', 78, 'RDMSRLIST', H, 'RDMSRLIST'),
  row('vmx', 79, 'WRMSRLIST', H, 'WRMSRLIST'),
  row('vmx', 80, 'URDMSR', H, 'URDMSR'),
  row('vmx', 81, 'UWRMSR', H, 'UWRMSR'),
  row('vmx', 84, 'MSR_READ_IMM', K, 'RDMSR with an immediate MSR index'),
  row('vmx', 85, 'MSR_WRITE_IMM', K, 'WRMSRNS with an immediate MSR index'),
];
