/**
 * hvdbg's custom DAP requests about hypercalls and the VM exit being handled, declared once with their
 * types (see customRequests.ts for the wire conventions: 64-bit values are `0x`-prefixed hex strings).
 * The adapter answers them (adapter/hypercalls/session.ts); the Hypercalls and Hypercall Sites views
 * (extension/views/) call them. No `vscode` import here.
 */
import { request, schema, type ResolvedSymbol } from './customRequests';

// ---------------------------------------------------------------------------------------------------
// The hypercall at a stop

/** One argument of a decoded call: its name in the ABI's source, the register carrying it, the value. */
export interface HypercallArgumentInfo {
  /** `dest_apicid`; for a number the catalogue lacks, the register name itself (`rbx`). */
  readonly name: string;
  /** `rbx`, `ebx` in 32-bit mode, `edx:eax` for a Hyper-V pair. */
  readonly register: string;
  /** Hex; absent when the register could not be read. */
  readonly value?: string;
  readonly description: string;
}

/** The decoded result of a hypercall (after stepping over it, or once KVM wrote it). */
export interface HypercallResultInfo {
  /** The result register, hex (RAX; for a 32-bit guest its low 32 bits). */
  readonly raw: string;
  readonly kind: 'success' | 'error' | 'value';
  /** `-KVM_ENOSYS`, `-XEN_EINVAL`, `HV_STATUS_ACCESS_DENIED`. */
  readonly code?: string;
  /** One line, e.g. `-1000 (-KVM_ENOSYS)`. */
  readonly text: string;
  /** Where it was read: `rax` (guest side, after the instruction), `ret` (KVM's local), `vcpu->arch.regs[VCPU_REGS_RAX]`. */
  readonly from: string;
}

/**
 * A decoded hypercall. `side`: `guest` when the vCPU stopped on (or just stepped over) the hypercall
 * instruction; `hypervisor` when it stopped in KVM's handler (`kvm_emulate_hypercall`), the guest's
 * registers then read from `vcpu->arch.regs`.
 */
export interface HypercallInfo {
  readonly side: 'guest' | 'hypervisor';
  /** `kvm`, `xen`, `hyperv`, `vmware-backdoor`, `lguest`, `vmi`. */
  readonly abi: string;
  /** Human-readable ABI name (`KVM`). */
  readonly abiTitle: string;
  /** Why this ABI: `hint` (pv_info.name), `default`, `vmware-magic`, `xen-hypercall-page`, `kvm-handler`, ... */
  readonly abiReason: string;
  /** `known`: in the catalogue; `unknown`: a number it lacks (the ABI's registers shown raw). */
  readonly kind: 'known' | 'unknown';
  /** `KVM_HC_SCHED_YIELD`, or `unknown KVM hypercall 0x4711`. */
  readonly name: string;
  /** The call number as passed, hex; absent when its register could not be read. */
  readonly number?: string;
  /** The register holding the number (`rax`, `eax` for a 32-bit guest). */
  readonly numberRegister?: string;
  readonly description?: string;
  readonly args: readonly HypercallArgumentInfo[];
  /** The ABI's number and argument registers, raw, hex. */
  readonly registers: Readonly<Record<string, string>>;
  /** Guest side: the instruction (`vmmcall`), its address, its bytes (hex). */
  readonly instruction?: { readonly text: string; readonly address: string; readonly bytes: string };
  /** The guest RIP of the hypercall instruction (hypervisor side: `vcpu->arch.regs[VCPU_REGS_RIP]`). */
  readonly guestRip?: string;
  /** Present once the call returned (guest side) or KVM's handler has the value (hypervisor side). */
  readonly result?: HypercallResultInfo;
  /** Caveats: an assumed ABI, a missing register, a 32-bit guest's truncation. */
  readonly notes: readonly string[];
  /** Catalogue source of the entry or the ABI. */
  readonly source: string;
}

export interface HypercallArguments {
  /** Default: gdb's selected vCPU. */
  readonly threadId?: number;
  /** Frame level to look from (hypervisor side: any frame of KVM's handler); default 0. */
  readonly frameId?: number;
}

export interface HypercallBody {
  /** Absent when the vCPU is not at a hypercall; `none` says why. */
  readonly hypercall?: HypercallInfo;
  readonly none?: string;
}

/** The hypercall the vCPU is at (guest side) or KVM is handling (hypervisor side). */
export const hypercallRequest = request<HypercallArguments, HypercallBody>(
  'hvdbg/hypercall',
  schema.object({ threadId: schema.integer, frameId: schema.integer }),
);

// ---------------------------------------------------------------------------------------------------
// Hypercall sites of the loaded kernel

export interface HypercallSiteInfo {
  /** Guest-virtual address of the instruction, hex. */
  readonly address: string;
  /** The instruction the running guest has there (`vmmcall`); may differ from the ELF's (`vmcall`). */
  readonly instruction: string;
  /** The instruction in the ELF file (`vmcall`). */
  readonly elfInstruction: string;
  /** The ABI this kind of instruction is used for (`kvm` for vmcall/vmmcall, `vmware-backdoor` for port I/O). */
  readonly abi?: string;
  /** Where it is: function, file and line (`info line *addr`), source path on this machine when found. */
  readonly symbol: ResolvedSymbol;
  /** Why the live bytes are not shown (memory not readable). */
  readonly liveError?: string;
}

