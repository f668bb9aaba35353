/**
 * hvdbg's custom DAP requests and events, declared once with their types (rust-analyzer's lsp_ext.ts
 * style): the adapter (adapter/dap/session.ts) answers and sends them, the extension (extension/views/)
 * calls and receives them. No `vscode` import here: the adapter and any other DAP client use this file.
 *
 * Wire conventions: 64-bit addresses are `0x`-prefixed hex strings (JSON has no 64-bit integers), times
 * are nanoseconds as numbers.
 */

/** A JSON Schema (draft 7, as ajv checks it) of a request's `arguments`. */
export type ArgumentSchema = Readonly<Record<string, unknown>>;

/**
 * A custom request: its DAP command name and the schema of its `arguments`, checked once where the
 * request enters the adapter (adapter/session/requestTable.ts); the type parameters are what
 * `arguments` and `body` hold.
 */
export interface CustomRequest<Args, Body> {
  readonly command: string;
  readonly schema: ArgumentSchema;
  /** Never set: carries the types. */
  readonly types?: { args: Args; body: Body };
}

/** Schema pieces for the declarations: JSON has no 64-bit integers, so ids and counts stay below 2^53. */
export const schema = {
  integer: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  string: { type: 'string', maxLength: 65536 },
  boolean: { type: 'boolean' },
  /** Arguments with these properties (`required` among them); unknown ones are allowed, as DAP grows. */
  object(properties: Record<string, ArgumentSchema>, required: readonly string[] = []): ArgumentSchema {
    return { type: 'object', properties, required };
  },
  none: { type: 'object' } as ArgumentSchema,
} as const;

/** A custom event: its DAP event name; the type parameter is what `body` holds. */
export interface CustomEvent<Body> {
  readonly event: string;
  /** Never set: carries the type. */
  readonly types?: { body: Body };
}

export function request<Args, Body>(
  command: string,
  argumentSchema: ArgumentSchema = schema.none,
): CustomRequest<Args, Body> {
  return { command, schema: argumentSchema };
}

function event<Body>(name: string): CustomEvent<Body> {
  return { event: name };
}

export type ArgsOf<R> = R extends CustomRequest<infer A, unknown> ? A : never;
export type BodyOf<R> =
  R extends CustomRequest<unknown, infer B> ? B : R extends CustomEvent<infer B> ? B : never;

// ---------------------------------------------------------------------------------------------------
// VM exits

/** Where a guest RIP is in the session's symbols (`info symbol`, `info line` through gdb). */
export interface ResolvedSymbol {
  /** `kvm_emulate_hypercall`; absent when no symbol covers the address. */
  readonly function?: string;
  readonly offset?: number;
  /** The ELF file holding it when it is not the main program (e.g. `kvm.ko`). */
  readonly module?: string;
  /** The file as the DWARF names it (`arch/x86/kvm/x86.c`). */
  readonly file?: string;
  /** That file on this machine, when it was found (via `sourceFileMap` / `sourcePaths`). */
  readonly path?: string;
  readonly line?: number;
  /** Why there is nothing: `no symbol`, `no debug session`, `gdb did not answer in time`. */
  readonly none?: string;
}

export interface RipRow {
  /** Guest RIP, hex. */
  readonly rip: string;
  readonly exits: number;
  /** Absent while unresolved. */
  readonly symbol?: ResolvedSymbol;
}

/** One row of `perf kvm stat report`, plus the RIPs with most exits for this reason. */
export interface ReasonRow {
  readonly name: string;
  readonly isa: 'vmx' | 'svm' | 'unknown';
  readonly code: number | null;
  readonly description: string | null;
  /** Exits paired with their entry (perf's Samples). */
  readonly samples: number;
  /** Every `kvm_exit` with this reason. */
  readonly exits: number;
  readonly samplesPct: number;
  readonly timePct: number;
  readonly totalNs: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly meanNs: number;
  /** Most exits first (at most `TOP_RIPS_PER_REASON`). */
  readonly topRips: readonly RipRow[];
}

export interface VcpuRow {
  /** KVM's vcpu_id; -1 for exits whose line named no vCPU. */
  readonly vcpu: number;
  readonly samples: number;
  readonly exits: number;
  readonly totalNs: number;
}

/** Exit counts per time bucket per vCPU. */
export interface ExitTimeline {
  /** Trace time of the first bucket's start, ns. */
  readonly startNs: number;
  readonly bucketNs: number;
  /** `whole`: the whole trace, buckets widen as it grows; `recent`: a sliding window of the latest buckets. */
  readonly mode: 'whole' | 'recent';
  readonly series: readonly { readonly vcpu: number; readonly counts: readonly number[] }[];
}

