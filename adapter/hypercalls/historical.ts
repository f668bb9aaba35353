/**
 * Hypercall ABIs Linux no longer carries, kept because old guests and old records still show them.
 *
 * lguest (32-bit x86, removed in Linux 4.14): `int $0x1f` (`LGUEST_TRAP_ENTRY`), number in EAX, arguments
 * in EBX, ECX, EDX, ESI, result in EAX. Numbers: Linux 4.13 `arch/x86/include/asm/lguest_hcall.h`;
 * `LHCALL_NOTIFY` (17) from the same header in 3.x kernels. Between 2.6.2x and 3.x the guest also issued
 * KVM's `vmcall`, which the lguest host rewrote to `int $0x1f; nop` on first use. Argument roles follow
 * `drivers/lguest/hypercalls.c` and `drivers/lguest/x86/core.c`; they were not re-verified line by line.
 *
 * VMI, VMware's Virtual Machine Interface (32-bit x86, removed in Linux 2.6.37): the guest calls entry points
 * of a VMI option ROM; Linux patches each paravirt call site into a `call rel32` to the address the ROM's
 * `get_reloc` returns for a `VMI_CALL_*` number, so the call target, not a register, selects the call.
 * Arguments follow `regparm(3)`: EAX, EDX, ECX, then the stack. Numbers: Linux 2.6.36
 * `arch/x86/include/asm/vmi.h`; argument names from the `vmi_ops` prototypes in
 * `arch/x86/kernel/vmi_32.c`, given only where that file shows them.
 */
import type { GpRegister, HypercallAbiInfo, HypercallArg, HypercallEntry } from './types';

const LG_ARGS = ['ebx', 'ecx', 'edx', 'esi'] as const satisfies readonly GpRegister[];
const VMI_ARGS = ['eax', 'edx', 'ecx'] as const satisfies readonly GpRegister[];

/** The software interrupt vector lguest guests trap with. */
export const LGUEST_TRAP_ENTRY = 0x1f;

export const LGUEST_ABI: HypercallAbiInfo = {
  abi: 'lguest',
  title: 'lguest',
  instruction: 'int $0x1f (earlier: vmcall, rewritten by the host)',
  numberRegister: 'eax',
  argumentRegisters: LG_ARGS,
  resultRegister: 'eax',
  namePrefixes: ['LHCALL_'],
  source: 'Linux 4.13 arch/x86/include/asm/lguest_hcall.h (hcall())',
  removedIn: '4.14',
};

export const VMI_ABI: HypercallAbiInfo = {
  abi: 'vmi',
  title: 'VMware VMI',
  instruction: 'call rel32 into the VMI option ROM',
  argumentRegisters: VMI_ARGS,
  resultRegister: 'eax',
  namePrefixes: ['VMI_CALL_'],
  source: 'Linux 2.6.36 arch/x86/include/asm/vmi.h; arch/x86/kernel/vmi_32.c',
  removedIn: '2.6.37',
};

/** `"name: description"` strings to arguments in register order; throws if there are more than registers. */
function argsFrom(params: readonly string[], registers: readonly GpRegister[]): HypercallArg[] {
  return params.map((p, i) => {
    const register = registers[i];
    if (register === undefined) throw new Error(`argument ${i} (${p}) has no register`);
    const colon = p.indexOf(':');
    return { name: p.slice(0, colon), register, description: p.slice(colon + 1).trim() };
  });
}

const LG_SRC = 'Linux 4.13 arch/x86/include/asm/lguest_hcall.h; roles from drivers/lguest/hypercalls.c';

function lguest(
  number: number,
  call: string,
  params: readonly string[],
  description: string,
  returns = 'nothing useful',
): HypercallEntry {
  const args = argsFrom(params, LG_ARGS);
  return {
    abi: 'lguest',
    number,
    name: `LHCALL_${call}`,
    args,
    returns,
    description,
    source: LG_SRC,
    removedIn: '4.14',
  };
}

