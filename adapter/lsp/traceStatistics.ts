/**
 * `hvdbg/traceStatistics` (adapter/protocol/traceServer.ts): a trace file's VM-exit statistics computed in
 * the trace server's process, so that the extension host never parses traces itself. The same
 * ExitTraceService the adapter runs; no symbols (there is no gdb here).
 */
import { ResponseError, type Connection } from 'vscode-languageserver';
import { ExitTraceService } from '../exits/service';
import { noSymbols } from '../exits/symbols';
import {
  TRACE_SNAPSHOT_NOTIFICATION,
  TRACE_STATISTICS_REQUEST,
  type TraceSnapshotParams,
  type TraceStatisticsParams,
} from '../protocol/traceServer';
import type { ExitSnapshot } from '../protocol/customRequests';

/** LSP's code for a request that failed for a reason the user can act on (a missing file). */
const REQUEST_FAILED = -32803;

/** Reads one trace to its end; resolves with the last statistics. */
export async function traceStatistics(
  path: string,
  onSnapshot: (snapshot: ExitSnapshot) => void,
): Promise<ExitSnapshot> {
  const service = new ExitTraceService({ symbols: noSymbols });
  try {
    const done = new Promise<ExitSnapshot>((resolve) =>
      service.on('snapshot', (snapshot) => {
        onSnapshot(snapshot);
        if (snapshot.source.state === 'ended' || snapshot.source.state === 'failed') resolve(snapshot);
      }),
    );
    await service.open({ path });
    const last = await done;
    if (last.source.state === 'failed')
      throw new Error(`${last.source.label}: ${last.source.error ?? 'read failed'}`);
    return last;
  } finally {
    service.dispose();
  }
}

export function registerTraceStatistics(connection: Connection): void {
  connection.onRequest(TRACE_STATISTICS_REQUEST, async (params: TraceStatisticsParams) => {
    if (typeof params.path !== 'string' || params.path === '')
      throw new ResponseError(REQUEST_FAILED, 'hvdbg/traceStatistics: "path" must be a file path');
    try {
      return await traceStatistics(params.path, (snapshot) => {
        const note: TraceSnapshotParams = { path: params.path, snapshot };
        connection.sendNotification(TRACE_SNAPSHOT_NOTIFICATION, note).catch(() => undefined);
      });
    } catch (error) {
      throw new ResponseError(REQUEST_FAILED, error instanceof Error ? error.message : String(error));
    }
  });
}
