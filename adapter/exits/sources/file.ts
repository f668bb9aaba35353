/** A trace file read once from start to end, streamed in chunks (any size, bounded memory). */
import { createReadStream, type ReadStream } from 'node:fs';
import { CHUNK, type SourceSink, type TraceSource } from './types';

export class FileSource implements TraceSource {
  readonly kind = 'file';
  private stream: ReadStream | undefined;

  constructor(readonly path: string) {}

  get label(): string {
    return this.path;
  }

  start(sink: SourceSink): void {
    const stream = createReadStream(this.path, { highWaterMark: CHUNK });
    this.stream = stream;
    stream.once('open', () => sink.state('reading'));
    stream.on('data', (chunk) => sink.data(chunk as Buffer));
    stream.once('end', () => sink.end());
    stream.once('error', (error) => sink.end(error));
  }

  dispose(): void {
    this.stream?.destroy();
    this.stream = undefined;
  }
}
