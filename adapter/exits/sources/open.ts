/**
 * From what the user wrote (`exitTrace`, `hv exits <file>`, "Open KVM trace…") to a trace source:
 * `unix:/path` → a unix socket; `tracefs` / `tracefs:PID` → the host's tracefs; a path → by what it is
 * (a fifo, a socket file, a regular file read once or followed).
 */
import { ExitsError } from '../errors';
import { stat } from 'node:fs/promises';
import { FifoSource } from './fifo';
import { FileSource } from './file';
import { FollowSource } from './follow';
import { SocketSource } from './socket';
import { TracefsSource } from './tracefs';
import type { TraceSource } from './types';

export type SourceSpec =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tracefs'; readonly pid: number | undefined }
  | { readonly kind: 'path'; readonly path: string };

/** A trace setting that names nothing usable. */
export class TraceSpecError extends ExitsError {
  override name = 'TraceSpecError';
}

export function parseSourceSpec(text: string): SourceSpec {
  const t = text.trim();
  if (t.startsWith('unix:')) {
    const path = t.slice(5);
    if (path === '') throw new TraceSpecError(`"${text}": unix: needs a socket path`);
    return { kind: 'unix', path };
  }
  const tracefs = /^tracefs(?::(\d+))?$/.exec(t);
  if (tracefs !== null)
    return { kind: 'tracefs', pid: tracefs[1] === undefined ? undefined : Number(tracefs[1]) };
  if (t === '') throw new TraceSpecError('the trace path is empty');
  return { kind: 'path', path: t };
}

export interface OpenOptions {
  /** A regular file is followed as it grows (default false: read once). */
  readonly follow?: boolean;
  /** Where a followed file starts being read (default `start`). */
  readonly from?: 'start' | 'end';
  /** The QEMU process for `tracefs` without a pid (the debugged guest's). */
  readonly tracefsPid?: () => Promise<number>;
  /** tracefs mount point, for tests. */
  readonly tracefsRoot?: string;
}

export async function openSource(text: string, options: OpenOptions = {}): Promise<TraceSource> {
  const spec = parseSourceSpec(text);
  switch (spec.kind) {
    case 'unix':
      return new SocketSource(spec.path);
    case 'tracefs': {
      let pid = spec.pid;
      if (pid === undefined) {
        if (options.tracefsPid === undefined)
          throw new TraceSpecError('"tracefs" needs the QEMU process id here: write tracefs:PID');
        pid = await options.tracefsPid();
      }
      return new TracefsSource({
        pid,
        ...(options.tracefsRoot === undefined ? {} : { root: options.tracefsRoot }),
      });
    }
    case 'path': {
      const info = await stat(spec.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (info === undefined) {
        if (options.follow === true) return new FollowSource(spec.path, { from: options.from ?? 'start' });
        throw new TraceSpecError(`${spec.path}: no such file`);
      }
      if (info.isFIFO()) return new FifoSource(spec.path);
      if (info.isSocket()) return new SocketSource(spec.path);
      if (info.isDirectory()) throw new TraceSpecError(`${spec.path} is a directory, not a trace`);
      if (options.follow === true) return new FollowSource(spec.path, { from: options.from ?? 'start' });
      return new FileSource(spec.path);
    }
  }
}
