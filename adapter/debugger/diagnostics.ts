/**
 * `hvdbg/diagnostics`: a hidden custom request (no view calls it) telling what the adapter process holds:
 * its memory, its active libuv resources (timers, sockets, pipes, child processes) by type, and the
 * listeners on the session's event emitters. A long-session test compares two answers (after a warm-up
 * and at the end) to find leaks; anyone can send it from a DAP client to look at a session that grew.
 */
import type { EventEmitter } from 'node:events';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { request, schema } from '../protocol/customRequests';
import type { SessionHost } from '../session/host';

/** What the diagnostics read of a session (the composition root, adapter/debugger/debugger.ts). */
export interface DiagnosedSession {
  readonly execution: EventEmitter & { readonly state: 'running' | 'stopped' };
  readonly connection: {
    readonly gdb: EventEmitter & { readonly pid: number | undefined };
    readonly relay: EventEmitter;
  };
  readonly exits: EventEmitter;
  readonly kernelModules: EventEmitter | undefined;
}

export interface DiagnosticsArguments {
  /** Collect garbage first, so that `memory.heapUsed` counts what is still referenced. Default false. */
  readonly gc?: boolean;
}

export interface DiagnosticsBody {
  /** `process.memoryUsage()`, bytes. */
  readonly memory: {
    readonly rss: number;
    readonly heapTotal: number;
    readonly heapUsed: number;
    readonly external: number;
    readonly arrayBuffers: number;
  };
  /** Whether garbage was collected before measuring (`gc: true` and the runtime allowed it). */
  readonly collected: boolean;
  /** `process.getActiveResourcesInfo()` counted by type (`Timeout`, `PipeWrap`, `ProcessWrap`, ...). */
  readonly resources: Readonly<Record<string, number>>;
  /** Listeners per event of each of the session's emitters (`execution`, `gdb`, `relay`, ...). */
  readonly listeners: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The guest's run state as the execution service sees it. */
  readonly state: 'running' | 'stopped';
  /** The pid of the session's gdb (its own memory is outside the adapter's). */
  readonly gdbPid?: number;
}

export const diagnosticsRequest = request<DiagnosticsArguments, DiagnosticsBody>(
  'hvdbg/diagnostics',
  schema.object({ gc: schema.boolean }),
);

let collector: (() => void) | undefined | null;

/** V8's `gc()`, made available at run time (the adapter is not started with --expose-gc); null if refused. */
function gcFunction(): (() => void) | null {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collector = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collector = null;
    }
  }
  return collector;
}

function listenerCounts(emitter: EventEmitter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of emitter.eventNames()) counts[String(name)] = emitter.listenerCount(name);
  return counts;
}

export function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** What the adapter holds now; see {@link diagnosticsRequest}. */
export function diagnostics(dbg: DiagnosedSession, args: unknown): DiagnosticsBody {
  const wanted = typeof args === 'object' && args !== null && (args as DiagnosticsArguments).gc === true;
  const gc = wanted ? gcFunction() : null;
  gc?.();
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const emitters: Record<string, EventEmitter | undefined> = {
    execution: dbg.execution,
    gdb: dbg.connection.gdb,
    relay: dbg.connection.relay,
    exits: dbg.exits,
    kernelModules: dbg.kernelModules,
  };
  const listeners: Record<string, Record<string, number>> = {};
  for (const [name, emitter] of Object.entries(emitters)) {
    if (emitter !== undefined) listeners[name] = listenerCounts(emitter);
  }
  const gdbPid = dbg.connection.gdb.pid;
  return {
    memory: { rss, heapTotal, heapUsed, external, arrayBuffers },
    collected: gc !== null,
    resources: resourceCounts(),
    listeners,
    state: dbg.execution.state,
    ...(gdbPid === undefined ? {} : { gdbPid }),
  };
}

/** Registers `hvdbg/diagnostics` on a connected session. */
export function wireDiagnostics(host: SessionHost, dbg: DiagnosedSession): void {
  host.handle(diagnosticsRequest, (args) => Promise.resolve(diagnostics(dbg, args)));
}
