/**
 * hvdbg's VS Code side: the `hvdbg` debug type (configuration defaults, workspace-trust gating) and the
 * debug adapter, run as a separate Node process from the bundled `dist/adapter.js`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HvdbgConfigurationProvider } from './configurationProvider';
import { startTraceClient, traceReader } from './traceClient';
import { registerExitViews } from './views';
import { registerHypercallViews } from './views/hypercallsViews';
import { StopsStore } from './views/pageTablesStore';
import { registerPagingViews } from './views/pageTablesViews';

export function activate(context: vscode.ExtensionContext): void {
  const traces = startTraceClient(context);
  registerExitViews(context, traceReader(traces));
  const stops = new StopsStore();
  context.subscriptions.push(stops);
  registerPagingViews(context, stops);
  registerHypercallViews(context, stops);
  const provider = new HvdbgConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider('hvdbg', provider),
    vscode.debug.registerDebugConfigurationProvider(
      'hvdbg',
      provider,
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.registerDebugAdapterDescriptorFactory('hvdbg', {
      createDebugAdapterDescriptor: () =>
        // process.execPath is Node in code-server and Electron in desktop VS Code (hence ELECTRON_RUN_AS_NODE).
        new vscode.DebugAdapterExecutable(
          process.execPath,
          [path.join(context.extensionPath, 'dist', 'adapter.js')],
          {
            env: { ELECTRON_RUN_AS_NODE: '1' },
          },
        ),
    }),
  );
}

export function deactivate(): void {
  // Sessions end with their adapters; nothing else to release.
}
