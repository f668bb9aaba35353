/** Stack frames and their variables (GDB manual, "GDB/MI Stack Manipulation"). */
import type { MiPort } from '../backend';
import { optInt, optString, reqString, tupleList, type MITuple } from '../miValues';

export interface FrameInfo {
  readonly level: number;
  /** The frame's PC, as gdb prints it (`0xffffffff81a17a0b`). */
  readonly addr: string;
  readonly func: string | undefined;
  /** The file name as DWARF gives it (e.g. `arch/x86/kvm/x86.c`). */
  readonly file: string | undefined;
  /** gdb's resolved path (after `directory` and `set substitute-path`). */
  readonly fullname: string | undefined;
  readonly line: number | undefined;
  /** The objfile the PC is in (e.g. `kvm.ko`), when gdb knows it. */
  readonly from: string | undefined;
}

export function parseFrame(t: MITuple): FrameInfo {
  return {
    level: optInt(t, 'level') ?? 0,
    addr: reqString(t, 'addr'),
    func: optString(t, 'func'),
    file: optString(t, 'file'),
    fullname: optString(t, 'fullname'),
    line: optInt(t, 'line'),
    from: optString(t, 'from'),
  };
}

/** Frames `low..high` (inclusive) of a thread, innermost first. */
export async function listFrames(
  gdb: MiPort,
  threadId: number,
  low: number,
  high: number,
): Promise<FrameInfo[]> {
  const result = await gdb.mi(`-stack-list-frames --thread ${threadId} ${low} ${high}`);
  return tupleList(result, 'stack').map(parseFrame);
}

/** How many frames gdb unwinds for a thread (`-stack-info-depth`), counting at most `max`. */
export async function stackDepth(gdb: MiPort, threadId: number, max: number): Promise<number> {
  const result = await gdb.mi(`-stack-info-depth --thread ${threadId} ${max}`);
  return Number.parseInt(reqString(result, 'depth'), 10);
}

export interface FrameVariable {
  readonly name: string;
  readonly isArgument: boolean;
  /** Scalars carry their value; aggregates (structs, arrays) only their type. */
  readonly value: string | undefined;
  readonly type: string | undefined;
}

/** Locals and arguments of a frame (`--simple-values`: aggregates without their contents). */
export async function listVariables(gdb: MiPort, threadId: number, level: number): Promise<FrameVariable[]> {
  const result = await gdb.mi(`-stack-list-variables --thread ${threadId} --frame ${level} --simple-values`);
  return tupleList(result, 'variables').map((v) => ({
    name: reqString(v, 'name'),
    isArgument: optString(v, 'arg') === '1',
    value: optString(v, 'value'),
    type: optString(v, 'type'),
  }));
}

/** `-stack-select-frame N`: the frame gdb's CLI commands apply to, in the selected thread. */
export async function selectFrame(gdb: MiPort, level: number): Promise<void> {
  await gdb.mi(`-stack-select-frame ${level}`);
}
