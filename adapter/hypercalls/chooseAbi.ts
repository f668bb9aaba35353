/**
 * Which ABI a hypercall site uses, from the instruction, where it sits, the registers and the hint.
 *
 * For `vmcall`/`vmmcall`, first match wins: inside Xen's hypercall page (Xen, number = slot); inside the
 * Hyper-V page (Hyper-V); EAX = VMware's magic (VMware's vmcall backdoor; the magic is decisive, KVM and Xen
 * numbers never equal it); the context's hint; otherwise KVM, marked `default`. `int 0x1f` is lguest.
 * Port I/O is VMware's backdoor only with port 0x5658/0x5659 in DX and the magic in EAX.
 */
import { classifyCallTarget, type HypercallSite } from './decode';
import { RegisterFile, hex } from './registers';
import type { HypercallAbi, HypercallContext } from './types';
import {
  VMWARE_BACKDOOR_FLAG_HB,
  VMWARE_BACKDOOR_HB_PORT,
  VMWARE_BACKDOOR_MAGIC,
  VMWARE_BACKDOOR_PORT,
} from './vmware';

/** Why the ABI was chosen. */
export type AbiReason =
  | 'xen-hypercall-page'
  | 'hyperv-hypercall-page'
  | 'vmi-rom'
  | 'vmware-magic'
  | 'instruction'
  | 'hint'
  | 'default';

export interface AbiChoice {
  readonly abi: HypercallAbi;
  readonly reason: AbiReason;
  /** A number the site itself gives (Xen slot, VMI entry) rather than a register. */
  readonly number?: number;
  /** VMware: the high-bandwidth backdoor. */
  readonly highBandwidth?: boolean;
  readonly notes?: readonly string[];
}

const HINT_ABI = {
  kvm: 'kvm',
  xen: 'xen',
  hyperv: 'hyperv',
  vmware: 'vmware-backdoor',
  lguest: 'lguest',
} as const;

const MAGIC = BigInt(VMWARE_BACKDOOR_MAGIC);

/** A hypercall-page or ROM target as a choice. */
function byTarget(abi: 'xen' | 'hyperv' | 'vmi', number: number | undefined): AbiChoice {
  const reason =
    abi === 'xen' ? 'xen-hypercall-page' : abi === 'hyperv' ? 'hyperv-hypercall-page' : 'vmi-rom';
  return number === undefined ? { abi, reason } : { abi, reason, number };
}

/** The ABI of `site`, or why it is not a hypercall. */
export function chooseAbi(
  site: HypercallSite,
  regs: RegisterFile,
  ctx: HypercallContext,
): AbiChoice | string {
  switch (site.kind) {
    case 'port-io':
      return portIo(site.text, site.instruction, regs);
    case 'page-call':
      return byTarget(site.abi, site.number);
    case 'register-call': {
      const target = regs.get(site.register);
      if (target === undefined) return `register ${site.register} is not available`;
      const hit = classifyCallTarget(target, ctx);
      return hit === undefined
        ? `call target ${hex(target)} is not a hypercall page slot`
        : byTarget(hit.abi, hit.number);
    }
    case 'trap':
      break;
  }
  if (site.instruction === 'int 0x1f') return { abi: 'lguest', reason: 'instruction' };
  if (site.page !== undefined)
    return byTarget(site.page.abi, site.page.abi === 'xen' ? site.page.slot : undefined);
  if (site.instruction === 'syscall' || site.instruction === 'int 0x82') return 'not inside a hypercall page';
  if (regs.get32('eax') === MAGIC) {
    const flags = regs.get('edx') ?? 0n;
    const highBandwidth = (flags & BigInt(VMWARE_BACKDOOR_FLAG_HB)) !== 0n;
    return { abi: 'vmware-backdoor', reason: 'vmware-magic', highBandwidth };
  }
  if (ctx.hint !== undefined && ctx.hint !== 'vmi') return { abi: HINT_ABI[ctx.hint], reason: 'hint' };
  return {
    abi: 'kvm',
    reason: 'default',
    notes: ['ABI assumed to be KVM: no hypervisor hint and no known hypercall page'],
  };
}

function portIo(text: string, instruction: string, regs: RegisterFile): AbiChoice | string {
  const eax = regs.get32('eax');
  const dx = regs.get('edx');
  const port = dx === undefined ? undefined : Number(dx & 0xffffn);
  if (eax !== MAGIC || (port !== VMWARE_BACKDOOR_PORT && port !== VMWARE_BACKDOOR_HB_PORT)) {
    const show = (v: bigint | number | undefined): string => (v === undefined ? '?' : hex(v));
    return `${text} with DX ${show(port)} and EAX ${show(eax)} is not VMware's backdoor (port 0x5658/0x5659, EAX 0x564d5868)`;
  }
  const highBandwidth = port === VMWARE_BACKDOOR_HB_PORT;
  const stringOp = instruction === 'rep insb' || instruction === 'rep outsb';
  const notes = highBandwidth === stringOp ? [] : [`${instruction} on port ${hex(port)}: unusual pairing`];
  return { abi: 'vmware-backdoor', reason: 'vmware-magic', highBandwidth, notes };
}
