/**
 * A named pipe (mkfifo). Opened read-write and non-blocking: the open never waits for a writer, reads
 * go through libuv's event loop (no thread blocked in a read), and writers may come and go (`cat trace >
 * fifo` twice) without an end of file in between: the fifo is read for as long as it is followed.
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { SourceSink, TraceSource } from './types';

export class FifoSource implements TraceSource {
  readonly kind = 'fifo';
  private socket: Socket | undefined;
  private disposed = false;

  constructor(readonly path: string) {}

  get label(): string {
    return this.path;
  }

  start(sink: SourceSink): void {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (error) {
      sink.end(error as Error);
      return;
    }
    const socket = new Socket({ fd, readable: true, writable: false });
    this.socket = socket;
    sink.state('reading');
    socket.on('data', (chunk: Buffer) => sink.data(chunk));
    socket.once('error', (error) => {
      if (!this.disposed) sink.end(error);
    });
    socket.once('close', () => {
      if (!this.disposed) sink.end();
    });
    socket.unref();
  }

  dispose(): void {
    this.disposed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }
}
