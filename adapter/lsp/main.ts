/**
 * Entry point of the KVM trace language server (bundled as dist/traceServer.js): a plain Node process
 * speaking LSP over the transport named on its command line (`--node-ipc` from the VS Code client,
 * `--stdio` for other editors).
 */
import { createConnection } from 'vscode-languageserver/node';
import { startTraceServer } from './server';

const connection = createConnection();
startTraceServer(connection);
connection.listen();
