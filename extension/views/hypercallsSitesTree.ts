/**
 * The Hypercall Sites view (Run and Debug): the hypercall instructions of the loaded kernel, grouped by
 * function (`hvdbg/hypercallSites`: the adapter scans the ELF and reads the live bytes, so a `vmcall`
 * patched into `vmmcall` shows as such). Each site has an inline "add breakpoint" action (a DAP function
 * breakpoint on gdb's `*ADDRESS` location) and opens its source line when clicked. Read once per
 * session at its first stop; "Refresh" reads again.
 */
import * as vscode from 'vscode';
import {
  type HypercallSiteGroup,
  type HypercallSiteInfo,
  hypercallSitesRequest,
  type HypercallSitesBody,
} from '../../adapter/dap/hypercallRequests';
import { OPEN_LOCATION_COMMAND } from './exitsTree';
import { siteText, symbolText } from './hypercallsFormat';
import { sendRequest } from './index';
import { errorText, type StopsStore } from './pageTablesStore';

export type SiteNode =
  | { readonly kind: 'group'; readonly group: HypercallSiteGroup }
  | { readonly kind: 'site'; readonly site: HypercallSiteInfo }
  | { readonly kind: 'message'; readonly text: string };

export class HypercallSitesTreeProvider implements vscode.TreeDataProvider<SiteNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SiteNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly described = new vscode.EventEmitter<void>();
  readonly onDidDescribe = this.described.event;
  private readonly subscriptions: vscode.Disposable[];
  /** Per session: the answer (or its error), read once. */
  private readonly cache = new Map<string, Promise<HypercallSitesBody>>();
  description: string | undefined;
  message: string | undefined;

  constructor(private readonly stops: StopsStore) {
    this.subscriptions = [
      stops.onDidChange((state) => {
        // Only a first stop or a session change matters: the kernel's code does not move between stops.
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

  async getChildren(node?: SiteNode): Promise<SiteNode[]> {
    if (node?.kind === 'group') return node.group.sites.map((site) => ({ kind: 'site' as const, site }));
    if (node !== undefined) return [];
    const state = this.stops.current();
    if (state === undefined) {
      this.describe(undefined, undefined);
      return [];
    }
    let pending = this.cache.get(state.session.id);
    if (pending === undefined) {
      if (!state.stopped) {
        this.describe(undefined, 'The sites are read at the next stop.');
        return [];
      }
      pending = sendRequest(state.session, hypercallSitesRequest, {});
      this.cache.set(state.session.id, pending);
    }
    try {
      const body = await pending;
      const file = body.file.slice(body.file.lastIndexOf('/') + 1);
      this.describe(
        `${body.count} sites in ${body.functions.length} functions · ${file}`,
        body.count === 0 ? `No hypercall instruction in ${body.file}.` : undefined,
      );
      return body.functions.map((group) => ({ kind: 'group' as const, group }));
    } catch (error) {
      this.cache.delete(state.session.id);
      this.describe(undefined, undefined);
      return [{ kind: 'message', text: `Cannot list the hypercall sites: ${errorText(error)}` }];
    }
  }

  getTreeItem(node: SiteNode): vscode.TreeItem {
    switch (node.kind) {
      case 'group': {
        const item = new vscode.TreeItem(node.group.function, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `fn:${node.group.function}:${node.group.sites[0]?.address ?? ''}`;
        item.description = `${node.group.sites.length}`;
        item.iconPath = new vscode.ThemeIcon('symbol-function');
        return item;
      }
      case 'site': {
        const s = node.site;
        const text = siteText(s);
        const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
        item.id = `site:${s.address}`;
        item.description = text.description;
        item.tooltip = [
          `${s.address}: ${s.instruction}${s.abi === undefined ? '' : ` (${s.abi})`}`,
          `in the ELF: ${s.elfInstruction}`,
          symbolText(s.symbol),
          s.liveError,
        ]
          .filter((l) => l !== undefined)
          .join('\n');
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        item.contextValue = 'hvdbgHypercallSite';
        if (s.symbol.path !== undefined && s.symbol.line !== undefined)
          item.command = {
            command: OPEN_LOCATION_COMMAND,
            title: 'Open Source',
            arguments: [s.symbol.path, s.symbol.line],
          };
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
