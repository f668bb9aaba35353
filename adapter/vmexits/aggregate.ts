/**
 * Entry points for exit statistics: from events (`aggregate`), or straight from trace bytes
 * (`StatsBuilder`, `aggregateStream`), which scan into a reused record and build no event objects.
 */
import { type AggregateOptions, Aggregator } from './aggregator';
import type { TraceEvent } from './events';
import type { KvmStats } from './kvmStats';
import { RecordScanner } from './parser';
import { ReasonInterner } from './reasonIntern';
import { exitReason } from './reasons';

export type { AggregateOptions } from './aggregator';

export interface StreamOptions extends AggregateOptions {
  /** Longest line kept whole, bytes (default 65536). */
  readonly maxLineBytes?: number;
}

/** Statistics of already-parsed events (e.g. from `parseTraceText`). */
export function aggregate(events: Iterable<TraceEvent>, options: AggregateOptions = {}): KvmStats {
  const agg = new Aggregator(options);
  for (const ev of events) addEvent(agg, ev);
  return agg.finish();
}

/** Adds one event to an aggregator (the object counterpart of `Aggregator.addRecord`). */
export function addEvent(agg: Aggregator, ev: TraceEvent): void {
  switch (ev.kind) {
    case 'unparsed':
      if (agg.unparsed()) agg.unparsedSamples.push(ev);
      return;
    case 'lost':
      return agg.lost(ev.count);
    case 'exit': {
      const info = ev.isa !== 'unknown' && ev.code !== null ? (exitReason(ev.isa, ev.code) ?? null) : null;
      const key = agg.reasons.key(ev.reason, ev.isa, ev.code, info);
      const hi = Number((ev.rip >> 32n) & 0xffffffffn);
      const lo = Number(ev.rip & 0xffffffffn);
      return agg.exit(ev.pid, ev.tsNs, key.id, key.isa, ev.vcpu ?? -1, hi, lo);
    }
    case 'entry':
      return agg.entry(ev.pid, ev.tsNs, ev.vcpu);
    default:
      return agg.other(ev.kind, ev.tsNs);
  }
}

/** Push-style: feed trace bytes with `push`, then `finish` for the statistics. */
export class StatsBuilder {
  private readonly scanner: RecordScanner;
  private readonly agg: Aggregator;

  constructor(options: StreamOptions = {}) {
    const reasons = options.reasons ?? new ReasonInterner();
    const agg = new Aggregator({ ...options, reasons });
    this.agg = agg;
    this.scanner = new RecordScanner((rec, b, start, end) => agg.addRecord(rec, b, start, end), {
      reasons,
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    });
  }

  push(chunk: Buffer | Uint8Array | string): void {
    this.scanner.push(chunk);
  }

  /** Flushes the last line and returns the statistics. Call once. */
  finish(): KvmStats {
    this.scanner.end();
    return this.agg.finish();
  }
}

/** Statistics of a readable stream of trace text (e.g. `fs.createReadStream(path)`). */
export async function aggregateStream(
  input: AsyncIterable<Buffer | Uint8Array | string>,
  options: StreamOptions = {},
): Promise<KvmStats> {
  const b = new StatsBuilder(options);
  for await (const chunk of input) b.push(chunk);
  return b.finish();
}

/** Statistics of a whole string or Buffer. */
export function aggregateText(text: string | Buffer, options: StreamOptions = {}): KvmStats {
  const b = new StatsBuilder(options);
  b.push(text);
  return b.finish();
}
