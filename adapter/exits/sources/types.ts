/** What every trace source gives its reader: bytes as they come, its state, its end. */
import type { TraceSourceKind } from '../../protocol/customRequests';

export interface SourceSink {
  /** Trace bytes (any chunking; lines may span chunks). */
  data(chunk: Buffer): void;
  /** `waiting`: the file or socket is not there yet; `reading`: bytes can come. */
  state(state: 'waiting' | 'reading', detail?: string): void;
  /** The input started over (a followed file was truncated or replaced). */
  restarted(): void;
  /** No more bytes will come: the end of a file, a closed stream, or a failure. */
  end(error?: Error): void;
}

export interface TraceSource {
  readonly kind: TraceSourceKind;
  readonly label: string;
  /** Starts reading; call once. */
  start(sink: SourceSink): void;
  /** Stops reading and releases everything (files, sockets, timers, tracefs instances). Idempotent. */
  dispose(): void;
}

/** Read size of the file-based sources. */
export const CHUNK = 256 * 1024;
