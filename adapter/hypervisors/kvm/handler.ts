/**
 * The hypervisor side of a KVM hypercall: what Linux KVM's `kvm_emulate_hypercall(struct kvm_vcpu *vcpu)`
 * is handling, read from the vCPU's register cache `vcpu->arch.regs[]`, and the gdb condition that stops
 * there for one hypercall number.
 *
 * Sources: Linux `arch/x86/include/asm/kvm_host.h` (`enum kvm_reg`: RAX 0, RCX 1, RDX 2, RBX 3, RSP 4,
 * RBP 5, RSI 6, RDI 7, R8..R15 8..15, RIP 16), `arch/x86/kvm/x86.c` (`kvm_emulate_hypercall`: nr = RAX,
 * a0..a3 = RBX, RCX, RDX, RSI, all truncated to 32 bits unless `is_64_bit_hypercall`; the result goes to
 * RAX through `kvm_rax_write`, which sets bit VCPU_REGS_RAX of `vcpu->arch.regs_dirty`; SVM and VMX clear
 * `regs_dirty` at every VM exit), `arch/x86/kvm/kvm_cache_regs.h`.
 */
import { findHypercall } from '../../hypercalls/catalogue';
import type { TrapSite } from '../../hypercalls/decode';
import { describeCall, type KnownHypercall, type UnknownHypercall } from '../../hypercalls/describe';
import { KVM_HYPERCALLS } from '../../hypercalls/kvm';

/** `enum kvm_reg` indices of `vcpu->arch.regs[]`. */
export const VCPU_REGS = {
  rax: 0,
  rcx: 1,
  rdx: 2,
  rbx: 3,
  rsp: 4,
  rbp: 5,
  rsi: 6,
  rdi: 7,
  rip: 16,
} as const;

/** EFER.LMA (AMD APM Vol. 2 §3.1.7): long mode active. */
export const EFER_LMA = 0x400n;

/** The functions of Linux KVM that handle a guest's KVM hypercall with `vcpu` as an argument. */
export const KVM_HYPERCALL_HANDLERS: readonly string[] = ['kvm_emulate_hypercall'];

/**
 * Parses gdb's text for an integer array (`{18193, 0x2222, 0 <repeats 8 times>, 32859}`), decimal or
 * hex, negative values as two's complement 64-bit. Throws on anything else.
 */
export function parseGdbIntegerArray(text: string): bigint[] {
  const body = /^\s*\{(.*)\}\s*$/s.exec(text)?.[1];
  if (body === undefined) throw new Error(`not an array: ${text}`);
  const out: bigint[] = [];
  for (const part of body.split(',')) {
    const m = /^\s*(-?(?:0x[0-9a-fA-F]+|\d+))(?:\s*<repeats (\d+) times>)?\s*$/.exec(part);
    if (m?.[1] === undefined) throw new Error(`not an integer array element: '${part.trim()}' in ${text}`);
    const value = BigInt.asUintN(64, BigInt(m[1]));
    const times = m[2] === undefined ? 1 : Number(m[2]);
    for (let i = 0; i < times; i++) out.push(value);
  }
  return out;
}

/** gdb's text for one integer (`18193`, `0x4711`, `-1000`) as an unsigned 64-bit value. */
export function parseGdbInteger(text: string): bigint {
  const m = /^\s*(-?(?:0x[0-9a-fA-F]+|\d+))/.exec(text);
  if (m?.[1] === undefined) throw new Error(`not an integer: ${text}`);
  return BigInt.asUintN(64, BigInt(m[1]));
}

/** What KVM's handler sees of the guest: the cached registers and the mode. */
export interface VcpuRegisterCache {
  /** `vcpu->arch.regs[]`, indexed by `enum kvm_reg`. */
  readonly regs: readonly bigint[];
  /** `vcpu->arch.efer`. */
  readonly efer: bigint;
  /** `vcpu->arch.regs_dirty`. */
  readonly regsDirty: bigint;
}