/** lguest's `LHCALL_*`, in number order. */
export const LGUEST_HYPERCALLS: readonly HypercallEntry[] = [
  lguest(0, 'FLUSH_ASYNC', [], 'Process the queued asynchronous hypercalls.'),
  lguest(
    1,
    'LGUEST_INIT',
    ['lguest_data: guest address of struct lguest_data'],
    'First call: register struct lguest_data.',
  ),
  lguest(
    2,
    'SHUTDOWN',
    ['msg: guest address of the reason string', 'reason: LGUEST_SHUTDOWN_POWEROFF (1) or _RESTART (2)'],
    'Stop the guest.',
    'does not return',
  ),
  lguest(
    4,
    'NEW_PGTABLE',
    ['pgdir: physical address of the new top-level page table'],
    'Switch page tables (CR3).',
  ),
  lguest(5, 'FLUSH_TLB', ['all: non-zero flushes kernel mappings too'], 'Flush the shadow page tables.'),
  lguest(
    6,
    'LOAD_IDT_ENTRY',
    ['num: IDT entry number', 'lo: low word of the gate', 'hi: high word of the gate'],
    'Set one IDT entry.',
  ),
  lguest(
    7,
    'SET_STACK',
    ['seg: kernel stack segment', 'esp: kernel stack pointer', 'pages: number of stack pages'],
    'Set the kernel stack for traps.',
  ),
  lguest(8, 'TS', ['ts: non-zero sets CR0.TS'], 'Set or clear CR0.TS.'),
  lguest(9, 'SET_CLOCKEVENT', ['delta: nanoseconds until the next timer interrupt'], 'Program the timer.'),
  lguest(10, 'HALT', [], 'Halt until an interrupt.'),
  lguest(13, 'SET_PMD', ['pmdp: address of the PMD page', 'idx: entry index'], 'Update a PMD entry (PAE).'),
  lguest(
    14,
    'SET_PTE',
    [
      'pgdir: top-level page table',
      'vaddr: virtual address',
      'pte: new PTE (low half with PAE)',
      'pte_high: PAE high half',
    ],
    'Update a PTE.',
  ),
  lguest(15, 'SET_PGD', ['pgdir: top-level page table', 'idx: entry index'], 'Update a top-level entry.'),
  lguest(16, 'LOAD_TLS', ['tls: guest address of the three TLS descriptors'], 'Load the TLS GDT entries.'),
  {
    ...lguest(17, 'NOTIFY', ['addr: notification address'], 'Notify the Launcher (virtio kick).'),
    description:
      'Notify the Launcher (virtio kick). In 3.x headers; gone from the 4.13 header (version not verified).',
    source: 'Linux 3.x arch/x86/include/asm/lguest_hcall.h',
  },
  lguest(
    18,
    'LOAD_GDT_ENTRY',
    ['num: GDT entry number', 'lo: low word of the descriptor', 'hi: high word of the descriptor'],
    'Set one GDT entry.',
  ),
  lguest(19, 'SEND_INTERRUPTS', [], 'Deliver pending interrupts now.'),
];

const VMI_SRC = 'Linux 2.6.36 arch/x86/include/asm/vmi.h';

function vmi(number: number, call: string, params: readonly string[] = [], description = ''): HypercallEntry {
  const args = argsFrom(params, VMI_ARGS);
  return {
    abi: 'vmi',
    number,
    name: `VMI_CALL_${call}`,
    args,
    returns: 'EAX where the call returns a value',
    description: description || `VMI ${call}.`,
    source: params.length > 0 ? `${VMI_SRC}; arguments from arch/x86/kernel/vmi_32.c vmi_ops` : VMI_SRC,
    removedIn: '2.6.37',
  };
}

const GETS = (reg: string): string => `Read ${reg}.`;
const SETS = (reg: string): string => `Write ${reg}.`;

