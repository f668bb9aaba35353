/**
 * The one place where `gdb-js` is loaded. gdb-js 1.3 was built for older Node releases and needs two shims
 * on Node 20, applied here once:
 *
 * 1. Its transpiled async functions call a global `regeneratorRuntime`; we install `regenerator-runtime`.
 * 2. It writes commands with `stdin.write(text, { binary: true })`, and Node rejects an options object as
 *    the encoding argument (ERR_INVALID_ARG_TYPE); we hand it a stdin that drops the second argument.
 *
 * Everything else in hvdbg talks to gdb through {@link ./backend.ts}, never to gdb-js directly.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import runtime from 'regenerator-runtime';
import { record } from '../session/transcript';

(globalThis as { regeneratorRuntime?: unknown }).regeneratorRuntime ??= runtime;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after the global shim above
const gdbjs = require('gdb-js') as typeof import('gdb-js');

/** A raw GDB/MI async record as gdb-js emits it (`exec`, `notify` and `status` events). */
export interface RawAsyncRecord {
  readonly state: string;
  readonly data: Record<string, unknown>;
}

/** The subset of gdb-js's `GDB` class hvdbg uses. */
export interface GdbJs {
  execMI(command: string): Promise<Record<string, unknown>>;
  on(event: 'exec' | 'notify' | 'status', listener: (record: RawAsyncRecord) => void): void;
  /** gdb's console (`~`), log (`&`) and target (`@`) stream records, as highland streams of text. */
  readonly consoleStream: TextStream;
  readonly logStream: TextStream;
  readonly targetStream: TextStream;
}

/** The part of a highland stream hvdbg consumes. */
export interface TextStream {
  each(listener: (text: string) => void): unknown;
}

interface ParsedRecord {
  readonly type?: string;
  readonly state?: string;
  readonly data?: Record<string, unknown>;
}

/** gdb-js's GDB/MI record parser, for the lines hvdbg reads itself (see GdbBackend's fast path). */
export function parseMIRecord(line: string): ParsedRecord {
  return (gdbjs as unknown as { _parseMI(line: string): ParsedRecord })._parseMI(line);
}

/**
 * Wraps a spawned gdb (`--interpreter=mi3`) in gdb-js, with the Node 20 stdin shim applied. gdb-js reads
 * `stdout`, which the caller feeds from gdb's real stdout.
 */
export function wrapGdbProcess(child: ChildProcessWithoutNullStreams, stdout: Readable): GdbJs {
  const stdin = {
    write: (chunk: string): boolean => {
      record('mi>', chunk);
      return child.stdin.write(chunk);
    },
  };
  const facade = {
    stdin,
    stdout,
    stderr: child.stderr,
    kill: (signal?: NodeJS.Signals): boolean => child.kill(signal),
  };
  return new gdbjs.GDB(facade) as unknown as GdbJs;
}
