/**
 * The host's own KVM trace, when the debugged guest's hypervisor is this machine (QEMU with
 * `-accel kvm`): a tracefs instance of hvdbg's own (`instances/hvdbg-…`, so no other tracer's buffer
 * or settings are touched) with `kvm_exit` and `kvm_entry` enabled, filtered to the QEMU process's
 * threads (kernel-side with `set_event_pid` + `options/event-fork`, and again here by thread id, so a
 * kernel without the pid filter still gives only that QEMU's exits), read from the instance's
 * `trace_pipe` non-blocking. Needs root (or CAP_SYS_ADMIN / tracefs permissions) and kvm loaded.
 * dispose() disables the events and removes the instance it created.
 */
import { ExitsError } from '../errors';
import { closeSync, constants, openSync, read, rmdirSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK, type SourceSink, type TraceSource } from './types';

export const TRACEFS_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
export const KVM_EVENTS = ['kvm/kvm_exit', 'kvm/kvm_entry'];

/** tracefs files exist or the write fails: never create one (O_TRUNC clears set_event_pid). */
const WRITE = constants.O_WRONLY | constants.O_TRUNC;

async function writeExisting(path: string, text: string): Promise<void> {
  const file = await open(path, WRITE);
  try {
    await file.writeFile(text);
  } finally {
    await file.close();
  }
}

function writeExistingSync(path: string, text: string): void {
  const fd = openSync(path, WRITE);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export interface TracefsOptions {
  /** The QEMU process whose vCPU threads are traced. */
  readonly pid: number;
  /** tracefs mount point (default: the first of TRACEFS_ROOTS that has `instances/`). */
  readonly root?: string;
  /** Instance name (default `hvdbg-<adapter pid>-<pid>`). */
  readonly instance?: string;
  /** Events to enable, `system/event` (default kvm_exit and kvm_entry). */
  readonly events?: readonly string[];
  /** /proc, for the pid's threads (tests give a fake). */
  readonly proc?: string;
  /** Poll interval when trace_pipe has nothing (default 50 ms). */
  readonly pollMs?: number;
}

/** tracefs is missing, not permitted, or has no kvm events: the message says which. */
export class TracefsError extends ExitsError {
  override name = 'TracefsError';
}

/** A trace line's thread id (`comm-TID [cpu]` or `comm-TID (tgid) [cpu]`), or -1. */
export function lineThreadId(line: string): number {
  const m = /-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]/.exec(line);
  return m?.[1] === undefined ? -1 : Number(m[1]);
}

export class TracefsSource implements TraceSource {
  readonly kind = 'tracefs';
  private dir: string | undefined;
  private created = false;
  private pipe: number | undefined;
  private readonly onExit = (): void => this.dispose();
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private tids = new Set<number>();
  private refreshedAt = 0;
  private partial = '';
  private enabled: string[] = [];
  /** Lines dropped by the thread filter (other processes). */
  filtered = 0;

  constructor(private readonly options: TracefsOptions) {}

  get label(): string {
    return `tracefs (pid ${this.options.pid})`;
  }