/** VMI's `VMI_CALL_*`, in number order. */
export const VMI_CALLS: readonly HypercallEntry[] = [
  vmi(0, 'CPUID', ['leaf: CPUID leaf (EAX)'], 'CPUID (non-C convention: ECX sub-leaf, results in EAX-EDX).'),
  vmi(1, 'WRMSR'),
  vmi(2, 'RDMSR'),
  vmi(3, 'SetGDT', [], SETS('GDTR')),
  vmi(4, 'SetLDT', ['selector: LDT selector (0 for none)'], SETS('LDTR')),
  vmi(5, 'SetIDT', [], SETS('IDTR')),
  vmi(6, 'SetTR', ['selector: TSS selector'], SETS('TR')),
  vmi(7, 'GetGDT', [], GETS('GDTR')),
  vmi(8, 'GetLDT', [], GETS('LDTR')),
  vmi(9, 'GetIDT', [], GETS('IDTR')),
  vmi(10, 'GetTR', [], GETS('TR')),
  vmi(
    11,
    'WriteGDTEntry',
    ['dt: GDT base', 'entry: index', 'w0: first word (second on the stack)'],
    'Write a GDT entry.',
  ),
  vmi(12, 'WriteLDTEntry', [], 'Write an LDT entry.'),
  vmi(
    13,
    'WriteIDTEntry',
    ['dt: IDT base', 'entry: index', 'w0: first word (second on the stack)'],
    'Write an IDT entry.',
  ),
  vmi(
    14,
    'UpdateKernelStack',
    ['selector: stack segment', 'sp0: kernel stack pointer'],
    'Set the ring-0 stack.',
  ),
  vmi(15, 'SetCR0', [], SETS('CR0')),
  vmi(16, 'SetCR2', [], SETS('CR2')),
  vmi(17, 'SetCR3', [], SETS('CR3')),
  vmi(18, 'SetCR4', [], SETS('CR4')),
  vmi(19, 'GetCR0', [], GETS('CR0')),
  vmi(20, 'GetCR2', [], GETS('CR2')),
  vmi(21, 'GetCR3', [], GETS('CR3')),
  vmi(22, 'GetCR4', [], GETS('CR4')),
  vmi(23, 'WBINVD'),
  vmi(24, 'SetDR', [], 'Write a debug register.'),
  vmi(25, 'GetDR', [], 'Read a debug register.'),
  vmi(26, 'RDPMC'),
  vmi(27, 'RDTSC'),
  vmi(28, 'CLTS'),
  vmi(29, 'EnableInterrupts'),
  vmi(30, 'DisableInterrupts'),
  vmi(31, 'GetInterruptMask'),
  vmi(32, 'SetInterruptMask'),
  vmi(33, 'IRET'),
  vmi(34, 'SYSEXIT'),
  vmi(35, 'Halt'),
  vmi(36, 'Reboot'),
  vmi(37, 'Shutdown'),
  vmi(
    38,
    'SetPxE',
    ['pte: new entry', 'ptep: address of the entry', 'flags: VMI_PAGE_* level and flags'],
    'Write a page-table entry.',
  ),
  vmi(39, 'SetPxELong', [], 'Write a 64-bit (PAE) page-table entry.'),
  vmi(
    40,
    'UpdatePxE',
    ['ptep: address of the entry', 'flags: VMI_PAGE_* level and flags'],
    'Entry was written; update shadows.',
  ),
  vmi(41, 'UpdatePxELong', [], 'PAE entry was written; update shadows.'),
  vmi(42, 'MachineToPhysical'),
  vmi(43, 'PhysicalToMachine'),
  vmi(
    44,
    'AllocatePage',
    ['pfn: page frame', 'flags: VMI_PAGE_* type', 'clonepfn: frame to clone from'],
    'Declare a page-table page.',
  ),
  vmi(45, 'ReleasePage', ['pfn: page frame', 'flags: VMI_PAGE_* type'], 'Release a page-table page.'),
  vmi(46, 'InvalPage', [], 'Invalidate one TLB entry.'),
  vmi(47, 'FlushTLB', ['flags: VMI_FLUSH_TLB (1) | VMI_FLUSH_GLOBAL (2)'], 'Flush the TLB.'),
  vmi(
    48,
    'SetLinearMapping',
    ['slot: mapping slot', 'va: virtual address', 'count: pages (pfn on the stack)'],
    'Cache a linear mapping.',
  ),
  vmi(61, 'SetIOPLMask'),
  vmi(
    62,
    'SetInitialAPState',
    ['ap_state: address of struct vmi_ap_state', 'apicid: APIC ID'],
    'Start an AP.',
  ),
  vmi(63, 'APICWrite'),
  vmi(64, 'APICRead'),
  vmi(65, 'IODelay'),
  vmi(73, 'SetLazyMode', ['mode: lazy mode'], 'Enter or leave a lazy (batched) mode.'),
];
