/**
 * Hyper-V's x64 hypercall ABI (TLFS "Hypercall Interface"): call codes, the input value and the result value.
 *
 * Call codes and status codes: Linux `include/hyperv/hvgdk_mini.h` (`HVCALL_*`, `HV_STATUS_*`, the
 * `HV_HYPERCALL_*` bit layout; formerly `include/asm-generic/hyperv-tlfs.h`) and, for the extended calls,
 * Linux `include/asm-generic/hyperv-tlfs.h` (`HV_EXT_CALL_*`). Names are the TLFS spellings (`HvCall*`,
 * `HvExtCall*`); each entry's `source` gives the Linux macro. Not verified against the TLFS text here: the
 * TLFS spelling of the rarer calls (derived from the Linux macro name) and HvCallSwitchVirtualAddressSpace
 * (0x0001), which Linux's headers do not define.
 *
 * x64 registers: RCX the input value, RDX the input-parameter GPA (fast: first input qword), R8 the
 * output-parameter GPA (fast: second input qword), RAX the result value. 32-bit: EDX:EAX input value,
 * EBX:ECX input GPA, EDI:ESI output GPA, EDX:EAX result.
 */
import type { HypercallAbiInfo, HypercallArg, HypercallEntry } from './types';

export const HYPERV_ABI: HypercallAbiInfo = {
  abi: 'hyperv',
  title: 'Hyper-V',
  instruction: 'call into the hypercall page (vmcall or vmmcall inside), RCX = input value',
  numberRegister: 'rcx',
  argumentRegisters: ['rcx', 'rdx', 'r8'],
  resultRegister: 'rax',
  namePrefixes: ['HvCall', 'HvExtCall'],
  source: 'Hyper-V TLFS, Hypercall Interface; Linux include/hyperv/hvgdk_mini.h HV_HYPERCALL_*',
};

/** The fields of a hypercall input value (RCX). */
export interface HypervInputValue {
  /** Bits 15:0. */
  readonly callCode: number;
  /** Bit 16: parameters in registers instead of memory. */
  readonly fast: boolean;
  /** Bits 26:17: size of the variable header, in 8-byte units. */
  readonly variableHeaderSize: number;
  /** Bit 31: the call targets the L0 hypervisor (nested). */
  readonly nested: boolean;
  /** Bits 43:32: number of repetitions; 0 for a simple call. */
  readonly repCount: number;
  /** Bits 59:48: first repetition to process. */
  readonly repStartIndex: number;
  /** True when a reserved bit (30:27, 47:44, 63:60) is set: Hyper-V answers HV_STATUS_INVALID_HYPERCALL_INPUT. */
  readonly reservedBitsSet: boolean;
}

const field = (v: bigint, lo: number, width: number): number =>
  Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));

/** Splits a hypercall input value into its fields (Linux HV_HYPERCALL_* masks). */
export function decodeHypervInput(value: bigint): HypervInputValue {
  const reserved = (0xfn << 27n) | (0xfn << 44n) | (0xfn << 60n);
  return {
    callCode: field(value, 0, 16),
    fast: field(value, 16, 1) === 1,
    variableHeaderSize: field(value, 17, 10),
    nested: field(value, 31, 1) === 1,
    repCount: field(value, 32, 12),
    repStartIndex: field(value, 48, 12),
    reservedBitsSet: (value & reserved) !== 0n,
  };
}

/** The fields of a hypercall result value (RAX). */
export interface HypervResultValue {
  /** Bits 15:0, an HV_STATUS_* code. */
  readonly status: number;
  /** Its name, or undefined when the code is not in `HV_STATUS`. */
  readonly statusName: string | undefined;
  /** Bits 43:32: repetitions completed. */
  readonly repsCompleted: number;
}

