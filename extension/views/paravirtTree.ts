/**
 * The Paravirt view (Run and Debug) for a Linux guest: `pv_info.name` (the view's description) and every
 * `pv_ops` slot resolved to the function it points at, grouped by `struct paravirt_patch_template`
 * member (cpu, irq, mmu, lock), native versus paravirtualized (`hvdbg/paravirt`, decided by the
 * adapter). Read once per session at its first stop; "Refresh" reads again (a guest switches its ops
 * early in boot).
 */
import * as vscode from 'vscode';
import { type ParavirtBody, paravirtRequest, type ParavirtSlot } from '../../adapter/dap/kernelRequests';
import { sendRequest } from './index';
import { errorText, type StopsStore } from './pageTablesStore';
import { groupSlots, type SlotGroup, slotText } from './paravirtFormat';

export type ParavirtNode =
  | { readonly kind: 'group'; readonly group: SlotGroup }
  | { readonly kind: 'slot'; readonly slot: ParavirtSlot }
  | { readonly kind: 'message'; readonly text: string };

const ICONS: Readonly<Record<ParavirtSlot['kind'], string>> = {
  native: 'circle-outline',
  paravirt: 'vm',
  other: 'symbol-function',
  null: 'circle-slash',
};

export class ParavirtTreeProvider implements vscode.TreeDataProvider<ParavirtNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ParavirtNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly described = new vscode.EventEmitter<void>();
  readonly onDidDescribe = this.described.event;
  private readonly subscriptions: vscode.Disposable[];
  private readonly cache = new Map<string, Promise<ParavirtBody>>();
  description: string | undefined;
  message: string | undefined;

  constructor(private readonly stops: StopsStore) {
    this.subscriptions = [
      stops.onDidChange((state) => {
        if (state === undefined || (state.stopped && !this.cache.has(state.session.id)))
          this.changed.fire(undefined);
      }),
      vscode.debug.onDidTerminateDebugSession((s) => this.cache.delete(s.id)),
    ];
  }

  refresh(): void {
    const session = this.stops.current()?.session;
    if (session !== undefined) this.cache.delete(session.id);
    this.changed.fire(undefined);
  }

  private describe(description: string | undefined, message: string | undefined): void {
    this.description = description;
    this.message = message;
    this.described.fire();
  }

  async getChildren(node?: ParavirtNode): Promise<ParavirtNode[]> {
    if (node?.kind === 'group') return node.group.slots.map((slot) => ({ kind: 'slot' as const, slot }));
    if (node !== undefined) return [];
    const state = this.stops.current();
    if (state === undefined) {
      this.describe(undefined, undefined);
      return [];
    }
    let pending = this.cache.get(state.session.id);
    if (pending === undefined) {
      if (!state.stopped) {
        this.describe(undefined, 'pv_ops is read at the next stop.');
        return [];
      }
      pending = sendRequest(state.session, paravirtRequest, {});
      this.cache.set(state.session.id, pending);
    }
    try {
      const body = await pending;
      const paravirt = body.slots.filter((s) => s.kind === 'paravirt').length;
      this.describe(
        `${body.name} · ${paravirt} of ${body.slots.length} paravirtualized`,
        body.slots.length === 0 ? `pv_info.name is "${body.name}"; no pv_ops slot was read.` : undefined,
      );
      return groupSlots(body.slots).map((group) => ({ kind: 'group' as const, group }));
    } catch (error) {
      this.cache.delete(state.session.id);
      this.describe(undefined, undefined);
      return [{ kind: 'message', text: `Cannot read pv_ops: ${errorText(error)}` }];
    }
  }

  getTreeItem(node: ParavirtNode): vscode.TreeItem {
    switch (node.kind) {
      case 'group': {
        const g = node.group;
        const item = new vscode.TreeItem(g.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `group:${g.name}`;
        item.description = `${g.paravirt} of ${g.slots.length} paravirtualized`;
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        return item;
      }
      case 'slot': {
        const text = slotText(node.slot);
        const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
        item.id = `slot:${node.slot.slot}`;
        item.description = text.description;
        item.tooltip = text.tooltip;
        item.iconPath = new vscode.ThemeIcon(ICONS[node.slot.kind]);
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = 'message';
        item.tooltip = node.text;
        item.iconPath = new vscode.ThemeIcon('warning');
        return item;
      }
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
    this.described.dispose();
  }
}
