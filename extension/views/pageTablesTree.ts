/**
 * The Page Tables tree (Run and Debug): the roots of the stopped session (the selected vCPU's CR3, the
 * nested roots of a hypervisor's guests), then each table's entries, read lazily from the adapter when a
 * row expands (`hvdbg/pageTableRoots`, `hvdbg/pageTableChildren`). Present entries only unless the
 * "show not-present entries" toggle is on. Refreshed on every stop and vCPU selection.
 */
import * as vscode from 'vscode';
import {
  type PageTableEntryInfo,
  type PagingRootInfo,
  pageTableChildrenRequest,
  pageTableRootsRequest,
} from '../../adapter/protocol/pagingRequests';
import { sendRequest } from './index';
import { entryText, entryTooltip, rootText } from './pageTablesFormat';
import { errorText, type StopsStore } from './pageTablesStore';

export type PageTableNode =
  | { readonly kind: 'root'; readonly root: PagingRootInfo; readonly path: string }
  | { readonly kind: 'entry'; readonly entry: PageTableEntryInfo; readonly path: string }
  | { readonly kind: 'message'; readonly text: string; readonly warning: boolean; readonly path: string };

export class PageTablesTreeProvider implements vscode.TreeDataProvider<PageTableNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PageTableNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private notPresent = false;
  /** Set while the guest runs: shown as the view's message. */
  message: string | undefined;
  private readonly messageChanged = new vscode.EventEmitter<string | undefined>();
  readonly onDidChangeMessage = this.messageChanged.event;

  constructor(private readonly stops: StopsStore) {
    this.subscription = stops.onDidChangeView(() => this.refresh());
  }

  get showNotPresent(): boolean {
    return this.notPresent;
  }

  set showNotPresent(on: boolean) {
    this.notPresent = on;
    this.refresh();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private setMessage(text: string | undefined): void {
    if (text === this.message) return;
    this.message = text;
    this.messageChanged.fire(text);
  }

  async getChildren(node?: PageTableNode): Promise<PageTableNode[]> {
    const state = this.stops.current();
    if (node === undefined) {
      if (state === undefined) {
        this.setMessage(undefined);
        return [];
      }
      if (!state.stopped) {
        this.setMessage('The guest is running: pause it to read its page tables.');
        return [];
      }
      this.setMessage(undefined);
      const threadId = this.stops.selectedThread(state);
      try {
        const body = await sendRequest(
          state.session,
          pageTableRootsRequest,
          threadId === undefined ? {} : { threadId },
        );
        return [
          ...body.problems.map((text, i) => message(text, true, `problem:${i}`)),
          ...body.roots.map((root) => ({ kind: 'root' as const, root, path: `root:${root.id}` })),
        ];
      } catch (error) {
        return [message(`Cannot read the page-table roots: ${errorText(error)}`, true, 'error')];
      }
    }
    const id =
      node.kind === 'root' ? node.root.tableId : node.kind === 'entry' ? node.entry.childId : undefined;
    if (id === undefined || state === undefined) return [];
    if (!state.stopped) return [message('The guest is running.', false, `${node.path}/running`)];
    try {
      const body = await sendRequest(state.session, pageTableChildrenRequest, {
        id,
        includeNotPresent: this.notPresent,
      });
      const out: PageTableNode[] = [];
      if (body.problem !== undefined) out.push(message(body.problem, true, `${node.path}/problem`));
      for (const entry of body.entries)
        out.push({ kind: 'entry', entry, path: `${node.path}/${entry.level}:${entry.index}` });
      if (out.length === 0) out.push(message('No present entries.', false, `${node.path}/empty`));
      return out;
    } catch (error) {
      return [message(`Cannot read this table: ${errorText(error)}`, true, `${node.path}/error`)];
    }
  }

  getTreeItem(node: PageTableNode): vscode.TreeItem {
    switch (node.kind) {
      case 'root': {
        const text = rootText(node.root);
        const item = new vscode.TreeItem(
          text.label,
          node.root.tableId === undefined
            ? vscode.TreeItemCollapsibleState.None
            : vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = node.path;
        item.description = text.description;
        item.tooltip = text.tooltip;
        item.iconPath = new vscode.ThemeIcon(node.root.kind === 'nested' ? 'vm' : 'cpu');
        item.contextValue = 'hvdbgPagingRoot';
        return item;
      }
      case 'entry': {
        const e = node.entry;
        const text = entryText(e);
        const item = new vscode.TreeItem(
          text.label,
          e.childId === undefined
            ? vscode.TreeItemCollapsibleState.None
            : vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = node.path;
        item.description = e.problem === undefined ? text.description : `${text.description} · ${e.problem}`;
        item.tooltip = new vscode.MarkdownString(entryTooltip(e), true);
        item.iconPath =
          e.problem !== undefined
            ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
            : e.kind === 'page'
              ? new vscode.ThemeIcon('file-binary')
              : e.kind === 'table'
                ? new vscode.ThemeIcon('symbol-array')
                : new vscode.ThemeIcon('circle-slash');
        item.contextValue = e.kind === 'page' ? 'hvdbgPagingPage' : 'hvdbgPagingEntry';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = node.path;
        item.tooltip = node.text;
        item.iconPath = node.warning
          ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon('info');
        return item;
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
    this.messageChanged.dispose();
  }
}

function message(text: string, warning: boolean, path: string): PageTableNode {
  return { kind: 'message', text, warning, path };
}
