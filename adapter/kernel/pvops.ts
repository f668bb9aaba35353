/**
 * The paravirt interface of an x86 Linux guest: `pv_info.name` and every slot of `pv_ops` (`struct
 * paravirt_patch_template`: cpu, irq, mmu, lock; arch/x86/include/asm/paravirt_types.h) resolved to the
 * function it points at. The same kernel runs on bare hardware with the native defaults
 * (arch/x86/kernel/paravirt.c) and under KVM, Xen, VMware or Hyper-V with their replacements
 * (kvm_guest_init, xen_start_kernel, vmware_paravirt_ops_setup, hv_init_spinlocks, ...).
 */
import type { ParavirtBody, ParavirtKind, ParavirtSlot } from '../protocol/kernelRequests';
import { hex, parseAddress, parseCString, type KernelTarget } from './target';

/** paravirt.c's defaults that are neither named native_* nor a hypervisor's. */
const NATIVE_DEFAULTS = new Set([
  'paravirt_nop',
  '_paravirt_nop',
  '_paravirt_ident_64',
  'paravirt_ret0',
  'paravirt_BUG',
  'paravirt_flush_tlb_multi',
]);

/** Function name prefixes of the hypervisors' pv_ops (arch/x86/kernel/kvm.c, arch/x86/xen/, ...). */
const PARAVIRT_PREFIXES =
  /^(?:kvm_|__kvm_|xen_|__xen_|vmware_|hv_|hyperv_|__pv_queued_spin_unlock|pv_wait|pv_kick|lguest_|vmi_|acrn_|jailhouse_)/;

/** Classifies a slot's target symbol (`native_write_cr3`, `__raw_callee_save___kvm_vcpu_is_preempted+0`). */
export function classifyTarget(address: bigint, target: string | undefined): ParavirtKind {
  if (address === 0n) return 'null';
  if (target === undefined) return 'other';
  // PV_CALLEE_SAVE(f) points at the register-saving thunk __raw_callee_save_f.
  const name = target.replace(/\+\d+$/, '').replace(/^__raw_callee_save_/, '');
  if (/^(?:__)?native_|^pv_native_/.test(name) || NATIVE_DEFAULTS.has(name)) return 'native';
  if (PARAVIRT_PREFIXES.test(name)) return 'paravirt';
  return 'other';
}

/**
 * Flattens gdb's print of a struct (`{cpu = {io_delay = 0xffffffff81... <native_io_delay>, ...}, ...}`)
 * into dotted field paths and their value texts, in declaration order.
 */
export function flattenStruct(text: string): [string, string][] {
  const out: [string, string][] = [];
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text.charAt(pos))) pos++;
  };
  const value = (path: string): void => {
    skipSpace();
    if (text.charAt(pos) === '{') {
      pos++;
      for (;;) {
        skipSpace();
        if (text.charAt(pos) === '}') {
          pos++;
          return;
        }
        const eq = text.indexOf(' = ', pos);
        if (eq < 0) throw new Error(`unexpected struct text at ${pos}`);
        const field = text.slice(pos, eq).trim();
        pos = eq + 3;
        value(path === '' ? field : `${path}.${field}`);
        skipSpace();
        if (text.charAt(pos) === ',') pos++;
        else if (text.charAt(pos) !== '}') throw new Error(`unexpected struct text at ${pos}`);
      }
    }
    const start = pos;
    let angle = 0;
    while (pos < text.length) {
      const c = text.charAt(pos);
      if (c === '<') angle++;
      else if (c === '>') angle--;
      else if (angle === 0 && (c === ',' || c === '}')) break;
      pos++;
    }
    out.push([path, text.slice(start, pos).trim()]);
  };
  value('');
  return out;
}

/** A slot from one flattened field: `irq.save_fl.func` is slot `irq.save_fl`. */
export function slotOf(path: string, valueText: string): ParavirtSlot {
  const address = parseAddress(valueText) ?? 0n;
  const target = /<([^>]+)>/.exec(valueText)?.[1];
  const slot = path.replace(/\.func$/, '');
  return {
    slot,
    address: hex(address),
    ...(target === undefined ? {} : { target }),
    kind: classifyTarget(address, target),
  };
}

/** Reads `pv_info.name` and `pv_ops`; rejects (with gdb's message) on a kernel without CONFIG_PARAVIRT. */
export async function readParavirt(target: KernelTarget): Promise<ParavirtBody> {
  const name = parseCString(await target.evaluate('pv_info.name')) ?? '';
  const slots = flattenStruct(await target.evaluate('pv_ops')).map(([path, text]) => slotOf(path, text));
  // A pointer gdb printed without a symbol: ask `info symbol` (an address inside a function).
  const resolved = await Promise.all(
    slots.map(async (slot) => {
      if (slot.target !== undefined || slot.kind === 'null') return slot;
      const info = await target.command(`info symbol ${slot.address}`).catch(() => '');
      const match = /^(\S+)(?: \+ (\d+))? in section/.exec(info.trim());
      if (match?.[1] === undefined) return slot;
      const symbol = match[2] === undefined ? match[1] : `${match[1]}+${match[2]}`;
      return { ...slot, target: symbol, kind: classifyTarget(BigInt(slot.address), symbol) };
    }),
  );
  return { name, slots: resolved };
}

/** `hv pvops` text: the name, then one line per slot. */
export function formatParavirt(body: ParavirtBody): string {
  const counts = new Map<ParavirtKind, number>();
  for (const s of body.slots) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  const width = Math.max(4, ...body.slots.map((s) => s.slot.length));
  const lines = body.slots.map((s) =>
    `  ${s.slot.padEnd(width)}  ${s.kind.padEnd(8)}  ${s.address.padEnd(18)}  ${s.target ?? ''}`.trimEnd(),
  );
  const summary = (['native', 'paravirt', 'other', 'null'] as const)
    .map((k) => `${counts.get(k) ?? 0} ${k}`)
    .join(', ');
  return `pv_info.name: "${body.name}"\npv_ops: ${body.slots.length} slots (${summary})\n${lines.join('\n')}`;
}
