/**
 * Xen's x86 hypercall ABI and every `__HYPERVISOR_*` number.
 *
 * Numbers: Xen `xen/include/public/xen.h` (0-42; 11 is unused), `__HYPERVISOR_mca` = `__HYPERVISOR_arch_0`
 * (48) from `xen/include/public/arch-x86/xen-mca.h`, `__HYPERVISOR_paging_domctl_cont` =
 * `__HYPERVISOR_arch_1` (49) from Xen's internal `xen/arch/x86/include/asm/hypercall.h`. Argument names:
 * the prototypes in Xen `xen/include/hypercall-defs.c` (the 64-bit `do_*` ones). Register convention: the
 * comment above the numbers in xen.h (x86_64: RAX number, RDI RSI RDX R10 R8 arguments, RAX result;
 * x86_32: EAX number, EBX ECX EDX ESI EDI arguments). Numbers 43 and up that appear in patch series and forks
 * (iommu_op, coco_op, control_op) are not upstream and are left out. Errors: `-XEN_E*` from
 * `xen/include/public/errno.h`.
 *
 * Guests call `hypercall_page + nr * 32`: Xen fills each 32-byte slot with `mov $nr, %eax; vmcall` (Intel
 * HVM), `vmmcall` (AMD HVM) or `syscall` (64-bit PV) and a `ret`. Recent Linux HVM/PVH guests (after XSA-466,
 * 2024; version not verified here) no longer call into the page but issue `vmcall`/`vmmcall` from their own
 * stubs with the number in RAX: those decode as Xen through the hint (`pv_info.name` "Xen HVM"/"Xen PVH").
 */
import type { GpRegister, HypercallAbiInfo, HypercallArg, HypercallEntry } from './types';

const ARGS = ['rdi', 'rsi', 'rdx', 'r10', 'r8'] as const satisfies readonly GpRegister[];

/** The argument registers of a 32-bit guest, in the same order (xen.h). */
export const XEN_ARGS_32 = ['ebx', 'ecx', 'edx', 'esi', 'edi'] as const satisfies readonly GpRegister[];

/** Bytes per hypercall-page slot: the stub for call `nr` starts at `hypercall_page + nr * 32`. */
export const XEN_HYPERCALL_SLOT_SIZE = 32;

/** Size of the hypercall page. */
export const XEN_HYPERCALL_PAGE_SIZE = 4096;

export const XEN_ABI: HypercallAbiInfo = {
  abi: 'xen',
  title: 'Xen',
  instruction: 'call hypercall_page + nr*32 (a stub: mov $nr,%eax; vmcall|vmmcall|syscall; ret)',
  numberRegister: 'rax',
  argumentRegisters: ARGS,
  resultRegister: 'rax',
  namePrefixes: ['__HYPERVISOR_'],
  source: 'Xen xen/include/public/xen.h (register convention comment)',
};

export { XEN_ERRNO } from './xenErrno';

const SRC = 'Xen xen/include/public/xen.h; argument names from xen/include/hypercall-defs.c';
const OK = '0 or -XEN_E*';

/** Builds an entry from a hypercall-defs.c style prototype: `[name, description]` per argument. */
function xen(
  number: number,
  op: string,
  params: readonly (readonly [string, string])[],
  description: string,
  returns = OK,
  source = SRC,
): HypercallEntry {
  const args: HypercallArg[] = params.map(([name, what], i) => {
    const register = ARGS[i];
    if (register === undefined) throw new Error(`${op}: argument ${name} has no register`);
    return { name, register, description: what };
  });
  return { abi: 'xen', number, name: `__HYPERVISOR_${op}`, args, returns, description, source };
}

const cmd = ['cmd', 'sub-operation'] as const;
const arg = ['arg', 'guest pointer to the sub-operation structure'] as const;

