/**
 * A unix stream socket served by the trace's producer (e.g. `socat UNIX-LISTEN:/tmp/t.sock
 * SYSTEM:'cat /sys/kernel/tracing/trace_pipe'`, or QEMU's `-serial unix:/tmp/t.sock,server=on`).
 * hvdbg connects as a client; until the socket answers it retries every `retryMs`.
 */
import { createConnection, type Socket } from 'node:net';
import type { SourceSink, TraceSource } from './types';

export interface SocketOptions {
  /** Retry interval while nobody listens yet (default 500 ms). */
  readonly retryMs?: number;
}

export class SocketSource implements TraceSource {
  readonly kind = 'socket';
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiting = false;
  private disposed = false;

  constructor(
    readonly path: string,
    private readonly options: SocketOptions = {},
  ) {}

  get label(): string {
    return `unix:${this.path}`;
  }

  start(sink: SourceSink): void {
    this.connect(sink);
  }

  private connect(sink: SourceSink): void {
    if (this.disposed) return;
    const socket = createConnection({ path: this.path });
    this.socket = socket;
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      this.waiting = false;
      sink.state('reading');
    });
    socket.on('data', (chunk: Buffer) => sink.data(chunk));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (this.disposed) return;
      if (!connected && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')) {
        if (!this.waiting) sink.state('waiting', `nothing listens on ${this.path} yet`);
        this.waiting = true;
        socket.destroy();
        this.timer = setTimeout(() => this.connect(sink), this.options.retryMs ?? 500);
        this.timer.unref();
        return;
      }
      sink.end(error);
    });
    socket.once('close', () => {
      if (connected && !this.disposed) sink.end();
    });
    socket.unref();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = undefined;
  }
}
