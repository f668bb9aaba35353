/**
 * The language client of KVM trace files (`kvmtrace`): starts the trace language server
 * (dist/traceServer.js, adapter/lsp) over Node IPC and keeps its `hvdbg.traces` settings current, with
 * `${workspaceFolder}` and relative paths resolved here, where the workspace is known. The client lives
 * as long as the extension: it is one of the context's subscriptions.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { ExitSnapshot } from '../adapter/protocol/customRequests';
import {
  LANGUAGE_ID,
  SETTINGS_SECTION,
  TRACE_SNAPSHOT_NOTIFICATION,
  TRACE_STATISTICS_REQUEST,
  type TraceSettings,
  type TraceSnapshotParams,
  type TraceStatisticsParams,
} from '../adapter/protocol/traceServer';

/** Reads a trace file's VM-exit statistics in the trace server's process (adapter/lsp/traceStatistics.ts). */
export interface TraceReader {
  statistics(path: string, progress: (snapshot: ExitSnapshot) => void): Promise<ExitSnapshot>;
}

/** The {@link TraceReader} over the language client: snapshots stream in as notifications. */
export function traceReader(client: LanguageClient): TraceReader {
  const listeners = new Map<string, (snapshot: ExitSnapshot) => void>();
  client.onNotification(TRACE_SNAPSHOT_NOTIFICATION, (p: TraceSnapshotParams) =>
    listeners.get(p.path)?.(p.snapshot),
  );
  return {
    async statistics(path, progress) {
      listeners.set(path, progress);
      try {
        if (!client.isRunning()) await client.start();
        const params: TraceStatisticsParams = { path };
        return await client.sendRequest<ExitSnapshot>(TRACE_STATISTICS_REQUEST, params);
      } finally {
        listeners.delete(path);
      }
    },
  };
}

export function startTraceClient(context: vscode.ExtensionContext): LanguageClient {
  const module = path.join(context.extensionPath, 'dist', 'traceServer.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: LANGUAGE_ID }],
    initializationOptions: { settings: traceSettings() },
  };
  const client = new LanguageClient('hvdbg.traces', 'hvdbg: KVM traces', serverOptions, clientOptions);
  context.subscriptions.push(
    client,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SETTINGS_SECTION) || !client.isRunning()) return;
      client
        .sendNotification(DidChangeConfigurationNotification.type, {
          settings: { hvdbg: { traces: traceSettings() } },
        })
        .catch((error: unknown) => client.error('sending hvdbg.traces settings failed', error));
    }),
  );
  // The client reports a server that fails to start in its output channel and a notification.
  client.start().catch((error: unknown) => client.error('the KVM trace server did not start', error));
  return client;
}

/** `hvdbg.traces` with paths made absolute against the first workspace folder. */
function traceSettings(): TraceSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const resolve = (p: string): string => {
    const expanded = folder === undefined ? p : p.replace(/\$\{workspaceFolder\}/g, folder);
    return path.isAbsolute(expanded) || folder === undefined ? expanded : path.resolve(folder, expanded);
  };
  const file = config.get<string>('symbolFile', '').trim();
  const map = config.get<Record<string, unknown>>('sourceFileMap', {});
  const sourceFileMap: Record<string, string> = {};
  for (const [from, to] of Object.entries(map)) if (typeof to === 'string') sourceFileMap[from] = resolve(to);
  return { symbolFile: file === '' ? null : resolve(file), sourceFileMap };
}