/** Every upstream `__HYPERVISOR_*` on x86, in number order. */
export const XEN_HYPERCALLS: readonly HypercallEntry[] = [
  xen(0, 'set_trap_table', [['traps', 'guest pointer to trap_info array']], 'PV: install the virtual IDT.'),
  xen(
    1,
    'mmu_update',
    [
      ['ureqs', 'guest pointer to mmu_update_t (ptr, val) pairs'],
      ['count', 'number of requests'],
      ['pdone', 'guest pointer: requests completed'],
      ['foreigndom', 'owner of the pages (DOMID_SELF for none)'],
    ],
    'PV: checked page-table and machine-to-physical updates.',
  ),
  xen(
    2,
    'set_gdt',
    [
      ['frame_list', 'guest pointer to frame numbers'],
      ['entries', 'number of GDT entries'],
    ],
    'PV: install a GDT.',
  ),
  xen(
    3,
    'stack_switch',
    [
      ['ss', 'kernel stack segment'],
      ['esp', 'kernel stack pointer'],
    ],
    'PV: set the kernel stack used on ring transitions.',
  ),
  xen(
    4,
    'set_callbacks',
    [
      ['event_address', 'event upcall entry point'],
      ['failsafe_address', 'failsafe callback entry point'],
      ['syscall_address', 'syscall entry point (x86_64)'],
    ],
    'PV: register event, failsafe and syscall callbacks.',
  ),
  xen(5, 'fpu_taskswitch', [['set', 'non-zero sets CR0.TS, zero clears it']], 'PV: set or clear CR0.TS.'),
  xen(
    6,
    'sched_op_compat',
    [cmd, ['arg', 'argument of the sub-operation']],
    'Legacy scheduler operations (replaced by sched_op in interface 0x00030101).',
  ),
  xen(
    7,
    'platform_op',
    [['u_xenpf_op', 'guest pointer to xen_platform_op_t']],
    'Dom0 platform management (named dom0_op before interface 0x00030204).',
  ),
  xen(
    8,
    'set_debugreg',
    [
      ['reg', 'debug register number'],
      ['value', 'value to write'],
    ],
    'PV: write a debug register.',
  ),
  xen(
    9,
    'get_debugreg',
    [['reg', 'debug register number']],
    'PV: read a debug register.',
    'the register value',
  ),
  xen(
    10,
    'update_descriptor',
    [
      ['gaddr', 'machine address of the descriptor'],
      ['desc', 'new descriptor'],
    ],
    'PV: write a GDT/LDT descriptor.',
  ),
  xen(
    12,
    'memory_op',
    [cmd, arg],
    'Memory reservation and physmap operations (XENMEM_*).',
    'sub-operation dependent (e.g. extents done); -XEN_E*',
  ),
  xen(
    13,
    'multicall',
    [
      ['call_list', 'guest pointer to multicall_entry_t array'],
      ['nr_calls', 'number of entries'],
    ],
    'Issue several hypercalls at once; each result is written back to its entry.',
  ),
  xen(
    14,
    'update_va_mapping',
    [
      ['va', 'virtual address to remap'],
      ['val64', 'new PTE value'],
      ['flags', 'UVMF_* TLB-flush flags'],
    ],
    'PV: update one PTE by virtual address.',
  ),
  xen(
    15,
    'set_timer_op',
    [['timeout', 'absolute Xen system time in ns; 0 cancels']],
    'Set the one-shot timer of this vCPU.',
  ),
  xen(
    16,
    'event_channel_op_compat',
    [['uop', 'guest pointer to evtchn_op_t']],
    'Legacy event-channel operations.',
  ),
  xen(
    17,
    'xen_version',
    [cmd, ['arg', 'guest pointer to the XENVER_* buffer']],
    'Query the Xen version and features.',
    'XENVER_version: (major << 16) | minor; others 0 or -XEN_E*',
  ),
  xen(
    18,
    'console_io',
    [
      ['cmd', 'CONSOLEIO_write (0) or CONSOLEIO_read (1)'],
      ['count', 'buffer length'],
      ['buffer', 'guest pointer to the characters'],
    ],
    'Read or write the Xen emergency console.',
    'bytes read; 0; -XEN_E*',
  ),
  xen(
    19,
    'physdev_op_compat',
    [['uop', 'guest pointer to physdev_op_t']],
    'Legacy physical-device operations.',
  ),
  xen(
    20,
    'grant_table_op',
    [cmd, ['uop', 'guest pointer to the GNTTABOP_* array'], ['count', 'number of operations']],
    'Grant-table operations (map, unmap, copy, setup).',
  ),
  xen(
    21,
    'vm_assist',
    [
      ['cmd', 'VMASST_CMD_enable (0) or _disable (1)'],
      ['type', 'VMASST_TYPE_*'],
    ],
    'Enable or disable a VM assist.',
  ),
  xen(
    22,
    'update_va_mapping_otherdomain',
    [
      ['va', 'virtual address'],
      ['val64', 'new PTE value'],
      ['flags', 'UVMF_* flags'],
      ['domid', 'domain whose mapping to update'],
    ],
    'PV: update a PTE in another domain.',
  ),
  xen(23, 'iret', [], 'PV: return from an exception or event (x86 only).', 'does not return to the caller'),
  xen(
    24,
    'vcpu_op',
    [cmd, ['vcpuid', 'target vCPU'], ['arg', 'guest pointer to the VCPUOP_* structure']],
    'vCPU operations (up, down, runstate, timers).',
  ),
  xen(
    25,
    'set_segment_base',
    [
      ['which', 'SEGBASE_FS, _GS_USER, _GS_KERNEL or _GS_USER_SEL'],
      ['base', 'new base'],
    ],
    'PV: set FS/GS base (x86_64 only).',
  ),
  xen(
    26,
    'mmuext_op',
    [
      ['uops', 'guest pointer to mmuext_op_t array'],
      ['count', 'number of operations'],
      ['pdone', 'guest pointer: operations completed'],
      ['foreigndom', 'owner of the frames'],
    ],
    'PV: extended MMU operations (pin tables, new base pointer, TLB flushes).',
  ),
  xen(27, 'xsm_op', [['op', 'guest pointer to the XSM/FLASK operation']], 'Xen Security Modules operations.'),
  xen(28, 'nmi_op', [cmd, arg], 'PV: register or unregister the NMI callback.'),
  xen(
    29,
    'sched_op',
    [cmd, arg],
    'Scheduler operations (yield, block, shutdown, poll).',
    '0 or -XEN_E*; SCHEDOP_shutdown does not return',
  ),
  xen(30, 'callback_op', [cmd, arg], 'PV: register or unregister callbacks.'),
  xen(31, 'xenoprof_op', [['op', 'XENOPROF_* operation'], arg], 'Xen OProfile.'),
  xen(32, 'event_channel_op', [cmd, arg], 'Event-channel operations (EVTCHNOP_*).'),
  xen(33, 'physdev_op', [cmd, arg], 'Physical-device operations (PHYSDEVOP_*).'),
  xen(
    34,
    'hvm_op',
    [
      ['op', 'HVMOP_* operation'],
      ['arg', 'guest pointer to the operation structure'],
    ],
    'HVM operations (parameters, callback vector).',
  ),
  xen(35, 'sysctl', [['u_sysctl', 'guest pointer to xen_sysctl_t']], 'Toolstack system control.'),
  xen(36, 'domctl', [['u_domctl', 'guest pointer to xen_domctl_t']], 'Toolstack domain control.'),
  xen(
    37,
    'kexec_op',
    [
      ['op', 'KEXEC_CMD_*'],
      ['uarg', 'guest pointer to the operation structure'],
    ],
    'Load or execute a kexec image.',
  ),
  xen(
    38,
    'tmem_op',
    [['uops', 'guest pointer to tmem_op_t']],
    'Transcendent memory; hypercall-defs.c lists no handler for any caller, so current Xen answers -XEN_ENOSYS.',
    '-XEN_ENOSYS on current Xen',
  ),
  xen(
    39,
    'argo_op',
    [
      cmd,
      ['arg1', 'first argument'],
      ['arg2', 'second argument'],
      ['arg3', 'third argument'],
      ['arg4', 'fourth argument'],
    ],
    'Argo inter-domain messaging.',
  ),
  xen(
    40,
    'xenpmu_op',
    [
      ['op', 'XENPMU_* operation'],
      ['arg', 'guest pointer to xen_pmu_params_t'],
    ],
    'Virtual PMU.',
  ),
  xen(
    41,
    'dm_op',
    [
      ['domid', 'target domain'],
      ['nr_bufs', 'number of buffers'],
      ['bufs', 'guest pointer to xen_dm_op_buf_t array'],
    ],
    'Device-model operations (ioreq servers, interrupts).',
  ),
  xen(
    42,
    'hypfs_op',
    [
      ['cmd', 'XEN_HYPFS_OP_*'],
      ['arg1', 'guest pointer to the path'],
      ['arg2', 'path length including the NUL'],
      ['arg3', 'guest pointer to the buffer'],
      ['arg4', 'buffer size'],
    ],
    'Hypervisor file system.',
  ),
  xen(
    48,
    'mca',
    [['u_xen_mc', 'guest pointer to xen_mc_t']],
    'x86 machine-check architecture (= __HYPERVISOR_arch_0).',
    OK,
    'Xen xen/include/public/arch-x86/xen-mca.h; argument from xen/include/hypercall-defs.c',
  ),
  xen(
    49,
    'paging_domctl_cont',
    [['u_domctl', 'guest pointer to xen_domctl_t']],
    'Continuation of a paging domctl (= __HYPERVISOR_arch_1); Xen-internal, not in the public headers.',
    OK,
    'Xen xen/arch/x86/include/asm/hypercall.h; argument from xen/include/hypercall-defs.c',
  ),
];