/** `HV_STATUS_*` (Linux include/hyperv/hvgdk_mini.h). */
export const HV_STATUS: ReadonlyMap<number, string> = new Map([
  [0x0, 'HV_STATUS_SUCCESS'],
  [0x2, 'HV_STATUS_INVALID_HYPERCALL_CODE'],
  [0x3, 'HV_STATUS_INVALID_HYPERCALL_INPUT'],
  [0x4, 'HV_STATUS_INVALID_ALIGNMENT'],
  [0x5, 'HV_STATUS_INVALID_PARAMETER'],
  [0x6, 'HV_STATUS_ACCESS_DENIED'],
  [0x7, 'HV_STATUS_INVALID_PARTITION_STATE'],
  [0x8, 'HV_STATUS_OPERATION_DENIED'],
  [0x9, 'HV_STATUS_UNKNOWN_PROPERTY'],
  [0xa, 'HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE'],
  [0xb, 'HV_STATUS_INSUFFICIENT_MEMORY'],
  [0xd, 'HV_STATUS_INVALID_PARTITION_ID'],
  [0xe, 'HV_STATUS_INVALID_VP_INDEX'],
  [0x10, 'HV_STATUS_NOT_FOUND'],
  [0x11, 'HV_STATUS_INVALID_PORT_ID'],
  [0x12, 'HV_STATUS_INVALID_CONNECTION_ID'],
  [0x13, 'HV_STATUS_INSUFFICIENT_BUFFERS'],
  [0x14, 'HV_STATUS_NOT_ACKNOWLEDGED'],
  [0x15, 'HV_STATUS_INVALID_VP_STATE'],
  [0x1d, 'HV_STATUS_NO_RESOURCES'],
  [0x20, 'HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED'],
  [0x41, 'HV_STATUS_INVALID_LP_INDEX'],
  [0x50, 'HV_STATUS_INVALID_REGISTER_VALUE'],
  [0x71, 'HV_STATUS_OPERATION_FAILED'],
  [0x78, 'HV_STATUS_TIME_OUT'],
  [0x79, 'HV_STATUS_CALL_PENDING'],
  [0x86, 'HV_STATUS_VTL_ALREADY_ENABLED'],
]);

/** Splits a hypercall result value into status and repetitions completed. */
export function decodeHypervResult(value: bigint): HypervResultValue {
  const status = field(value, 0, 16);
  return { status, statusName: HV_STATUS.get(status), repsCompleted: field(value, 32, 12) };
}

const SRC = 'Linux include/hyperv/hvgdk_mini.h';
const RETURNS = 'result value: HV_STATUS_* in bits 15:0, repetitions completed in bits 43:32';

const control: HypercallArg = {
  name: 'control',
  register: 'rcx',
  description:
    'input value: call code 15:0, fast 16, variable header 26:17, nested 31, rep count 43:32, rep start 59:48',
};

function hv(
  code: number,
  name: string,
  macro: string,
  description: string,
  fastInput?: string,
): HypercallEntry {
  const args: HypercallArg[] = [
    control,
    {
      name: 'input',
      register: 'rdx',
      description: `slow: GPA of the input parameters; fast: ${fastInput ?? 'first input qword'}`,
    },
    {
      name: 'output',
      register: 'r8',
      description: 'slow: GPA of the output parameters; fast: second input qword',
    },
  ];
  const source = macro.startsWith('HV_EXT_CALL')
    ? `Linux include/asm-generic/hyperv-tlfs.h ${macro}`
    : macro === ''
      ? 'Hyper-V TLFS (not defined in Linux headers; not re-verified)'
      : `${SRC} ${macro}`;
  return { abi: 'hyperv', number: code, name, args, returns: RETURNS, description, source };
}

