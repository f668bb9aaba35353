/**
 * The Paravirt view (Run and Debug) for a Linux guest: `pv_info.name` (the view's description) and every
 * `pv_ops` slot resolved to the function it points at, grouped by `struct paravirt_patch_template`
 * member (cpu, irq, mmu, lock), native versus paravirtualized (`hvdbg/paravirt`, decided by the
 * adapter). Read once per session at its first stop; "Refresh" reads again (a guest switches its ops
 * early in boot).
 */
import * as vscode from 'vscode';
import { type ParavirtBody, paravirtRequest, type ParavirtSlot } from '../../adapter/protocol/kernelRequests';
import { sendRequest } from './index';
import type { StopsStore } from './pageTablesStore';
import { SessionOnceTree, type Summary } from './sessionOnceTree';
import { groupSlots, type SlotGroup, slotText } from './paravirtFormat';

export type ParavirtNode =
  | { readonly kind: 'group'; readonly group: SlotGroup }
  | { readonly kind: 'slot'; readonly slot: ParavirtSlot };

const ICONS: Readonly<Record<ParavirtSlot['kind'], string>> = {
  native: 'circle-outline',
  paravirt: 'vm',
  other: 'symbol-function',
  null: 'circle-slash',
};

export class ParavirtTreeProvider extends SessionOnceTree<ParavirtBody, ParavirtNode> {
  constructor(stops: StopsStore) {
    super(stops, 'pv_ops is read at the next stop.', 'Cannot read pv_ops');
  }

  protected read(session: vscode.DebugSession): Promise<ParavirtBody> {
    return sendRequest(session, paravirtRequest, {});
  }

  protected summarize(body: ParavirtBody): Summary<ParavirtNode> {
    const paravirt = body.slots.filter((s) => s.kind === 'paravirt').length;
    return {
      description: `${body.name} · ${paravirt} of ${body.slots.length} paravirtualized`,
      message:
        body.slots.length === 0 ? `pv_info.name is "${body.name}"; no pv_ops slot was read.` : undefined,
      nodes: groupSlots(body.slots).map((group) => ({ kind: 'group' as const, group })),
    };
  }

  protected childrenOf(node: ParavirtNode): ParavirtNode[] {
    return node.kind === 'group' ? node.group.slots.map((slot) => ({ kind: 'slot' as const, slot })) : [];
  }

  protected itemOf(node: ParavirtNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const g = node.group;
      const item = new vscode.TreeItem(g.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `group:${g.name}`;
      item.description = `${g.paravirt} of ${g.slots.length} paravirtualized`;
      item.iconPath = new vscode.ThemeIcon('symbol-namespace');
      return item;
    }
    const text = slotText(node.slot);
    const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
    item.id = `slot:${node.slot.slot}`;
    item.description = text.description;
    item.tooltip = text.tooltip;
    item.iconPath = new vscode.ThemeIcon(ICONS[node.slot.kind]);
    return item;
  }
}
