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
} from '../../adapter/protocol/hypercallRequests';
import { OPEN_LOCATION_COMMAND } from './exitsTree';
import { siteText, symbolText } from './hypercallsFormat';
import { sendRequest } from './index';
import type { StopsStore } from './pageTablesStore';
import { SessionOnceTree, type Summary } from './sessionOnceTree';

export type SiteNode =
  | { readonly kind: 'group'; readonly group: HypercallSiteGroup }
  | { readonly kind: 'site'; readonly site: HypercallSiteInfo };

export class HypercallSitesTreeProvider extends SessionOnceTree<HypercallSitesBody, SiteNode> {
  constructor(stops: StopsStore) {
    super(stops, 'The sites are read at the next stop.', 'Cannot list the hypercall sites');
  }

  protected read(session: vscode.DebugSession): Promise<HypercallSitesBody> {
    return sendRequest(session, hypercallSitesRequest, {});
  }

  protected summarize(body: HypercallSitesBody): Summary<SiteNode> {
    const file = body.file.slice(body.file.lastIndexOf('/') + 1);
    return {
      description: `${body.count} sites in ${body.functions.length} functions · ${file}`,
      message: body.count === 0 ? `No hypercall instruction in ${body.file}.` : undefined,
      nodes: body.functions.map((group) => ({ kind: 'group' as const, group })),
    };
  }

  protected childrenOf(node: SiteNode): SiteNode[] {
    return node.kind === 'group' ? node.group.sites.map((site) => ({ kind: 'site' as const, site })) : [];
  }

  protected itemOf(node: SiteNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.group.function, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `fn:${node.group.function}:${node.group.sites[0]?.address ?? ''}`;
      item.description = `${node.group.sites.length}`;
      item.iconPath = new vscode.ThemeIcon('symbol-function');
      return item;
    }
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
}