  start(sink: SourceSink): void {
    this.setUp().then(
      () => {
        if (this.disposed) return;
        sink.state('reading');
        this.poll(sink);
      },
      (error: unknown) => {
        this.dispose();
        sink.end(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  private async setUp(): Promise<void> {
    const root = this.options.root ?? (await findRoot());
    const proc = this.options.proc ?? '/proc';
    const pid = this.options.pid;
    if (!(await exists(join(proc, String(pid)))))
      throw new TracefsError(`tracefs: no process ${pid} to trace (is QEMU running?)`);
    const name = this.options.instance ?? `hvdbg-${process.pid}-${pid}`;
    const dir = join(root, 'instances', name);
    try {
      await mkdir(dir);
      this.created = true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM')
        throw new TracefsError(
          `tracefs: not permitted to create ${dir} (run as root or give tracefs access)`,
        );
      if (code !== 'EEXIST') throw error;
    }
    this.dir = dir;
    await this.refreshThreads(proc);
    // Kernel-side thread filter; new vCPU threads are added on clone (event-fork). Best effort.
    await writeExisting(join(dir, 'options', 'event-fork'), '1').catch(() => undefined);
    await writeExisting(join(dir, 'set_event_pid'), [...this.tids].join(' ')).catch(() => undefined);
    for (const event of this.options.events ?? KVM_EVENTS) {
      try {
        await writeExisting(join(dir, 'events', event, 'enable'), '1');
        this.enabled.push(event);
      } catch (error) {
        throw new TracefsError(
          `tracefs: cannot enable ${event} in ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)}): is the kvm module loaded?`,
        );
      }
    }
    this.pipe = openSync(join(dir, 'trace_pipe'), constants.O_RDONLY | constants.O_NONBLOCK);
    // The instance keeps tracing until removed: remove it however the adapter ends.
    process.once('exit', this.onExit);
  }

  private async refreshThreads(proc: string): Promise<void> {
    this.refreshedAt = Date.now();
    const tasks = await readdir(join(proc, String(this.options.pid), 'task')).catch(() => []);
    this.tids = new Set([this.options.pid, ...tasks.map(Number).filter((n) => Number.isInteger(n))]);
  }

  /** Reads what trace_pipe has (EAGAIN: nothing now), then again after `pollMs`. */
  private poll(sink: SourceSink): void {
    const pipe = this.pipe;
    if (this.disposed || pipe === undefined) return;
    void (async () => {
      try {
        for (;;) {
          const buffer = Buffer.allocUnsafe(CHUNK);
          const bytesRead = await readSome(pipe, buffer);
          if (bytesRead === 0 || this.disposed) break;
          await this.deliver(buffer.subarray(0, bytesRead), sink);
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
          if (!this.disposed) sink.end(error as Error);
          this.dispose();
          return;
        }
      }
      if (this.disposed) return;
      this.timer = setTimeout(() => this.poll(sink), this.options.pollMs ?? 50);
      this.timer.unref();
    })();
  }

  /** Passes on the lines of the traced process's threads. */
  private async deliver(chunk: Buffer, sink: SourceSink): Promise<void> {
    const text = this.partial + chunk.toString('latin1');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    let kept = '';
    for (const line of lines) {
      const tid = lineThreadId(line);
      if (tid >= 0 && !this.tids.has(tid) && Date.now() - this.refreshedAt > 1000)
        await this.refreshThreads(this.options.proc ?? '/proc');
      if (tid >= 0 && !this.tids.has(tid)) {
        this.filtered++;
        continue;
      }
      kept += `${line}\n`;
    }
    if (kept !== '') sink.data(Buffer.from(kept, 'latin1'));
  }

  /** Synchronous, so that it also runs from a process 'exit' hook. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    process.off('exit', this.onExit);
    if (this.timer !== undefined) clearTimeout(this.timer);
    const quietly = (f: () => void): void => {
      try {
        f();
      } catch {
        // best effort: the instance may be gone already
      }
    };
    const pipe = this.pipe;
    this.pipe = undefined;
    if (pipe !== undefined) quietly(() => closeSync(pipe));
    const dir = this.dir;
    if (dir === undefined) return;
    for (const event of this.enabled)
      quietly(() => writeExistingSync(join(dir, 'events', event, 'enable'), '0'));
    quietly(() => writeExistingSync(join(dir, 'set_event_pid'), ''));
    if (this.created) quietly(() => rmdirSync(dir));
  }
}

function readSome(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, 0, buffer.length, null, (error, n) => (error === null ? resolve(n) : reject(error))),
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function findRoot(): Promise<string> {
  for (const root of TRACEFS_ROOTS) if (await exists(join(root, 'instances'))) return root;
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const mounted = /^\S+ (\S+) tracefs /m.exec(mounts)?.[1];
  if (mounted !== undefined && (await exists(join(mounted, 'instances')))) return mounted;
  throw new TracefsError(
    `tracefs: not mounted (looked in ${TRACEFS_ROOTS.join(', ')}); mount it with 'mount -t tracefs tracefs /sys/kernel/tracing'`,
  );
}
