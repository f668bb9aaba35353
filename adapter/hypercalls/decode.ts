/**
 * Recognises the instructions that make hypercalls, with iced-x86, from bytes read from the guest.
 *
 * Decode live guest memory, not the ELF: Linux rewrites `vmcall` into `vmmcall` on AMD at boot (KVM's
 * `ALTERNATIVE`, VMware's `ALTERNATIVE_2`) and KVM itself may patch a guest's wrong one on first use, so the
 * file and the running code differ.
 *
 * What counts as a site (see {@link HypercallSite}):
 * - `trap`: `vmcall`/`vmmcall` anywhere; `int 0x1f` (lguest) anywhere; `syscall` and `int 0x82` only inside
 *   Xen's hypercall page (PV stubs).
 * - `page-call`: a direct `call` into Xen's hypercall page at a 32-byte slot (`hypercall_page + nr*32`), to
 *   the Hyper-V hypercall page, or to a VMI ROM entry; an indirect `call [hv_hypercall_pg]`.
 * - `register-call`: `call reg` when a Xen or Hyper-V page is known (resolved against the register later).
 * - `port-io`: `in eax, dx`, `out dx, eax`, `rep insb`, `rep outsb`: VMware's backdoor only if the registers
 *   say so (port 0x5658/0x5659, EAX magic), which {@link describeCall} checks.
 * Not recognised: retpoline thunks (`call __x86_indirect_thunk_rax`) and static calls into the page, whose
 * target needs symbols, and SEV-ES `vmgexit` (a GHCB protocol, not registers).
 */
import type * as Iced from 'iced-x86';
import { iced, type IcedModule } from './iced';
import type { HypercallContext } from './types';
import { XEN_HYPERCALL_PAGE_SIZE, XEN_HYPERCALL_SLOT_SIZE } from './xen';

/** Where a trap instruction sits, when it is inside a known hypercall page. */
export type PageLocation = { readonly abi: 'xen'; readonly slot: number } | { readonly abi: 'hyperv' };

interface SiteCommon {
  /** Guest-virtual address of the instruction. */
  readonly address: bigint;
  /** Instruction length in bytes. */
  readonly length: number;
  /** The instruction bytes. */
  readonly bytes: Uint8Array;
  /** Intel-syntax text, e.g. `vmcall`, `in eax,dx`. */
  readonly text: string;
  readonly bitness: 32 | 64;
}

export interface TrapSite extends SiteCommon {
  readonly kind: 'trap';
  readonly instruction: 'vmcall' | 'vmmcall' | 'int 0x1f' | 'int 0x82' | 'syscall';
  readonly page?: PageLocation;
}

export interface PageCallSite extends SiteCommon {
  readonly kind: 'page-call';
  readonly abi: 'xen' | 'hyperv' | 'vmi';
  /** Call target; undefined for `call [hv_hypercall_pg]` when the page address itself is not known. */
  readonly target: bigint | undefined;
  readonly via: 'direct' | 'pointer';
  /** Xen: the slot (= hypercall number); VMI: the `VMI_CALL_*` number. */
  readonly number?: number;
}

export interface RegisterCallSite extends SiteCommon {
  readonly kind: 'register-call';
  /** The register holding the target, gdb spelling (`rax`). */
  readonly register: string;
}

export interface PortIoSite extends SiteCommon {
  readonly kind: 'port-io';
  readonly instruction: 'in' | 'out' | 'rep insb' | 'rep outsb';
}

/** An instruction that makes, or may make, a hypercall. */
export type HypercallSite = TrapSite | PageCallSite | RegisterCallSite | PortIoSite;

let formatter: Iced.Formatter | undefined;

function format(m: IcedModule, ins: Iced.Instruction): string {
  formatter ??= new m.Formatter(m.FormatterSyntax.Intel);
  return formatter.format(ins);
}

function pageOf(address: bigint, ctx: HypercallContext): PageLocation | undefined {
  const xen = ctx.xenHypercallPage;
  if (xen !== undefined && address >= xen && address < xen + BigInt(XEN_HYPERCALL_PAGE_SIZE)) {
    return { abi: 'xen', slot: Number((address - xen) / BigInt(XEN_HYPERCALL_SLOT_SIZE)) };
  }
  const hv = ctx.hypervHypercallPage;
  if (hv !== undefined && address >= hv && address < hv + 4096n) return { abi: 'hyperv' };
  return undefined;
}

/** A call target's hypercall meaning: a Xen slot start, the Hyper-V page, a VMI entry. */
export function classifyCallTarget(
  target: bigint,
  ctx: HypercallContext,
): { abi: 'xen' | 'hyperv' | 'vmi'; number?: number } | undefined {
  const xen = ctx.xenHypercallPage;
  if (xen !== undefined && target >= xen && target < xen + BigInt(XEN_HYPERCALL_PAGE_SIZE)) {
    const offset = target - xen;
    const slot = BigInt(XEN_HYPERCALL_SLOT_SIZE);
    return offset % slot === 0n ? { abi: 'xen', number: Number(offset / slot) } : undefined;
  }
  if (ctx.hypervHypercallPage !== undefined && target === ctx.hypervHypercallPage) return { abi: 'hyperv' };
  const vmi = ctx.vmiTargets?.get(target);
  return vmi === undefined ? undefined : { abi: 'vmi', number: vmi };
}

