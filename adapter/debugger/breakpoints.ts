/**
 * Source, function, instruction and data breakpoints, with conditions, hit counts and logpoints.
 * Source/function/instruction breakpoints are hardware ones by default (`breakpointType`): a software
 * breakpoint writes int3 into guest memory, which kernels overwrite when they load or patch code.
 * Logpoints stop in gdb and are continued by the adapter after printing (see ExecutionService).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GdbBackend } from '../gdb/backend';
import {
  deleteBreakpoints,
  insertBreakpoint,
  insertWatchpoint,
  type BreakpointInfo,
  type WatchKind,
} from '../gdb/mi/breakpoints';
import type { SourceResolver } from './sources';
import { parseAddress } from './memory';

interface Planted {
  readonly key: string;
  readonly number: number | undefined;
  readonly dap: DebugProtocol.Breakpoint;
  readonly logMessage: string | undefined;
}

type Group = 'function' | 'instruction' | 'data' | `source:${string}`;

/** DAP's `hitCondition` as gdb's ignore count: "5" or ">= 5" stops on the 5th hit. */
export function ignoreCountOf(hitCondition: string | undefined): number | undefined {
  if (hitCondition === undefined || hitCondition.trim() === '') return undefined;
  const match = /^\s*(?:>=|==)?\s*(\d+)\s*$/.exec(hitCondition);
  if (match?.[1] === undefined) {
    throw new Error(`hit count '${hitCondition}' is not supported: use a number N (stop on the N-th hit)`);
  }
  return Math.max(0, Number.parseInt(match[1], 10) - 1);
}

const none = { condition: undefined, hitCondition: undefined, logMessage: undefined } as const;

export class BreakpointService {
  private readonly groups = new Map<Group, Planted[]>();

  constructor(
    private readonly gdb: GdbBackend,
    private readonly sources: SourceResolver,
    private readonly hardware: boolean,
  ) {}

  /** The logpoint message for a gdb breakpoint number, if it is a logpoint. */
  logMessageOf(number: number): string | undefined {
    for (const planted of this.groups.values()) {
      const found = planted.find((p) => p.number === number);
      if (found !== undefined) return found.logMessage;
    }
    return undefined;
  }

  /** The kind of breakpoint a gdb number belongs to, for the stop reason. */
  kindOf(
    number: number,
  ): 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint' {
    for (const [group, planted] of this.groups) {
      if (planted.some((p) => p.number === number)) {
        if (group === 'function') return 'function breakpoint';
        if (group === 'instruction') return 'instruction breakpoint';
        if (group === 'data') return 'data breakpoint';
      }
    }
    return 'breakpoint';
  }

  setSourceBreakpoints(path: string, breakpoints: readonly DebugProtocol.SourceBreakpoint[]) {
    const file = this.sources.toGdbFile(path);
    return this.replace(
      `source:${path}`,
      breakpoints.map((b) => ({
        key: JSON.stringify([b.line, b.condition, b.hitCondition, b.logMessage]),
        location: `${file}:${b.line}`,
        condition: b.condition,
        hitCondition: b.hitCondition,
        logMessage: b.logMessage,
      })),
    );
  }

  setFunctionBreakpoints(breakpoints: readonly DebugProtocol.FunctionBreakpoint[]) {
    return this.replace(
      'function',
      breakpoints.map((b) => ({
        key: JSON.stringify([b.name, b.condition, b.hitCondition]),
        location: b.name,
        condition: b.condition,
        hitCondition: b.hitCondition,
        logMessage: undefined,
      })),
    );
  }

  setInstructionBreakpoints(breakpoints: readonly DebugProtocol.InstructionBreakpoint[]) {
    return this.replace(
      'instruction',
      breakpoints.map((b) => {
        let address: bigint;
        try {
          address = parseAddress(b.instructionReference, b.offset ?? 0);
        } catch (error) {
          // Not an address: this breakpoint is unverified, the others are planted.
          const problem = error instanceof Error ? error.message : String(error);
          return { key: JSON.stringify([b.instructionReference, b.offset]), location: '', problem, ...none };
        }
        return {
          key: JSON.stringify([address.toString(), b.condition, b.hitCondition]),
          location: `*0x${address.toString(16)}`,
          condition: b.condition,
          hitCondition: b.hitCondition,
          logMessage: undefined,
        };
      }),
    );
  }

  /** Data breakpoints are hardware watchpoints on gdb expressions (the dataId). */
  async setDataBreakpoints(
    breakpoints: readonly DebugProtocol.DataBreakpoint[],
  ): Promise<DebugProtocol.Breakpoint[]> {
    const old = this.groups.get('data') ?? [];
    await deleteBreakpoints(
      this.gdb,
      old.flatMap((p) => (p.number === undefined ? [] : [p.number])),
    );
    const planted: Planted[] = [];
    for (const b of breakpoints) {
      const kind: WatchKind = b.accessType ?? 'write';
      try {
        const number = await insertWatchpoint(this.gdb, b.dataId, kind);
        planted.push({ key: b.dataId, number, logMessage: undefined, dap: { id: number, verified: true } });
      } catch (error) {
        planted.push({ key: b.dataId, number: undefined, logMessage: undefined, dap: unverified(error) });
      }
    }
    this.groups.set('data', planted);
    return planted.map((p) => p.dap);
  }

  private async replace(
    group: Group,
    wanted: readonly {
      key: string;
      location: string;
      condition: string | undefined;
      hitCondition: string | undefined;
      logMessage: string | undefined;
      /** Why it cannot be planted (it is answered unverified with this message). */
      problem?: string;
    }[],
  ): Promise<DebugProtocol.Breakpoint[]> {
    const old = this.groups.get(group) ?? [];
    const keep = new Set(wanted.map((w) => w.key));
    const stale = old.filter((p) => !keep.has(p.key));
    await deleteBreakpoints(
      this.gdb,
      stale.flatMap((p) => (p.number === undefined ? [] : [p.number])),
    );
    const planted: Planted[] = [];
    for (const w of wanted) {
      const existing = old.find((p) => p.key === w.key && p.number !== undefined);
      if (existing !== undefined) {
        planted.push(existing);
        continue;
      }
      if (w.problem !== undefined) {
        planted.push({
          key: w.key,
          number: undefined,
          logMessage: undefined,
          dap: { verified: false, message: w.problem },
        });
        continue;
      }
      try {
        const info = await insertBreakpoint(this.gdb, {
          location: w.location,
          hardware: this.hardware,
          condition: w.condition,
          ignoreCount: ignoreCountOf(w.hitCondition),
        });
        planted.push({ key: w.key, number: info.number, logMessage: w.logMessage, dap: this.toDap(info) });
      } catch (error) {
        planted.push({ key: w.key, number: undefined, logMessage: w.logMessage, dap: unverified(error) });
      }
    }
    this.groups.set(group, planted);
    return planted.map((p) => p.dap);
  }

  private toDap(info: BreakpointInfo): DebugProtocol.Breakpoint {
    const bp: DebugProtocol.Breakpoint = { id: info.number, verified: !info.pending };
    if (info.line !== undefined) bp.line = info.line;
    const source = this.sources.toSource(info.file, info.fullname);
    if (source !== undefined) bp.source = source;
    if (info.address !== undefined && info.address.startsWith('0x')) bp.instructionReference = info.address;
    if (info.pending) bp.message = 'pending: not in any loaded symbol file yet';
    return bp;
  }
}

function unverified(error: unknown): DebugProtocol.Breakpoint {
  return { verified: false, message: error instanceof Error ? error.message : String(error) };
}
