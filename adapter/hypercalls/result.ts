/**
 * The result of a hypercall, read after stepping over it: KVM's `-KVM_E*`, Xen's `-XEN_E*`, Hyper-V's
 * HV_STATUS_* and repetitions, VMware's output registers.
 */
import type { DecodedArgument, KnownHypercall, UnknownHypercall } from './describe';
import { decodeHypervResult, type HypervResultValue } from './hyperv';
import { KVM_ERRORS } from './kvm';
import { RegisterFile, hex, toSigned } from './registers';
import type { HypercallAbi } from './types';
import { XEN_ERRNO } from './xen';

export interface DecodedResult {
  readonly abi: HypercallAbi;
  /** The result register as read (RAX, or EDX:EAX for Hyper-V in 32-bit mode). */
  readonly raw: bigint;
  /** `success`: the ABI's success code; `error`: a failure code; `value`: a plain value (a count, a version). */
  readonly kind: 'success' | 'error' | 'value';
  /** The code's name with its sign where the ABI negates it: `-KVM_ENOSYS`, `-XEN_EINVAL`, `HV_STATUS_ACCESS_DENIED`. */
  readonly code?: string;
  /** One line for the UI, e.g. `-1000 (-KVM_ENOSYS)`. */
  readonly text: string;
  readonly hyperv?: HypervResultValue;
  /** VMware: EAX, EBX, ECX, EDX, ESI, EDI after the call, when the registers were given. */
  readonly outputs?: readonly DecodedArgument[];
}

/**
 * Decodes the result of `call` from RAX after it returned. `after`, the registers after the call, adds
 * VMware's output registers and Hyper-V's EDX half in 32-bit mode.
 */
export function describeResult(
  call: KnownHypercall | UnknownHypercall,
  rax: bigint,
  after?: Readonly<Record<string, bigint>>,
): DecodedResult {
  const bits = call.site.bitness;
  const regs = after === undefined ? undefined : new RegisterFile(after, bits);
  const raw = bits === 32 ? rax & 0xffffffffn : rax;
  switch (call.abi) {
    case 'kvm':
      return kvmResult(call, raw, bits);
    case 'xen':
      return errnoResult('xen', raw, bits, XEN_ERRNO);
    case 'hyperv': {
      const edx = regs?.get('edx');
      const full = bits === 32 && edx !== undefined ? (edx << 32n) | raw : raw;
      const hv = decodeHypervResult(full);
      const name = hv.statusName ?? `HV_STATUS ${hex(hv.status)}`;
      const reps = hv.repsCompleted > 0 ? `, ${hv.repsCompleted} repetitions completed` : '';
      return {
        abi: 'hyperv',
        raw: full,
        kind: hv.status === 0 ? 'success' : 'error',
        code: name,
        text: `${name}${reps}`,
        hyperv: hv,
      };
    }
    case 'vmware-backdoor': {
      const names = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi'];
      const outputs = regs === undefined ? undefined : names.map((r) => out(r, regs.get32(r)));
      const text = outputs === undefined ? `EAX ${hex(raw & 0xffffffffn)}` : outputs.map(show).join(', ');
      return {
        abi: 'vmware-backdoor',
        raw,
        kind: 'value',
        text,
        ...(outputs === undefined ? {} : { outputs }),
      };
    }
    case 'lguest':
    case 'vmi':
      return { abi: call.abi, raw, kind: 'value', text: `EAX ${hex(raw)}` };
  }
}

const out = (register: string, value: bigint | undefined): DecodedArgument => ({
  name: register,
  register,
  value,
  description: 'after the call',
});

const show = (a: DecodedArgument): string =>
  `${a.register.toUpperCase()} ${a.value === undefined ? '?' : hex(a.value)}`;

function kvmResult(call: KnownHypercall | UnknownHypercall, raw: bigint, bits: 32 | 64): DecodedResult {
  const signed = toSigned(raw, bits);
  if (call.kind === 'known' && call.entry.name === 'KVM_HC_SEND_IPI' && signed >= 0n) {
    return { abi: 'kvm', raw, kind: 'value', text: `${signed} CPUs received the IPI` };
  }
  return errnoResult('kvm', raw, bits, KVM_ERRORS);
}

function errnoResult(
  abi: 'kvm' | 'xen',
  raw: bigint,
  bits: 32 | 64,
  table: ReadonlyMap<number, string>,
): DecodedResult {
  const signed = toSigned(raw, bits);
  if (signed === 0n) return { abi, raw, kind: 'success', text: '0 (success)' };
  if (signed > 0n) return { abi, raw, kind: 'value', text: `${signed} (${hex(raw)})` };
  const errno = -signed;
  const name = errno <= 0xffffn ? table.get(Number(errno)) : undefined;
  if (name === undefined) {
    const family = abi === 'kvm' ? 'KVM_E*' : 'XEN_E*';
    return { abi, raw, kind: 'error', text: `${signed} (not a ${family} code)` };
  }
  const code = `-${name}`;
  return { abi, raw, kind: 'error', code, text: `${signed} (${code})` };
}
