/**
 * Hypercalls: the ABI catalogues (KVM, Xen, Hyper-V, VMware's backdoor, lguest, VMI), the decoder that
 * recognises hypercall instructions in guest code, and the describers that name a call and its result.
 *
 * Typical use when a vCPU stops: read ~15 bytes at RIP, `decodeHypercallInstruction(bytes, rip, ctx)`; if it
 * is a site, `describeCall(site, registers, ctx)`; after a step over it, `describeResult(call, rax, regs)`.
 */
export * from './types';
export { ABI_INFO, HYPERCALL_CATALOGUE, findHypercall, findVmwareHbCommand } from './catalogue';
export { KVM_ABI, KVM_ERRORS, KVM_HYPERCALLS } from './kvm';
export {
  XEN_ABI,
  XEN_ARGS_32,
  XEN_ERRNO,
  XEN_HYPERCALLS,
  XEN_HYPERCALL_PAGE_SIZE,
  XEN_HYPERCALL_SLOT_SIZE,
} from './xen';
export {
  HYPERV_ABI,
  HYPERV_HYPERCALLS,
  HV_STATUS,
  decodeHypervInput,
  decodeHypervResult,
  type HypervInputValue,
  type HypervResultValue,
} from './hyperv';
export {
  VMWARE_ABI,
  VMWARE_BACKDOOR_COMMANDS,
  VMWARE_BACKDOOR_HB_COMMANDS,
  VMWARE_BACKDOOR_HB_PORT,
  VMWARE_BACKDOOR_MAGIC,
  VMWARE_BACKDOOR_PORT,
} from './vmware';
export { LGUEST_ABI, LGUEST_HYPERCALLS, LGUEST_TRAP_ENTRY, VMI_ABI, VMI_CALLS } from './historical';
export {
  decodeHypercallInstruction,
  type HypercallSite,
  type PageCallSite,
  type PageLocation,
  type PortIoSite,
  type RegisterCallSite,
  type TrapSite,
} from './decode';
export {
  describeCall,
  type AbiReason,
  type DecodedArgument,
  type DecodedHypercall,
  type KnownHypercall,
  type NotAHypercall,
  type UnknownHypercall,
} from './describe';
export { describeResult, type DecodedResult } from './result';
export { findHypercallSites, type FoundSite } from './scan';
export { hintFromCpuidSignature, hintFromPvInfoName } from './hint';
export { HypercallDecoderUnavailableError } from './iced';