/**
 * Classifies one decoded instruction. Shared by {@link decodeHypercallInstruction} and the scanner;
 * `bytes` is the buffer the instruction was decoded from, starting at `base`.
 */
export function classifyInstruction(
  m: IcedModule,
  ins: Iced.Instruction,
  bytes: Uint8Array,
  base: bigint,
  ctx: HypercallContext,
): HypercallSite | undefined {
  if (ins.isInvalid) return undefined;
  const bitness = ctx.bitness ?? 64;
  const start = Number(ins.ip - base);
  const common = (): SiteCommon => ({
    address: ins.ip,
    length: ins.length,
    bytes: bytes.slice(start, start + ins.length),
    text: format(m, ins),
    bitness,
  });
  const M = m.Mnemonic;
  const R = m.Register;
  const page = pageOf(ins.ip, ctx);
  switch (ins.mnemonic) {
    case M.Vmcall:
    case M.Vmmcall: {
      const instruction = ins.mnemonic === M.Vmcall ? 'vmcall' : 'vmmcall';
      return page === undefined
        ? { ...common(), kind: 'trap', instruction }
        : { ...common(), kind: 'trap', instruction, page };
    }
    case M.Int: {
      const vector = ins.immediate8;
      if (vector === 0x1f) return { ...common(), kind: 'trap', instruction: 'int 0x1f' };
      if (vector !== 0x82 || page?.abi !== 'xen') return undefined;
      return { ...common(), kind: 'trap', instruction: 'int 0x82', page };
    }
    case M.Syscall:
      return page?.abi === 'xen' ? { ...common(), kind: 'trap', instruction: 'syscall', page } : undefined;
    case M.Call:
      return classifyCall(m, ins, ctx, common);
    case M.In:
      return ins.op0Register === R.EAX && ins.op1Register === R.DX
        ? { ...common(), kind: 'port-io', instruction: 'in' }
        : undefined;
    case M.Out:
      return ins.op0Register === R.DX && ins.op1Register === R.EAX
        ? { ...common(), kind: 'port-io', instruction: 'out' }
        : undefined;
    case M.Insb:
      return ins.hasRepPrefix ? { ...common(), kind: 'port-io', instruction: 'rep insb' } : undefined;
    case M.Outsb:
      return ins.hasRepPrefix ? { ...common(), kind: 'port-io', instruction: 'rep outsb' } : undefined;
    default:
      return undefined;
  }
}

function classifyCall(
  m: IcedModule,
  ins: Iced.Instruction,
  ctx: HypercallContext,
  common: () => SiteCommon,
): HypercallSite | undefined {
  if (ins.isCallNear) {
    const target = ins.nearBranchTarget;
    const hit = classifyCallTarget(target, ctx);
    if (hit === undefined) return undefined;
    const site = { ...common(), kind: 'page-call', abi: hit.abi, target, via: 'direct' } as const;
    return hit.number === undefined ? site : { ...site, number: hit.number };
  }
  if (!ins.isCallNearIndirect) return undefined;
  if (ins.op0Kind === m.OpKind.Register) {
    if (ctx.xenHypercallPage === undefined && ctx.hypervHypercallPage === undefined) return undefined;
    return { ...common(), kind: 'register-call', register: registerName(m, ins.op0Register) };
  }
  const pointer = ctx.hypervHypercallPointer;
  if (pointer === undefined || ins.memoryIndex !== m.Register.None) return undefined;
  const absolute = ins.memoryBase === m.Register.None;
  if (!ins.isIpRelMemoryOperand && !absolute) return undefined;
  const address = ins.isIpRelMemoryOperand ? ins.ipRelMemoryAddress : ins.memoryDisplacementU64;
  if (address !== pointer) return undefined;
  return { ...common(), kind: 'page-call', abi: 'hyperv', target: ctx.hypervHypercallPage, via: 'pointer' };
}

function registerName(m: IcedModule, register: Iced.Register): string {
  return (m.Register[register] ?? `r${register}`).toLowerCase();
}

/**
 * Decodes the instruction at the start of `bytes` (read from guest memory at `rip`; 15 bytes suffice) and
 * returns it as a hypercall site, or undefined when it cannot make a hypercall or does not decode.
 * Throws {@link HypercallDecoderUnavailableError} when iced-x86 cannot be loaded.
 */
export function decodeHypercallInstruction(
  bytes: Uint8Array,
  rip: bigint,
  context: HypercallContext = {},
): HypercallSite | undefined {
  const m = iced();
  const decoder = new m.Decoder(context.bitness ?? 64, bytes, m.DecoderOptions.None);
  const ins = new m.Instruction();
  try {
    decoder.ip = rip;
    if (!decoder.canDecode) return undefined;
    decoder.decodeOut(ins);
    return classifyInstruction(m, ins, bytes, rip, context);
  } finally {
    ins.free();
    decoder.free();
  }
}
