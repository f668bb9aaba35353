/**
 * The Memory Map view (Run and Debug): the leaf mappings of a root merged into ranges (virtual start–end,
 * physical start, size, flags, page size), as the adapter's `hvdbg/memoryMap` returns them; writable and
 * executable ranges and user-accessible kernel ranges carry a warning icon. Filtered by a virtual range
 * and/or permissions (the filter box), for the selected vCPU's CR3 or a root picked in Page Tables.
 * A full walk costs tens of milliseconds: it is read when the view is visible, once per stop.
 */
import * as vscode from 'vscode';
import { type MemoryMapRange, memoryMapRequest } from '../../adapter/protocol/pagingRequests';
import { count, duration } from './format';
import { sendRequest } from './index';
import { filterText, type MemoryMapFilter, rangeText } from './pageTablesFormat';
import { errorText, type StopsStore } from './pageTablesStore';

export type MemoryMapNode =
  | { readonly kind: 'range'; readonly range: MemoryMapRange; readonly index: number }
  | { readonly kind: 'message'; readonly text: string; readonly warning: boolean; readonly index: number };

export class MemoryMapTreeProvider implements vscode.TreeDataProvider<MemoryMapNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MemoryMapNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly described = new vscode.EventEmitter<void>();
  /** The description (stats, filter) or message changed. */
  readonly onDidDescribe = this.described.event;
  private readonly subscription: vscode.Disposable;
  filter: MemoryMapFilter = {};
  /** A root picked in the Page Tables tree (`id`, `label`); undefined: the selected vCPU's CR3. */
  root: { id: string; label: string } | undefined;
  description: string | undefined;
  message: string | undefined;

  constructor(private readonly stops: StopsStore) {
    this.subscription = stops.onDidChangeView(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private describe(description: string | undefined, message: string | undefined): void {
    this.description = description;
    this.message = message;
    this.described.fire();
  }

  async getChildren(node?: MemoryMapNode): Promise<MemoryMapNode[]> {
    if (node !== undefined) return [];
    const state = this.stops.current();
    if (state === undefined) {
      this.describe(undefined, undefined);
      return [];
    }
    if (!state.stopped) {
      this.describe(undefined, 'The guest is running: pause it to read its memory map.');
      return [];
    }
    const threadId = this.stops.selectedThread(state);
    const args: { rootId?: string; threadId?: number; from?: string; to?: string; permissions?: string } = {
      ...this.filter,
    };
    if (this.root !== undefined) args.rootId = this.root.id;
    else if (threadId !== undefined) args.threadId = threadId;
    try {
      const body = await sendRequest(state.session, memoryMapRequest, args);
      const s = body.stats;
      const flagged = body.ranges.filter((r) => r.warnings.length > 0).length;
      const parts = [
        `${count(body.ranges.length)} ranges`,
        flagged > 0 ? `${count(flagged)} flagged` : undefined,
        `${count(s.leaves)} pages in ${count(s.tables)} tables`,
        duration(s.milliseconds * 1e6),
        this.root?.label,
        filterText(this.filter) || undefined,
      ].filter((p) => p !== undefined);
      this.describe(
        parts.join(' · '),
        body.ranges.length === 0 && body.problems.length === 0 ? 'No mapping matches the filter.' : undefined,
      );
      return [
        ...body.problems.map((text, index) => ({ kind: 'message' as const, text, warning: true, index })),
        ...body.ranges.map((range, index) => ({ kind: 'range' as const, range, index })),
      ];
    } catch (error) {
      this.describe(undefined, undefined);
      return [
        { kind: 'message', text: `Cannot read the memory map: ${errorText(error)}`, warning: true, index: 0 },
      ];
    }
  }

  getTreeItem(node: MemoryMapNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.id = `message:${node.index}`;
      item.tooltip = node.text;
      item.iconPath = new vscode.ThemeIcon(
        'warning',
        new vscode.ThemeColor('problemsWarningIcon.foreground'),
      );
      return item;
    }
    const r = node.range;
    const text = rangeText(r);
    const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
    item.id = `range:${r.virtualStart}`;
    item.description = text.description;
    item.tooltip = text.tooltip;
    item.iconPath =
      r.warnings.length > 0
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
        : new vscode.ThemeIcon('symbol-array');
    item.contextValue = 'hvdbgMemoryRange';
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
    this.described.dispose();
  }
}
