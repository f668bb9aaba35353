/**
 * What the trace language client (extension/traceClient.ts) and server (adapter/lsp) agree on, declared
 * once: the language id and the settings the client sends, in `initializationOptions.settings` and in
 * `workspace/didChangeConfiguration` (`{ settings: { hvdbg: { traces: TraceSettings } } }`).
 */

import type { ExitSnapshot } from './customRequests';

/** The language id of KVM trace files (package.json `contributes.languages`). */
export const LANGUAGE_ID = 'kvmtrace';

/** The configuration section synchronized to the server. */
export const SETTINGS_SECTION = 'hvdbg.traces';

/** `hvdbg.traces.*`, with paths already resolved by the client (no `${workspaceFolder}`). */
export interface TraceSettings {
  /** An ELF with DWARF (e.g. the guest's vmlinux) for go-to-definition from a guest RIP; null: off. */
  readonly symbolFile: string | null;
  /** Build directory recorded in the DWARF → source tree here (prefixes, longest first). */
  readonly sourceFileMap: Readonly<Record<string, string>>;
}

export const DEFAULT_SETTINGS: TraceSettings = { symbolFile: null, sourceFileMap: {} };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Reads `TraceSettings` from whatever a client sent: the section itself (`{ symbolFile, ... }`) or the
 * whole settings tree (`{ hvdbg: { traces: { ... } } }`). Ill-typed fields fall back to their defaults.
 */
export function readTraceSettings(value: unknown): TraceSettings {
  let section: unknown = value;
  if (isRecord(value) && isRecord(value['hvdbg'])) section = value['hvdbg']['traces'];
  if (!isRecord(section)) return DEFAULT_SETTINGS;
  const file = section['symbolFile'];
  const map = section['sourceFileMap'];
  const sourceFileMap: Record<string, string> = {};
  if (isRecord(map)) {
    for (const [from, to] of Object.entries(map))
      if (typeof to === 'string' && from !== '') sourceFileMap[from] = to;
  }
  return {
    symbolFile: typeof file === 'string' && file.trim() !== '' ? file : null,
    sourceFileMap,
  };
}

/**
 * `hvdbg/traceStatistics`: "Open KVM trace…" without a debug session. The trace server (its own process)
 * reads the file with the adapter's VM-exit service and answers with the final statistics; on the way it
 * sends `hvdbg/traceSnapshot` notifications so that a long file fills the view as it is read. A file it
 * cannot open is an error response with a message naming it.
 */
export const TRACE_STATISTICS_REQUEST = 'hvdbg/traceStatistics';
export const TRACE_SNAPSHOT_NOTIFICATION = 'hvdbg/traceSnapshot';

export interface TraceStatisticsParams {
  /** An absolute path: ftrace text, trace-cmd report or perf script output. */
  readonly path: string;
}

export interface TraceSnapshotParams {
  readonly path: string;
  readonly snapshot: ExitSnapshot;
}
