/**
 * The VM Exits views: the tree in Run and Debug, the chart webview, "hvdbg: Open KVM trace…". State is
 * kept per debug session (fed by the adapter's `hvdbg/exitStatsUpdated` and `hvdbg/lastExits` events)
 * and dropped when the session ends; a trace opened without an hvdbg session is read by the trace
 * language server's process (`hvdbg/traceStatistics`), never in the extension host (no symbols then:
 * there is no gdb to ask).
 */
import * as vscode from 'vscode';
import {
  type ArgsOf,
  type BodyOf,
  type CustomRequest,
  type ExitSnapshot,
  exitStatsUpdatedEvent,
  type LastExitsBody,
  lastExitsEvent,
  openTraceRequest,
} from '../../adapter/protocol/customRequests';
import type { TraceReader } from '../traceClient';
import { ExitsChartPanel } from './exitsChart';
import { ExitsStore } from './exitsStore';
import { ExitsTreeProvider, OPEN_LOCATION_COMMAND } from './exitsTree';
import { count } from './format';

export const VIEW_ID = 'hvdbg.vmExits';
export const OPEN_TRACE_COMMAND = 'hvdbg.exits.openTrace';
export const SHOW_CHART_COMMAND = 'hvdbg.exits.showChart';
const HAS_DATA_KEY = 'hvdbg.exits.hasData';

/** A custom request with its declared types. */
export async function sendRequest<R extends CustomRequest<unknown, unknown>>(
  session: vscode.DebugSession,
  request: R,
  args: ArgsOf<R>,
): Promise<BodyOf<R>> {
  return (await session.customRequest(request.command, args)) as BodyOf<R>;
}

export function registerExitViews(context: vscode.ExtensionContext, traces: TraceReader): void {
  const store = new ExitsStore();
  const tree = new ExitsTreeProvider(store);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const chart = new ExitsChartPanel(context.extensionUri, store);
  let hadData = false;
  const describe = (): void => {
    const snapshot = store.current()?.snapshot;
    view.description =
      snapshot === undefined ? undefined : `${count(snapshot.exits)} exits · ${snapshot.source.label}`;
    const s = snapshot?.source;
    view.message =
      s?.state === 'failed' || s?.state === 'waiting'
        ? `${s.label}: ${s.error ?? s.state}`
        : snapshot !== undefined && snapshot.exits === 0
          ? `No kvm_exit lines in ${snapshot.source.label} yet.`
          : undefined;
    if (store.hasData !== hadData) {
      hadData = store.hasData;
      void vscode.commands.executeCommand('setContext', HAS_DATA_KEY, hadData);
    }
  };

  context.subscriptions.push(
    store,
    tree,
    view,
    chart,
    store.onDidChange(describe),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== 'hvdbg') return;
      if (e.event === exitStatsUpdatedEvent.event)
        store.setSnapshot(e.session.id, e.body as ExitSnapshot, e.session);
      else if (e.event === lastExitsEvent.event)
        store.setLastExits(e.session.id, e.body as LastExitsBody, e.session);
    }),
    vscode.debug.onDidTerminateDebugSession((session) => store.remove(session.id)),
    vscode.debug.onDidChangeActiveDebugSession(() => store.refresh()),
    vscode.commands.registerCommand(OPEN_TRACE_COMMAND, (arg?: string | vscode.Uri) =>
      openTrace(store, traces, arg).then(
        () => vscode.commands.executeCommand(`${VIEW_ID}.focus`),
        (error: unknown) =>
          vscode.window.showErrorMessage(
            `hvdbg: cannot open the trace: ${error instanceof Error ? error.message : String(error)}`,
          ),
      ),
    ),
    vscode.commands.registerCommand(SHOW_CHART_COMMAND, () => chart.show()),
    vscode.commands.registerCommand(OPEN_LOCATION_COMMAND, async (path: string, line: number) => {
      const position = new vscode.Position(Math.max(0, line - 1), 0);
      await vscode.window.showTextDocument(vscode.Uri.file(path), {
        selection: new vscode.Range(position, position),
        preview: true,
      });
    }),
  );
}

/**
 * Loads a trace into the views: through the active hvdbg session (its symbols resolve the RIPs), or,
 * without one, read here.
 */
async function openTrace(
  store: ExitsStore,
  traces: TraceReader,
  arg: string | vscode.Uri | undefined,
): Promise<void> {
  let path = typeof arg === 'string' ? arg : arg?.fsPath;
  if (path === undefined) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Open KVM trace',
      title: 'A KVM trace: ftrace text, trace-cmd report or perf script output',
    });
    path = picked?.[0]?.fsPath;
  }
  if (path === undefined) return;
  const session = vscode.debug.activeDebugSession;
  if (session?.type === 'hvdbg') {
    await sendRequest(session, openTraceRequest, { path });
    store.select(session.id);
    return;
  }
  const key = `file:${path}`;
  store.remove(key);
  try {
    store.setSnapshot(key, await traces.statistics(path, (snapshot) => store.setSnapshot(key, snapshot)));
  } catch (error) {
    store.remove(key);
    throw error;
  }
  store.select(key);
}
