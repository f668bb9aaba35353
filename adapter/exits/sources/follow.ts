/**
 * A growing file followed like `tail -F`: read from its start (or its end), then woken by fs.watch
 * (inotify) and by a slow poll as a safety net. It survives truncation (read again from the start), the
 * file being replaced (a new inode) or not existing yet (waits for it), for as long as it is followed.
 */
import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { CHUNK, type SourceSink, type TraceSource } from './types';

export interface FollowOptions {
  /** Where to start in the file as it is when first opened (default `start`). */
  readonly from?: 'start' | 'end';
  /** Poll interval in ms, for changes fs.watch misses (default 250). */
  readonly pollMs?: number;
}

export class FollowSource implements TraceSource {
  readonly kind = 'follow';
  private sink: SourceSink | undefined;
  private file: FileHandle | undefined;
  private ino = -1;
  private position = 0;
  private opened = false;
  private waiting = false;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private again = false;
  private disposed = false;

  constructor(
    readonly path: string,
    private readonly options: FollowOptions = {},
  ) {}

  get label(): string {
    return this.path;
  }

  start(sink: SourceSink): void {
    this.sink = sink;
    this.timer = setInterval(() => this.wake(), this.options.pollMs ?? 250);
    this.timer.unref();
    this.wake();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.unwatch();
    void this.close();
  }

  /** Reads whatever is new; concurrent wake-ups fold into one more pass. */
  private wake(): void {
    if (this.disposed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.step();
        } while (this.again && !this.disposed);
      } catch (error) {
        this.fail(error);
      } finally {
        this.busy = false;
      }
    })();
  }

  private async step(): Promise<void> {
    const sink = this.sink;
    if (sink === undefined) return;
    if (this.file === undefined && !(await this.openFile(sink))) return;
    const onDisk = await stat(this.path).catch(() => undefined);
    if (onDisk !== undefined && onDisk.ino !== this.ino) {
      // Replaced (log rotation, a new recording): follow the new file from its start.
      await this.close();
      if (!(await this.openFile(sink))) return;
      this.restart(sink);
    }
    const file = this.file;
    if (file === undefined) return;
    const size = (await file.stat()).size;
    if (size < this.position) this.restart(sink);
    while (!this.disposed) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await file.read(buffer, 0, CHUNK, this.position);
      if (bytesRead === 0 || this.disposed) break;
      this.position += bytesRead;
      sink.data(buffer.subarray(0, bytesRead));
    }
  }

  private restart(sink: SourceSink): void {
    this.position = 0;
    sink.restarted();
  }

  /** Opens the file; false (and the `waiting` state) while it does not exist. */
  private async openFile(sink: SourceSink): Promise<boolean> {
    let file: FileHandle;
    try {
      file = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!this.waiting) sink.state('waiting', `${this.path} does not exist yet`);
      this.waiting = true;
      return false;
    }
    if (this.disposed) {
      await file.close();
      return false;
    }
    const info = await file.stat();
    this.file = file;
    this.ino = info.ino;
    this.position = !this.opened && this.options.from === 'end' ? info.size : 0;
    this.opened = true;
    this.waiting = false;
    sink.state('reading');
    this.unwatch();
    try {
      this.watcher = watch(this.path, { persistent: false }, () => this.wake());
      this.watcher.on('error', () => this.unwatch());
    } catch {
      // No inotify (or the file went away again): the poll still runs.
    }
    return true;
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
  }

  private fail(error: unknown): void {
    if (this.disposed) return;
    this.dispose();
    this.sink?.end(error instanceof Error ? error : new Error(String(error)));
  }
}
