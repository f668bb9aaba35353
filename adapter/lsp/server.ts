/**
 * The KVM trace language server: a routing table from LSP requests to the services of this folder
 * (hover.ts, outline.ts, folding.ts, definition.ts; diagnostics pushed by the scheduler), each behind
 * the error boundary (boundary.ts). Transport-free: main.ts gives it a connection over IPC or stdio,
 * the unit tests one over in-memory streams.
 */
import {
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Addr2Line, type Addr2LineOptions } from './addr2line';
import { Boundary } from './boundary';
import { definition } from './definition';
import { diagnostics } from './diagnostics';
import { foldingRanges } from './folding';
import { hoverFor } from './hover';
import { eventAt, type LineEvent } from './lineEvent';
import { outline } from './outline';
import { DEFAULT_SETTINGS, readTraceSettings, type TraceSettings } from '../protocol/traceServer';
import { AnalysisScheduler } from './scheduler';
import { registerTraceStatistics } from './traceStatistics';
import { DEFAULT_LIMITS, type AnalysisLimits, type TraceIndex } from './traceIndex';

export interface TraceServerOptions {
  readonly limits?: Partial<AnalysisLimits>;
  /** Pause after the last edit before a document is analysed again (default 300 ms). */
  readonly debounceMs?: number;
  readonly addr2line?: Addr2LineOptions;
}

export interface TraceServer {
  readonly scheduler: AnalysisScheduler;
  readonly settings: () => TraceSettings;
  /** Stops pending and running passes (also done on `shutdown`). */
  readonly dispose: () => void;
}

export function startTraceServer(connection: Connection, options: TraceServerOptions = {}): TraceServer {
  const limits: AnalysisLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const documents = new TextDocuments(TextDocument);
  const addr2line = new Addr2Line(options.addr2line);
  let settings = DEFAULT_SETTINGS;
  let linkSupport = false;
  let rangeLimit = limits.maxFolds;
  const boundary = new Boundary(connection);
  const guard = boundary.guard.bind(boundary);

  const scheduler = new AnalysisScheduler(
    limits,
    options.debounceMs ?? 300,
    (doc, index) => {
      const params = {
        uri: doc.uri,
        version: doc.version,
        diagnostics: diagnostics(doc, index, limits.maxAnalysedChars),
      };
      connection.sendDiagnostics(params).catch(() => undefined); // the client went away during the pass
    },
    (uri, error) => boundary.report(`analysing ${uri}`, error),
  );

  connection.onInitialize((params): InitializeResult => {
    const init: unknown = params.initializationOptions;
    settings = readTraceSettings(
      typeof init === 'object' && init !== null ? (init as { settings?: unknown }).settings : undefined,
    );
    linkSupport = params.capabilities.textDocument?.definition?.linkSupport === true;
    rangeLimit = Math.min(
      limits.maxFolds,
      params.capabilities.textDocument?.foldingRange?.rangeLimit ?? Infinity,
    );
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        documentSymbolProvider: { label: 'KVM trace' },
        foldingRangeProvider: true,
        definitionProvider: true,
      },
      serverInfo: { name: 'hvdbg KVM trace server' },
    };
  });
  connection.onDidChangeConfiguration((params) => {
    settings = readTraceSettings(params.settings);
    boundary.reset();
  });

  documents.onDidChangeContent((e) => scheduler.schedule(e.document));
  documents.onDidClose((e) => {
    scheduler.forget(e.document.uri);
    connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(() => undefined);
  });
  connection.onShutdown(() => scheduler.dispose());

  type AtLine = { textDocument: { uri: string }; position: { line: number } };
  type InDocument = { textDocument: { uri: string } };
  const lineAt = (p: AtLine): LineEvent | null => {
    const doc = documents.get(p.textDocument.uri);
    return doc === undefined ? null : eventAt(doc, p.position.line);
  };
  /** The document and its analysis for its current text. */
  const analysed = async (p: InDocument): Promise<[TextDocument, TraceIndex] | null> => {
    const doc = documents.get(p.textDocument.uri);
    const index = doc === undefined ? null : await scheduler.current(doc);
    return doc === undefined || index === null ? null : [doc, index];
  };

  connection.onHover(
    guard('hover', null, (p: AtLine) => {
      const le = lineAt(p);
      const index = scheduler.latest(p.textDocument.uri);
      const ctx = { vcpuByPid: index?.vcpuByPid ?? new Map<number, number>(), isa: index?.isa ?? null };
      return le === null ? null : hoverFor(le, { ...ctx, symbolFileSet: settings.symbolFile !== null });
    }),
  );
  connection.onDocumentSymbol(
    guard('outline', null, async (p: InDocument) => {
      const a = await analysed(p);
      return a === null ? null : outline(...a);
    }),
  );
  connection.onFoldingRanges(
    guard('folding', null, async (p: InDocument) => {
      const a = await analysed(p);
      return a === null ? null : foldingRanges(a[1], rangeLimit);
    }),
  );
  connection.onDefinition(
    guard('definition', null, async (p: AtLine) => {
      const le = lineAt(p);
      return le === null ? null : definition(le, settings, addr2line, linkSupport);
    }),
  );

  registerTraceStatistics(connection);
  documents.listen(connection);
  return { scheduler, settings: () => settings, dispose: () => scheduler.dispose() };
}
