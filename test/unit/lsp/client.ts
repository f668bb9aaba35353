/**
 * Drives the trace language server in process over in-memory streams, as vscode-languageserver-node's
 * own connection tests do: two PassThrough pipes, the server's `createConnection(reader, writer)` on one
 * side and a protocol connection playing the client on the other. Intent-level helpers: open a fixture,
 * hover a line found by a marker, wait for diagnostics.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import {
  createConnection,
  createProtocolConnection,
  DefinitionRequest,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  FoldingRangeRequest,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShowMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type Definition,
  type Diagnostic,
  type DocumentSymbol,
  type FoldingRange,
  type LocationLink,
  type ProtocolConnection,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver/node';
import { startTraceServer, type TraceServer, type TraceServerOptions } from '../../../adapter/lsp/server';

export const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'traces');

export interface Published {
  readonly version: number | undefined;
  readonly diagnostics: Diagnostic[];
}

export class TestClient {
  /** Every publishDiagnostics, by URI, in arrival order. */
  readonly published = new Map<string, Published[]>();
  private readonly waiters: { uri: string; count: number; resolve: () => void }[] = [];
  private readonly texts = new Map<string, string>();
  /** window/showMessage texts. */
  readonly messages: string[] = [];

  private constructor(
    readonly connection: ProtocolConnection,
    readonly server: TraceServer,
    private readonly closeAll: () => void,
  ) {
    connection.onNotification(ShowMessageNotification.type, (p) => this.messages.push(p.message));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = this.published.get(p.uri) ?? [];
      list.push({ version: p.version, diagnostics: p.diagnostics });
      this.published.set(p.uri, list);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && list.length >= w.count) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  }

  /** A started, initialized server. */
  static async start(
    options: TraceServerOptions & { initializationOptions?: unknown; capabilities?: ClientCapabilities } = {},
  ): Promise<TestClient> {
    const up = new PassThrough();
    const down = new PassThrough();
    const serverConnection = createConnection(new StreamMessageReader(up), new StreamMessageWriter(down));
    const server = startTraceServer(serverConnection, options);
    serverConnection.listen();
    const connection = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
    connection.listen();
    const client = new TestClient(connection, server, () => {
      server.dispose();
      connection.dispose();
      serverConnection.dispose();
      up.destroy();
      down.destroy();
    });
    await connection.sendRequest(InitializeRequest.type, {
      // null: a number makes the server poll that process every 3 s (a timer that would keep this one alive).
      processId: null,
      rootUri: null,
      capabilities: options.capabilities ?? {},
      initializationOptions: options.initializationOptions,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  close(): void {
    this.closeAll();
  }

  /** Opens `text` as a kvmtrace document; returns its URI. */
  async open(name: string, text: string): Promise<string> {
    const uri = pathToFileURL(path.join('/virtual', name)).toString();
    this.texts.set(uri, text);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'kvmtrace', version: 1, text },
    });
    return uri;
  }

  openFixture(name: string): Promise<string> {
    return this.open(name, fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
  }

  async change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): Promise<void> {
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: changes,
    });
  }

  async configure(settings: unknown): Promise<void> {
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings });
  }

  /** Resolves once `count` publishDiagnostics have arrived for `uri` (counting earlier ones); the last. */
  async diagnostics(uri: string, count = 1): Promise<Published> {
    if ((this.published.get(uri)?.length ?? 0) < count) {
      await new Promise<void>((resolve) => this.waiters.push({ uri, count, resolve }));
    }
    const list = this.published.get(uri) ?? [];
    return list[list.length - 1] as Published;
  }

  /** The 0-based line of the first line of `uri` containing `marker`. */
  lineOf(uri: string, marker: string): number {
    const line = (this.texts.get(uri) ?? '').split('\n').findIndex((l) => l.includes(marker));
    if (line < 0) throw new Error(`no line contains ${JSON.stringify(marker)}`);
    return line;
  }

  /** The hover's markdown on the line containing `marker`, or null. */
  async hover(uri: string, marker: string): Promise<string | null> {
    const h = await this.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: this.lineOf(uri, marker), character: 0 },
    });
    if (h === null) return null;
    const c = h.contents;
    return typeof c === 'object' && 'kind' in c ? c.value : JSON.stringify(c);
  }

  async symbols(uri: string): Promise<DocumentSymbol[]> {
    return ((await this.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) ??
      []) as DocumentSymbol[];
  }

  async folding(uri: string): Promise<FoldingRange[]> {
    return (await this.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } })) ?? [];
  }

  async definition(uri: string, marker: string, character = 0): Promise<Definition | LocationLink[] | null> {
    return this.connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri },
      position: { line: this.lineOf(uri, marker), character },
    });
  }
}
