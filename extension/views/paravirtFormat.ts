/**
 * How the Paravirt view prints `pv_ops` (adapter/protocol/kernelRequests.ts). No `vscode` import (unit-tested in
 * plain Node); the classification (native / paravirtualized) is the adapter's.
 */
import type { ParavirtKind, ParavirtSlot } from '../../adapter/protocol/kernelRequests';

/** The slot group (`cpu`, `irq`, `mmu`, `lock`) of `mmu.write_cr3`; `other` without a dot. */
export function slotGroup(slot: string): string {
  const dot = slot.indexOf('.');
  return dot < 0 ? 'other' : slot.slice(0, dot);
}

export interface SlotGroup {
  readonly name: string;
  readonly slots: readonly ParavirtSlot[];
  readonly paravirt: number;
}

/** The slots grouped by their `struct paravirt_patch_template` member, in the structure's order. */
export function groupSlots(slots: readonly ParavirtSlot[]): SlotGroup[] {
  const groups = new Map<string, ParavirtSlot[]>();
  for (const s of slots) {
    const g = slotGroup(s.slot);
    let list = groups.get(g);
    if (list === undefined) groups.set(g, (list = []));
    list.push(s);
  }
  return [...groups].map(([name, list]) => ({
    name,
    slots: list,
    paravirt: list.filter((s) => s.kind === 'paravirt').length,
  }));
}

const KIND_TEXT: Readonly<Record<ParavirtKind, string>> = {
  native: 'native',
  paravirt: 'paravirtualized',
  other: 'other',
  null: 'empty (0)',
};

/** A slot's row: `write_cr3`, `native_write_cr3 · native`. */
export function slotText(slot: ParavirtSlot): { label: string; description: string; tooltip: string } {
  const group = slotGroup(slot.slot);
  const label = group === 'other' ? slot.slot : slot.slot.slice(group.length + 1);
  const target = slot.target ?? slot.address;
  return {
    label,
    description: `${target} · ${KIND_TEXT[slot.kind]}`,
    tooltip: `pv_ops.${slot.slot} = ${slot.address}${slot.target === undefined ? '' : ` <${slot.target}>`}\n${KIND_TEXT[slot.kind]}`,
  };
}
