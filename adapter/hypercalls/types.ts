/**
 * Shapes shared by the hypercall catalogues, the instruction decoder and the call describer.
 */

/** The hypercall ABIs hvdbg knows: four live ones and two that Linux no longer carries. */
export type HypercallAbi = 'kvm' | 'xen' | 'hyperv' | 'vmware-backdoor' | 'lguest' | 'vmi';

/** Every ABI, in the order the UI lists them. */
export const HYPERCALL_ABIS: readonly HypercallAbi[] = [
  'kvm',
  'xen',
  'hyperv',
  'vmware-backdoor',
  'lguest',
  'vmi',
];

/**
 * A general-purpose register as gdb names it on x86 (lower case). 64-bit names for the 64-bit ABIs;
 * 32-bit names for the ABIs that only ever existed in 32-bit guests (lguest, VMI) and for VMware's backdoor,
 * whose protocol is defined on the 32-bit registers.
 */
export type GpRegister =
  | 'rax'
  | 'rbx'
  | 'rcx'
  | 'rdx'
  | 'rsi'
  | 'rdi'
  | 'rbp'
  | 'r8'
  | 'r9'
  | 'r10'
  | 'eax'
  | 'ebx'
  | 'ecx'
  | 'edx'
  | 'esi'
  | 'edi'
  | 'ebp';

/** One argument of a hypercall: its name in the source, the register carrying it, what it means. */
export interface HypercallArg {
  readonly name: string;
  readonly register: GpRegister;
  readonly description: string;
}

/** One catalogue entry. `number` is unique within its ABI's table. */
export interface HypercallEntry {
  readonly abi: HypercallAbi;
  /** The call number (KVM/Xen/lguest/VMI), call code (Hyper-V) or backdoor command (VMware). */
  readonly number: number;
  /** The name in the source, with its prefix: `KVM_HC_`, `__HYPERVISOR_`, `HvCall`, `BDOOR_CMD_`, `LHCALL_`, `VMI_CALL_`. */
  readonly name: string;
  readonly args: readonly HypercallArg[];
  /** What the result register holds afterwards. */
  readonly returns: string;
  readonly description: string;
  /** Where the number, name and arguments come from (file and, where it matters, the version). */
  readonly source: string;
  /** The Linux version that removed the interface (guest side), for historical ABIs. */
  readonly removedIn?: string;
}

/** How an ABI passes a call: instruction, number, arguments and result. */
export interface HypercallAbiInfo {
  readonly abi: HypercallAbi;
  /** Human-readable name. */
  readonly title: string;
  /** The instruction(s) that make the call. */
  readonly instruction: string;
  /** Register holding the call number or command; absent for VMI, where the call target selects the call. */
  readonly numberRegister?: GpRegister;
  /** Registers that may carry arguments, in argument order. Every catalogue argument uses one of these. */
  readonly argumentRegisters: readonly GpRegister[];
  readonly resultRegister: GpRegister;
  /** Every entry name of this ABI starts with one of these. */
  readonly namePrefixes: readonly string[];
  readonly source: string;
  readonly removedIn?: string;
}

/** Which hypervisor the guest believes it runs on (from `pv_info.name` or the CPUID 0x40000000 signature). */
export type HypervisorHint = 'kvm' | 'xen' | 'hyperv' | 'vmware' | 'lguest' | 'vmi';

/** Guest facts the decoder cannot see in the instruction bytes. All optional. */
export interface HypercallContext {
  /** Which hypervisor the guest runs on, e.g. `hintFromPvInfoName(pv_info.name)`. */
  readonly hint?: HypervisorHint;
  /** Guest-virtual address of Xen's hypercall page (Linux symbol `hypercall_page`), 4 KiB of 32-byte stubs. */
  readonly xenHypercallPage?: bigint;
  /** Guest-virtual address of the Hyper-V hypercall page (the value of Linux's `hv_hypercall_pg`). */
  readonly hypervHypercallPage?: bigint;
  /** Guest-virtual address of the pointer variable `hv_hypercall_pg` itself, for `call [hv_hypercall_pg]`. */
  readonly hypervHypercallPointer?: bigint;
  /** VMI ROM entry points: call target address -> `VMI_CALL_*` number (from the ROM's relocation info). */
  readonly vmiTargets?: ReadonlyMap<bigint, number>;
  /** Code width of the vCPU; 64 unless told (CS.L). */
  readonly bitness?: 32 | 64;
}
