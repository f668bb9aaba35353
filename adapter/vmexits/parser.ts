/**
 * Streaming parser of KVM trace text into `TraceEvent`s. Works on Buffers as they arrive and never
 * holds more than the current chunk plus one partial line (bounded by `maxLineBytes`).
 *
 * Usage: `new TraceParser((ev) => …).push(chunk) … .end()`, or `for await (const ev of
 * parseTraceStream(fs.createReadStream(path)))`. For statistics without per-event objects, use
 * `aggregateStream` (aggregate.ts), which reads the same scanner's records directly.
 */
import type { TraceEvent } from './events';
import { LineSplitter } from './lineSplitter';
import { CommCache, materialize } from './materialize';
import { ReasonInterner } from './reasonIntern';
import { K, ScanRecord } from './record';
import { scanLine } from './scanner';

/** Counts of line classes seen so far. */
export interface ParseCounts {
  lines: number;
  /** Tracepoint lines decoded into events (including `other`). */
  events: number;
  unparsed: number;
  lost: number;
  /** Blank lines, `#` comments and trace-cmd headers. */
  skipped: number;
}

export interface ParserOptions {
  /** Longest line kept whole, bytes (default 65536); longer lines are reported unparsed. */
  readonly maxLineBytes?: number;
  /** Reason interner to share with an aggregator (default: a new one). */
  readonly reasons?: ReasonInterner;
}

/** Low-level callback: the record is reused; `b[start, end)` is the line, valid during the call. */
export type RecordSink = (rec: ScanRecord, b: Buffer, start: number, end: number) => void;

/** Scans lines into a reused `ScanRecord` and passes it on; the base of both parsers. */
export class RecordScanner {
  readonly counts: ParseCounts = { lines: 0, events: 0, unparsed: 0, lost: 0, skipped: 0 };
  readonly reasons: ReasonInterner;
  private readonly rec = new ScanRecord();
  private readonly splitter: LineSplitter;

  constructor(sink: RecordSink, options: ParserOptions = {}) {
    this.reasons = options.reasons ?? new ReasonInterner();
    const rec = this.rec;
    const counts = this.counts;
    const reasons = this.reasons;
    this.splitter = new LineSplitter((b, start, end, lineNo, overlong) => {
      rec.reset(lineNo);
      if (overlong) {
        rec.kind = K.unparsed;
        rec.why = 'line too long';
      } else {
        scanLine(b, start, end, rec, reasons);
      }
      counts.lines = lineNo;
      const k = rec.kind;
      if (k >= K.other) counts.events++;
      else if (k === K.unparsed) counts.unparsed++;
      else if (k === K.lost) counts.lost++;
      else counts.skipped++;
      sink(rec, b, start, end);
    }, options.maxLineBytes);
  }

  /** Feeds bytes; strings are taken as UTF-8 text. */
  push(chunk: Buffer | Uint8Array | string): void {
    this.splitter.push(toBuffer(chunk));
  }

  /** Flushes a last line without a newline. */
  end(): void {
    this.splitter.end();
  }
}

/** Push parser: `push` chunks, receive `TraceEvent`s (blank, comment and header lines give none). */
export class TraceParser {
  private readonly scanner: RecordScanner;

  constructor(onEvent: (ev: TraceEvent) => void, options: ParserOptions = {}) {
    const comms = new CommCache();
    this.scanner = new RecordScanner((rec, b, start, end) => {
      const ev = materialize(b, start, end, rec, comms);
      if (ev !== null) onEvent(ev);
    }, options);
  }

  get counts(): Readonly<ParseCounts> {
    return this.scanner.counts;
  }

  push(chunk: Buffer | Uint8Array | string): void {
    this.scanner.push(chunk);
  }

  end(): void {
    this.scanner.end();
  }
}

/**
 * Parses a readable stream (any async iterable of Buffers/strings, e.g. `fs.createReadStream`)
 * into events, one chunk's events at a time.
 */
export async function* parseTraceStream(
  input: AsyncIterable<Buffer | Uint8Array | string>,
  options: ParserOptions = {},
): AsyncGenerator<TraceEvent, ParseCounts, undefined> {
  let batch: TraceEvent[] = [];
  const parser = new TraceParser((ev) => batch.push(ev), options);
  for await (const chunk of input) {
    parser.push(chunk);
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      yield* out;
    }
  }
  parser.end();
  yield* batch;
  return { ...parser.counts };
}

/** Parses a whole string or Buffer (convenience for tests and small inputs). */
export function parseTraceText(text: string | Buffer, options: ParserOptions = {}): TraceEvent[] {
  const out: TraceEvent[] = [];
  const p = new TraceParser((ev) => out.push(ev), options);
  p.push(text);
  p.end();
  return out;
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