export type TraceSourceKind = 'file' | 'follow' | 'fifo' | 'socket' | 'tracefs';

export interface TraceSourceInfo {
  /** Stable id within the session (`live` for the launch configuration's `exitTrace`). */
  readonly id: string;
  readonly kind: TraceSourceKind;
  /** What the user named: a path, `unix:/path`, `tracefs (pid 1234)`. */
  readonly label: string;
  /** `waiting`: not there yet (file, socket); `reading`; `ended`: a file read to its end or a closed stream. */
  readonly state: 'waiting' | 'reading' | 'ended' | 'failed';
  readonly error?: string;
  readonly bytes: number;
  readonly lines: number;
  /** Times a followed file was truncated or replaced and read again from its start. */
  readonly restarts: number;
}

export interface ExitSnapshot {
  readonly source: TraceSourceInfo;
  readonly isa: 'vmx' | 'svm' | 'unknown';
  readonly samples: number;
  readonly exits: number;
  readonly totalNs: number;
  /** perf's order: samples, then exits, descending. */
  readonly reasons: readonly ReasonRow[];
  readonly vcpus: readonly VcpuRow[];
  readonly timeline: ExitTimeline;
  /** Per-RIP counts are lower bounds (more distinct RIPs than the bounded counter holds). */
  readonly ripsApproximate: boolean;
  readonly unparsedLines: number;
  readonly lostEvents: number;
  /** Sequence number of this source's snapshots (for dropping stale ones). */
  readonly seq: number;
}

/** One `kvm_exit` kept in a per-CPU/per-vCPU ring. */
export interface LastExit {
  readonly tsNs: number;
  /** The trace's `[cpu]` column. */
  readonly cpu: number;
  /** KVM's vcpu_id (-1 when the line has none). */
  readonly vcpu: number;
  /** The vCPU thread (`comm-PID`). */
  readonly pid: number;
  readonly reason: string;
  readonly rip: string;
  readonly info1?: string;
  readonly info2?: string;
  /** Exit to the thread's next `kvm_entry`, when that entry was seen. */
  readonly durationNs?: number;
  readonly symbol?: ResolvedSymbol;
}

export interface LastExitsBody {
  /** The DAP thread (debugged vCPU) these are for. */
  readonly threadId?: number;
  /** The debugged vCPU's index (QEMU's CPU#n). */
  readonly vcpuIndex: number;
  /** Which trace column was matched with the vCPU index. */
  readonly matchedBy: 'cpu' | 'vcpu';
  readonly source?: string;
  /** Oldest first. */
  readonly exits: readonly LastExit[];
}

export interface ExitStatsArguments {
  /** A source id from `openTrace`; default: the session's active source. */
  readonly source?: string;
}

export interface ExitStatsBody {
  /** Absent when the session has no trace source. */
  readonly snapshot?: ExitSnapshot;
}

export interface OpenTraceArguments {
  /** A file, a fifo, `unix:/path`, or `tracefs` / `tracefs:PID`. */
  readonly path: string;
  /** For a regular file: keep following it as it grows (default false: read it once). */
  readonly follow?: boolean;
}

export interface OpenTraceBody {
  readonly source: string;
}

export interface LastExitsArguments {
  /** Default: gdb's selected vCPU. */
  readonly threadId?: number;
  readonly count?: number;
}

/** The statistics of a trace source (the live `exitTrace` by default). */
export const exitStatsRequest = request<ExitStatsArguments, ExitStatsBody>(
  'hvdbg/exitStats',
  schema.object({ source: schema.string }),
);
/** Opens a trace for the views; it becomes the session's active source. */
export const openTraceRequest = request<OpenTraceArguments, OpenTraceBody>(
  'hvdbg/openTrace',
  schema.object({ path: { ...schema.string, minLength: 1 }, follow: schema.boolean }, ['path']),
);
/** The last exits of a vCPU from the active source's rings. */
export const lastExitsRequest = request<LastExitsArguments, LastExitsBody>(
  'hvdbg/lastExits',
  schema.object({ threadId: schema.integer, count: { ...schema.integer, maximum: 100_000 } }),
);

/** New statistics of the active source; at most a few a second whatever the event rate. */
export const exitStatsUpdatedEvent = event<ExitSnapshot>('hvdbg/exitStatsUpdated');
/** At each stop (when a trace is followed): the last exits of the vCPU that stopped. */
export const lastExitsEvent = event<LastExitsBody>('hvdbg/lastExits');

/** The commands the adapter's exits service answers. */
export const EXIT_REQUESTS: readonly string[] = [
  exitStatsRequest.command,
  openTraceRequest.command,
  lastExitsRequest.command,
];
