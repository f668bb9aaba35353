/**
 * The hypercall views of Run and Debug (issue 4): Hypercalls (the call at the stop, the VM exit being
 * handled, hypercall breakpoints), Hypercall Sites (with one-click breakpoints) and Paravirt (pv_ops).
 * Each reads the stopped session through the adapter's custom requests (adapter/protocol/hypercallRequests.ts,
 * adapter/protocol/kernelRequests.ts).
 */
import * as vscode from 'vscode';
import { hypercallCatalogueRequest } from '../../adapter/protocol/hypercallRequests';
import { sendRequest } from './index';
import { HypercallBreakpoints } from './hypercallsBreakpoints';
import { parseHypercallCall, siteBreakpointName } from './hypercallsFormat';
import { type SiteNode, HypercallSitesTreeProvider } from './hypercallsSitesTree';
import { type HypercallNode, HypercallsTreeProvider } from './hypercallsTree';
import type { StopsStore } from './pageTablesStore';
import { ParavirtTreeProvider } from './paravirtTree';

export const HYPERCALLS_VIEW = 'hvdbg.hypercalls';
export const HYPERCALL_SITES_VIEW = 'hvdbg.hypercallSites';
export const PARAVIRT_VIEW = 'hvdbg.paravirt';

/** A tree whose provider says what the view's description and message are. */
interface Described {
  readonly description: string | undefined;
  readonly message: string | undefined;
  readonly onDidDescribe: vscode.Event<void>;
}

function follow(view: vscode.TreeView<unknown>, provider: Described): vscode.Disposable {
  return provider.onDidDescribe(() => {
    view.description = provider.description;
    view.message = provider.message;
  });
}

export function registerHypercallViews(context: vscode.ExtensionContext, stops: StopsStore): void {
  const breakpoints = new HypercallBreakpoints(stops);
  const calls = new HypercallsTreeProvider(stops, breakpoints);
  const callsView = vscode.window.createTreeView<HypercallNode>(HYPERCALLS_VIEW, { treeDataProvider: calls });
  const sites = new HypercallSitesTreeProvider(stops);
  const sitesView = vscode.window.createTreeView(HYPERCALL_SITES_VIEW, {
    treeDataProvider: sites,
    showCollapseAll: true,
  });
  const paravirt = new ParavirtTreeProvider(stops);
  const paravirtView = vscode.window.createTreeView(PARAVIRT_VIEW, {
    treeDataProvider: paravirt,
    showCollapseAll: true,
  });

  context.subscriptions.push(
    breakpoints,
    calls,
    callsView,
    sites,
    sitesView,
    paravirt,
    paravirtView,
    calls.onDidDescribe(() => (callsView.message = calls.message)),
    follow(sitesView, sites),
    follow(paravirtView, paravirt),
    vscode.commands.registerCommand('hvdbg.hypercalls.refresh', () => calls.refresh()),
    vscode.commands.registerCommand('hvdbg.hypercallSites.refresh', () => sites.refresh()),
    vscode.commands.registerCommand('hvdbg.paravirt.refresh', () => paravirt.refresh()),
    vscode.commands.registerCommand('hvdbg.hypercallSites.addBreakpoint', (node?: SiteNode) => {
      if (node?.kind !== 'site') return;
      vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint(siteBreakpointName(node.site.address))]);
    }),
    vscode.commands.registerCommand('hvdbg.hypercalls.addBreakpoint', async (call?: string | number) => {
      const chosen = call ?? (await pickHypercall());
      if (chosen !== undefined) await breakpoints.add(chosen);
    }),
    vscode.commands.registerCommand('hvdbg.hypercalls.removeBreakpoint', async (node?: HypercallNode) => {
      if (node?.kind === 'breakpoint') await breakpoints.remove(node.index);
    }),
  );
}

/** A hypercall from the session's catalogue (`hvdbg/hypercallCatalogue`), or a name or number typed in the box. */
async function pickHypercall(): Promise<string | number | undefined> {
  const session = vscode.debug.activeDebugSession;
  const entries =
    session?.type === 'hvdbg'
      ? (await sendRequest(session, hypercallCatalogueRequest, {}).catch(() => undefined))?.entries
      : undefined;
  const quickPick = vscode.window.createQuickPick<vscode.QuickPickItem>();
  quickPick.title = 'Stop when KVM handles hypercall…';
  quickPick.placeholder = 'A KVM_HC_* name, or a number (11, 0xb)';
  const catalogue = (entries ?? []).map((e) => ({
    label: e.name,
    description: `nr ${e.number}`,
    detail: e.description,
  }));
  quickPick.items = catalogue;
  quickPick.matchOnDescription = true;
  quickPick.onDidChangeValue((value) => {
    const typed = parseHypercallCall(value);
    quickPick.items =
      typed === undefined || catalogue.some((c) => c.label === typed)
        ? catalogue
        : [{ label: String(value.trim()), description: 'as typed', alwaysShow: true }, ...catalogue];
  });
  return new Promise((resolve) => {
    quickPick.onDidAccept(() => {
      const picked = quickPick.selectedItems[0]?.label;
      resolve(picked === undefined ? undefined : parseHypercallCall(picked));
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      resolve(undefined);
      quickPick.dispose();
    });
    quickPick.show();
  });
}
