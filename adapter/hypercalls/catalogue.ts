/**
 * All hypercall catalogues behind one lookup: ABI descriptions, entries by ABI, and entry by number.
 */
import { HYPERV_ABI, HYPERV_HYPERCALLS } from './hyperv';
import { LGUEST_ABI, LGUEST_HYPERCALLS, VMI_ABI, VMI_CALLS } from './historical';
import { KVM_ABI, KVM_HYPERCALLS } from './kvm';
import type { HypercallAbi, HypercallAbiInfo, HypercallEntry } from './types';
import { VMWARE_ABI, VMWARE_BACKDOOR_COMMANDS, VMWARE_BACKDOOR_HB_COMMANDS } from './vmware';
import { XEN_ABI, XEN_HYPERCALLS } from './xen';

/** How each ABI passes a call. */
export const ABI_INFO: Readonly<Record<HypercallAbi, HypercallAbiInfo>> = {
  kvm: KVM_ABI,
  xen: XEN_ABI,
  hyperv: HYPERV_ABI,
  'vmware-backdoor': VMWARE_ABI,
  lguest: LGUEST_ABI,
  vmi: VMI_ABI,
};

/**
 * Each ABI's table, numbers unique within a table. VMware's is the low-bandwidth commands (`ECX & 0xffff`);
 * the high-bandwidth ones (`EBX` on port 0x5659) are `VMWARE_BACKDOOR_HB_COMMANDS`.
 */
export const HYPERCALL_CATALOGUE: Readonly<Record<HypercallAbi, readonly HypercallEntry[]>> = {
  kvm: KVM_HYPERCALLS,
  xen: XEN_HYPERCALLS,
  hyperv: HYPERV_HYPERCALLS,
  'vmware-backdoor': VMWARE_BACKDOOR_COMMANDS,
  lguest: LGUEST_HYPERCALLS,
  vmi: VMI_CALLS,
};

const byNumber = (entries: readonly HypercallEntry[]): ReadonlyMap<number, HypercallEntry> =>
  new Map(entries.map((e) => [e.number, e]));

const INDEX = new Map(
  (Object.keys(HYPERCALL_CATALOGUE) as HypercallAbi[]).map((abi) => [
    abi,
    byNumber(HYPERCALL_CATALOGUE[abi]),
  ]),
);
const HB_INDEX = byNumber(VMWARE_BACKDOOR_HB_COMMANDS);

/** A table key for a register value: undefined for negatives and anything past 32 bits. */
function asIndex(n: number | bigint): number | undefined {
  if (typeof n === 'bigint') return n >= 0n && n <= 0xffffffffn ? Number(n) : undefined;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The entry for `number` in `abi`'s table, or undefined when the catalogue lacks it. */
export function findHypercall(abi: HypercallAbi, number: number | bigint): HypercallEntry | undefined {
  const n = asIndex(number);
  return n === undefined ? undefined : INDEX.get(abi)?.get(n);
}

/** The VMware high-bandwidth command `number` (EBX), or undefined. */
export function findVmwareHbCommand(number: number | bigint): HypercallEntry | undefined {
  const n = asIndex(number);
  return n === undefined ? undefined : HB_INDEX.get(n);
}
