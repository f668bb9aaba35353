/** Breakpoints and watchpoints (GDB manual, "GDB/MI Breakpoint Commands"). */
import type { GdbBackend } from '../backend';
import { optInt, optString, optTuple, quoteMI, reqString, tupleList, type MITuple } from '../miValues';

export interface InsertOptions {
  /** A gdb location: `file.c:12`, `function`, `*0xffffffff81000000`. */
  readonly location: string;
  /** Hardware breakpoint (`-h`): QEMU implements these without patching guest memory. */
  readonly hardware: boolean;
  readonly condition?: string | undefined;
  /** Hits to ignore before stopping. */
  readonly ignoreCount?: number | undefined;
}

export interface BreakpointInfo {
  readonly number: number;
  readonly address: string | undefined;
  readonly fullname: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly func: string | undefined;
  readonly pending: boolean;
}

function parseBreakpoint(bkpt: MITuple): BreakpointInfo {
  // MI3: a breakpoint with several locations lists them; the first one stands for the breakpoint.
  const first = tupleList(bkpt, 'locations')[0] ?? bkpt;
  return {
    number: Number.parseInt(reqString(bkpt, 'number'), 10),
    address: optString(first, 'addr'),
    fullname: optString(first, 'fullname'),
    file: optString(first, 'file'),
    line: optInt(first, 'line'),
    func: optString(first, 'func'),
    pending: optString(bkpt, 'pending') !== undefined || optString(first, 'addr') === '<PENDING>',
  };
}

export async function insertBreakpoint(gdb: GdbBackend, options: InsertOptions): Promise<BreakpointInfo> {
  const args = ['-f', options.hardware ? '-h' : ''];
  if (options.condition !== undefined && options.condition !== '')
    args.push('-c', quoteMI(options.condition));
  if (options.ignoreCount !== undefined && options.ignoreCount > 0)
    args.push('-i', String(options.ignoreCount));
  args.push(quoteMI(options.location));
  const result = await gdb.mi(`-break-insert ${args.filter((a) => a !== '').join(' ')}`);
  const bkpt = optTuple(result, 'bkpt');
  if (bkpt === undefined) throw new Error(`gdb did not return a breakpoint for ${options.location}`);
  return parseBreakpoint(bkpt);
}

export type WatchKind = 'write' | 'read' | 'readWrite';

/** Inserts a hardware watchpoint on an lvalue expression. */
export async function insertWatchpoint(
  gdb: GdbBackend,
  expression: string,
  kind: WatchKind,
): Promise<number> {
  const flag = kind === 'read' ? '-r ' : kind === 'readWrite' ? '-a ' : '';
  const result = await gdb.mi(`-break-watch ${flag}${quoteMI(expression)}`);
  const wpt = optTuple(result, 'wpt') ?? optTuple(result, 'hw-rwpt') ?? optTuple(result, 'hw-awpt');
  if (wpt === undefined) throw new Error(`gdb did not return a watchpoint for ${expression}`);
  return Number.parseInt(reqString(wpt, 'number'), 10);
}

export async function deleteBreakpoints(gdb: GdbBackend, numbers: readonly number[]): Promise<void> {
  if (numbers.length > 0) await gdb.mi(`-break-delete ${numbers.join(' ')}`);
}