/** Hyper-V call codes, in code order. */
export const HYPERV_HYPERCALLS: readonly HypercallEntry[] = [
  hv(
    0x0001,
    'HvCallSwitchVirtualAddressSpace',
    '',
    'Switch the current virtual address space (fast: CR3 value).',
  ),
  hv(
    0x0002,
    'HvCallFlushVirtualAddressSpace',
    'HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE',
    'Flush TLBs of a set of VPs.',
  ),
  hv(
    0x0003,
    'HvCallFlushVirtualAddressList',
    'HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST',
    'Flush a list of GVAs (rep).',
  ),
  hv(
    0x0008,
    'HvCallNotifyLongSpinWait',
    'HVCALL_NOTIFY_LONG_SPIN_WAIT',
    'Tell the hypervisor this VP spins on a lock (fast).',
    'spin-wait count',
  ),
  hv(
    0x000b,
    'HvCallSendSyntheticClusterIpi',
    'HVCALL_SEND_IPI',
    'Send an IPI to a set of VPs (fast in Linux).',
    'vector (and target VTL)',
  ),
  hv(0x000f, 'HvCallEnableVpVtl', 'HVCALL_ENABLE_VP_VTL', 'Enable a VTL on a VP.'),
  hv(
    0x0013,
    'HvCallFlushVirtualAddressSpaceEx',
    'HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX',
    'TLB flush, sparse VP set.',
  ),
  hv(
    0x0014,
    'HvCallFlushVirtualAddressListEx',
    'HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX',
    'GVA-list flush, sparse VP set.',
  ),
  hv(0x0015, 'HvCallSendSyntheticClusterIpiEx', 'HVCALL_SEND_IPI_EX', 'Send an IPI, sparse VP set.'),
  hv(0x0040, 'HvCallCreatePartition', 'HVCALL_CREATE_PARTITION', 'Root: create a partition.'),
  hv(0x0041, 'HvCallInitializePartition', 'HVCALL_INITIALIZE_PARTITION', 'Root: initialize a partition.'),
  hv(0x0042, 'HvCallFinalizePartition', 'HVCALL_FINALIZE_PARTITION', 'Root: finalize a partition.'),
  hv(0x0043, 'HvCallDeletePartition', 'HVCALL_DELETE_PARTITION', 'Root: delete a partition.'),
  hv(0x0044, 'HvCallGetPartitionProperty', 'HVCALL_GET_PARTITION_PROPERTY', 'Read a partition property.'),
  hv(0x0045, 'HvCallSetPartitionProperty', 'HVCALL_SET_PARTITION_PROPERTY', 'Write a partition property.'),
  hv(0x0046, 'HvCallGetPartitionId', 'HVCALL_GET_PARTITION_ID', 'Read the caller partition ID.'),
  hv(0x0048, 'HvCallDepositMemory', 'HVCALL_DEPOSIT_MEMORY', 'Root: deposit pages for hypervisor use (rep).'),
  hv(0x0049, 'HvCallWithdrawMemory', 'HVCALL_WITHDRAW_MEMORY', 'Root: withdraw deposited pages.'),
  hv(0x004b, 'HvCallMapGpaPages', 'HVCALL_MAP_GPA_PAGES', 'Root: map GPA pages into a partition (rep).'),
  hv(0x004c, 'HvCallUnmapGpaPages', 'HVCALL_UNMAP_GPA_PAGES', 'Root: unmap GPA pages (rep).'),
  hv(0x004d, 'HvCallInstallIntercept', 'HVCALL_INSTALL_INTERCEPT', 'Root: install an intercept.'),
  hv(0x004e, 'HvCallCreateVp', 'HVCALL_CREATE_VP', 'Root: create a VP.'),
  hv(0x004f, 'HvCallDeleteVp', 'HVCALL_DELETE_VP', 'Root: delete a VP.'),
  hv(0x0050, 'HvCallGetVpRegisters', 'HVCALL_GET_VP_REGISTERS', 'Read VP registers (rep).'),
  hv(0x0051, 'HvCallSetVpRegisters', 'HVCALL_SET_VP_REGISTERS', 'Write VP registers (rep).'),
  hv(0x0052, 'HvCallTranslateVirtualAddress', 'HVCALL_TRANSLATE_VIRTUAL_ADDRESS', 'Translate a GVA.'),
  hv(
    0x0056,
    'HvCallClearVirtualInterrupt',
    'HVCALL_CLEAR_VIRTUAL_INTERRUPT',
    'Root: clear a virtual interrupt.',
  ),
  hv(0x0058, 'HvCallDeletePort', 'HVCALL_DELETE_PORT', 'Root: delete a port.'),
  hv(0x005b, 'HvCallDisconnectPort', 'HVCALL_DISCONNECT_PORT', 'Root: disconnect a port.'),
  hv(0x005c, 'HvCallPostMessage', 'HVCALL_POST_MESSAGE', 'Post a message to a connection (VMBus).'),
  hv(
    0x005d,
    'HvCallSignalEvent',
    'HVCALL_SIGNAL_EVENT',
    'Signal an event flag on a connection (VMBus; fast in Linux).',
    'connection ID (bits 31:0) and flag number (bits 47:32)',
  ),
  hv(0x0069, 'HvCallPostDebugData', 'HVCALL_POST_DEBUG_DATA', 'Send kernel-debugger data.'),
  hv(0x006a, 'HvCallRetrieveDebugData', 'HVCALL_RETRIEVE_DEBUG_DATA', 'Receive kernel-debugger data.'),
  hv(0x006b, 'HvCallResetDebugSession', 'HVCALL_RESET_DEBUG_SESSION', 'Reset the debugger session.'),
  hv(0x006c, 'HvCallMapStatsPage', 'HVCALL_MAP_STATS_PAGE', 'Root: map a statistics page.'),
  hv(0x006d, 'HvCallUnmapStatsPage', 'HVCALL_UNMAP_STATS_PAGE', 'Root: unmap a statistics page.'),
  hv(0x0076, 'HvCallAddLogicalProcessor', 'HVCALL_ADD_LOGICAL_PROCESSOR', 'Root: add a logical processor.'),
  hv(0x007b, 'HvCallGetSystemProperty', 'HVCALL_GET_SYSTEM_PROPERTY', 'Root: read a system property.'),
  hv(0x007c, 'HvCallMapDeviceInterrupt', 'HVCALL_MAP_DEVICE_INTERRUPT', 'Root: map a device interrupt.'),
  hv(
    0x007d,
    'HvCallUnmapDeviceInterrupt',
    'HVCALL_UNMAP_DEVICE_INTERRUPT',
    'Root: unmap a device interrupt.',
  ),
  hv(
    0x007e,
    'HvCallRetargetDeviceInterrupt',
    'HVCALL_RETARGET_INTERRUPT',
    'Retarget a device interrupt (vPCI).',
  ),
  hv(0x008b, 'HvCallNotifyPortRingEmpty', 'HVCALL_NOTIFY_PORT_RING_EMPTY', 'Root: a port ring became empty.'),
  hv(
    0x0091,
    'HvCallRegisterInterceptResult',
    'HVCALL_REGISTER_INTERCEPT_RESULT',
    'Root: register an intercept result.',
  ),
  hv(
    0x0094,
    'HvCallAssertVirtualInterrupt',
    'HVCALL_ASSERT_VIRTUAL_INTERRUPT',
    'Root: assert a virtual interrupt.',
  ),
  hv(0x0095, 'HvCallCreatePort', 'HVCALL_CREATE_PORT', 'Root: create a port.'),
  hv(0x0096, 'HvCallConnectPort', 'HVCALL_CONNECT_PORT', 'Root: connect a port.'),
  hv(0x0099, 'HvCallStartVirtualProcessor', 'HVCALL_START_VP', 'Start a VP at a given context.'),
  hv(
    0x009a,
    'HvCallGetVpIndexFromApicId',
    'HVCALL_GET_VP_ID_FROM_APIC_ID',
    'Map APIC IDs to VP indexes (rep).',
  ),
  hv(
    0x00af,
    'HvCallFlushGuestPhysicalAddressSpace',
    'HVCALL_FLUSH_GUEST_PHYSICAL_ADDRESS_SPACE',
    'Nested: flush an L2 GPA space.',
  ),
  hv(
    0x00b0,
    'HvCallFlushGuestPhysicalAddressList',
    'HVCALL_FLUSH_GUEST_PHYSICAL_ADDRESS_LIST',
    'Nested: flush L2 GPA ranges (rep).',
  ),
  hv(
    0x00c0,
    'HvCallSignalEventDirect',
    'HVCALL_SIGNAL_EVENT_DIRECT',
    'Root: signal an event in a partition.',
  ),
  hv(0x00c1, 'HvCallPostMessageDirect', 'HVCALL_POST_MESSAGE_DIRECT', 'Root: post a message to a partition.'),
  hv(0x00c2, 'HvCallDispatchVp', 'HVCALL_DISPATCH_VP', 'Root scheduler: run a VP.'),
  hv(
    0x00c9,
    'HvCallGetGpaPagesAccessStates',
    'HVCALL_GET_GPA_PAGES_ACCESS_STATES',
    'Root: read accessed/dirty states.',
  ),
  hv(
    0x00d7,
    'HvCallAcquireSparseSpaPageHostAccess',
    'HVCALL_ACQUIRE_SPARSE_SPA_PAGE_HOST_ACCESS',
    'Root: acquire host access to SPA pages.',
  ),
  hv(
    0x00d8,
    'HvCallReleaseSparseSpaPageHostAccess',
    'HVCALL_RELEASE_SPARSE_SPA_PAGE_HOST_ACCESS',
    'Root: release host access to SPA pages.',
  ),
  hv(
    0x00db,
    'HvCallModifySparseGpaPageHostVisibility',
    'HVCALL_MODIFY_SPARSE_GPA_PAGE_HOST_VISIBILITY',
    'Isolated VM: make GPA pages shared with or private from the host (rep).',
  ),
  hv(0x00e1, 'HvCallMapVpStatePage', 'HVCALL_MAP_VP_STATE_PAGE', 'Root: map a VP state page.'),
  hv(0x00e2, 'HvCallUnmapVpStatePage', 'HVCALL_UNMAP_VP_STATE_PAGE', 'Root: unmap a VP state page.'),
  hv(0x00e3, 'HvCallGetVpState', 'HVCALL_GET_VP_STATE', 'Root: read VP state (e.g. XSAVE).'),
  hv(0x00e4, 'HvCallSetVpState', 'HVCALL_SET_VP_STATE', 'Root: write VP state.'),
  hv(0x00f4, 'HvCallGetVpCpuidValues', 'HVCALL_GET_VP_CPUID_VALUES', 'Root: read a VP CPUID values.'),
  hv(0x0106, 'HvCallMmioRead', 'HVCALL_MMIO_READ', 'Read MMIO through the hypervisor (isolated VMs).'),
  hv(0x0107, 'HvCallMmioWrite', 'HVCALL_MMIO_WRITE', 'Write MMIO through the hypervisor (isolated VMs).'),
  hv(
    0x8001,
    'HvExtCallQueryCapabilities',
    'HV_EXT_CALL_QUERY_CAPABILITIES',
    'Extended: query extended capabilities.',
  ),
  hv(
    0x8003,
    'HvExtCallMemoryHeatHint',
    'HV_EXT_CALL_MEMORY_HEAT_HINT',
    'Extended: report cold pages (hv_balloon).',
  ),
];