/** The guest registers by name from `vcpu->arch.regs[]` (the general ones hypercall ABIs use). */
export function guestRegisters(cache: VcpuRegisterCache): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const [name, index] of Object.entries(VCPU_REGS)) {
    const value = cache.regs[index];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Whether KVM has written the result (RAX) since the VM exit: `regs_dirty` bit VCPU_REGS_RAX. */
export function resultWritten(cache: VcpuRegisterCache): boolean {
  return (cache.regsDirty & (1n << BigInt(VCPU_REGS.rax))) !== 0n;
}

/**
 * 32 or 64: KVM's `is_64_bit_hypercall` is EFER.LMA and CS.L; without CS.L (compatibility mode is rare
 * for a hypercall) this takes EFER.LMA alone.
 */
export function guestBitness(cache: VcpuRegisterCache): 32 | 64 {
  return (cache.efer & EFER_LMA) !== 0n ? 64 : 32;
}

/**
 * Names the call KVM's handler is processing. `rax` is the number as the guest passed it (read before
 * KVM overwrote RAX with the result; pass `cache.regs[0]` while {@link resultWritten} is false).
 * `instruction`: the exit's instruction when the exit code is known (SVM 0x81 `vmmcall`, VMX 18 `vmcall`).
 */
export function describeHandledCall(
  cache: VcpuRegisterCache,
  rax: bigint,
  instruction: 'vmcall' | 'vmmcall' = 'vmmcall',
): KnownHypercall | UnknownHypercall {
  const bitness = guestBitness(cache);
  const rip = cache.regs[VCPU_REGS.rip] ?? 0n;
  const site: TrapSite = {
    kind: 'trap',
    instruction,
    address: rip,
    length: 3,
    bytes: new Uint8Array(),
    text: instruction,
    bitness,
  };
  const decoded = describeCall(site, { ...guestRegisters(cache), rax }, { hint: 'kvm', bitness });
  if (decoded.kind === 'not-hypercall') throw new Error(`not a KVM hypercall: ${decoded.reason}`);
  return decoded;
}

/** A hypercall named for a breakpoint: its number and, when the catalogue has it, its name. */
export interface ResolvedCall {
  readonly number: number;
  readonly name?: string;
}

/**
 * Resolves `KVM_HC_SCHED_YIELD`, `SCHED_YIELD`, `sched_yield`, `11` or `0x4711` (or a number) to a KVM
 * hypercall number. Returns a message for the user when it is neither a name nor a number.
 */
export function resolveKvmCall(call: string | number): ResolvedCall | string {
  if (typeof call === 'number') {
    if (!Number.isSafeInteger(call) || call < 0)
      return `hypercall number ${call} is not a non-negative integer`;
    return withName(call);
  }
  const text = call.trim();
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return withName(Number(BigInt(text)));
  const upper = text.toUpperCase();
  const name = upper.startsWith('KVM_HC_') ? upper : `KVM_HC_${upper}`;
  const entry = KVM_HYPERCALLS.find((e) => e.name === name);
  if (entry !== undefined) return { number: entry.number, name: entry.name };
  const known = KVM_HYPERCALLS.map((e) => e.name.slice('KVM_HC_'.length)).join(', ');
  return `'${call}' is not a KVM hypercall name or number (names: ${known})`;
}

function withName(number: number): ResolvedCall {
  const entry = findHypercall('kvm', number);
  return entry === undefined ? { number } : { number, name: entry.name };
}

/**
 * The gdb condition, evaluated in `kvm_emulate_hypercall`, that holds when the vCPU asks for hypercall
 * `number`: RAX equal to it, or (a 32-bit guest, EFER.LMA clear) its low 32 bits equal to it, as KVM
 * truncates the number for a 32-bit guest.
 */
export function kvmHypercallCondition(number: number): string {
  const regs = 'vcpu->arch.regs';
  const n = `0x${number.toString(16)}`;
  if (number > 0xffffffff) return `${regs}[${VCPU_REGS.rax}] == ${n}`;
  return (
    `(${regs}[${VCPU_REGS.rax}] & 0xffffffff) == ${n} && ` +
    `((${regs}[${VCPU_REGS.rax}] >> 32) == 0 || (vcpu->arch.efer & 0x${EFER_LMA.toString(16)}) == 0)`
  );
}