export interface HypercallSiteGroup {
  /** The function holding the sites (`kvm_hypercall2`), or `??` when no symbol covers them. */
  readonly function: string;
  readonly sites: readonly HypercallSiteInfo[];
}

export interface HypercallSitesArguments {
  /** Scan this ELF instead of the session's `program`. */
  readonly file?: string;
  /** Also list `in`/`out` port-I/O candidates (VMware's backdoor); default false. */
  readonly portIo?: boolean;
}

export interface HypercallSitesBody {
  /** The ELF scanned. */
  readonly file: string;
  /** Functions in address order. */
  readonly functions: readonly HypercallSiteGroup[];
  /** Total sites. */
  readonly count: number;
}

/** The hypercall instructions in the loaded kernel, grouped by function (one-click breakpoints). */
export const hypercallSitesRequest = request<HypercallSitesArguments, HypercallSitesBody>(
  'hvdbg/hypercallSites',
  schema.object({ file: { ...schema.string, minLength: 1 }, portIo: schema.boolean }),
);

// ---------------------------------------------------------------------------------------------------
// Hypervisor side: hypercall breakpoints

export interface HypercallBreakpoint {
  /** Only `kvm` (Linux KVM's `kvm_emulate_hypercall`) for now. */
  readonly abi: 'kvm';
  /** A catalogue name (`KVM_HC_SCHED_YIELD`, `SCHED_YIELD`) or a number (11, `0x4711`). */
  readonly call: string | number;
  /** An extra gdb condition, and-ed with the number test. */
  readonly condition?: string;
}

export interface SetHypercallBreakpointsArguments {
  /** Replaces every hypercall breakpoint of the session. */
  readonly breakpoints: readonly HypercallBreakpoint[];
}

export interface HypercallBreakpointResult {
  readonly verified: boolean;
  /** gdb's breakpoint number (the DAP id in `hitBreakpointIds`). */
  readonly id?: number;
  /** The call as resolved (`KVM_HC_SCHED_YIELD` = 11). */
  readonly name?: string;
  readonly number?: number;
  /** Why not verified, or what was planted. */
  readonly message?: string;
}

export interface SetHypercallBreakpointsBody {
  /** One per requested breakpoint, same order. */
  readonly breakpoints: readonly HypercallBreakpointResult[];
}

export const setHypercallBreakpointsRequest = request<
  SetHypercallBreakpointsArguments,
  SetHypercallBreakpointsBody
>(
  'hvdbg/setHypercallBreakpoints',
  // Each entry is checked by the service, which answers a bad one with its own unverified result.
  schema.object({ breakpoints: { type: 'array', maxItems: 256 } }, ['breakpoints']),
);

// ---------------------------------------------------------------------------------------------------
// The VM exit being handled

export interface VmExitInfo {
  readonly isa: 'svm' | 'vmx';
  /** SVM EXITCODE / VMX exit reason (full 32 bits), hex. */
  readonly code: string;
  /** The manual's name: `VMMCALL` (SVM: the `SVM_EXIT_` suffix), `VMCALL`; a code no table has gives `0x…`. */
  readonly name: string;
  /** The name KVM's `kvm_exit` tracepoint prints (`hypercall` for SVM's VMMCALL), when known. */
  readonly traceName?: string;
  /** The manual's description (AMD APM Vol. 2 App. C, Intel SDM Vol. 3C App. C). */
  readonly description?: string;
  /** SVM EXITINFO1 / VMX exit qualification, hex. */
  readonly info1?: string;
  /** SVM EXITINFO2, hex. */
  readonly info2?: string;
  /** Decoded exit information (I/O port, NPF error code, CR/MSR access), one line. */
  readonly infoText?: string;
  /** The gdb expression it was read from (`((struct vcpu_svm *)vcpu)->vmcb->control`). */
  readonly from: string;
  /** The frame holding the vCPU pointer (`kvm_emulate_hypercall`), and its level. */
  readonly frame: { readonly function: string; readonly level: number };
}

export interface VmExitArguments {
  readonly threadId?: number;
}

export interface VmExitBody {
  readonly exit?: VmExitInfo;
  readonly none?: string;
}

/** The exit KVM is handling on this vCPU (the L1 hypervisor's view), when stopped in its exit handling. */
export const vmExitRequest = request<VmExitArguments, VmExitBody>(
  'hvdbg/vmExit',
  schema.object({ threadId: schema.integer }),
);

// ---------------------------------------------------------------------------------------------------
// The catalogue

/** One hypercall a hypercall breakpoint can name. */
export interface HypercallCatalogueEntry {
  /** `KVM_HC_SCHED_YIELD`. */
  readonly name: string;
  readonly number: number;
  readonly description: string;
}

export interface HypercallCatalogueBody {
  /** The ABI whose handler `hv break hypercall` stops in (`kvm`). */
  readonly abi: string;
  readonly entries: readonly HypercallCatalogueEntry[];
}

/** The hypercalls a hypercall breakpoint of this session can name (the "Add hypercall breakpoint…" list). */
export const hypercallCatalogueRequest = request<Record<string, never>, HypercallCatalogueBody>(
  'hvdbg/hypercallCatalogue',
);

/** The commands the adapter's hypercall service answers. */
export const HYPERCALL_REQUESTS: readonly string[] = [
  hypercallCatalogueRequest.command,
  hypercallRequest.command,
  hypercallSitesRequest.command,
  setHypercallBreakpointsRequest.command,
  vmExitRequest.command,
];
