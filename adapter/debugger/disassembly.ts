/**
 * The Disassembly view's `disassemble` request: `instructionCount` instructions starting
 * `instructionOffset` instructions from an address, with symbols (`func+off`) and source lines where DWARF
 * has them. gdb disassembles (its AT&T text is what kernel developers read in `x/i`) and gives each
 * instruction its line (`disassemble` in adapter/gdb/mi/data.ts); this module sizes the listings to the
 * rows asked for, finds a start that decodes in step with the target address when the view scrolls
 * backwards, and fills the rows of memory that cannot be read with `??` (DAP: `presentationHint:
 * 'invalid'`). Any other failure is an error response, never a listing that looks like data.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { GdbCommandError } from '../gdb/errors';
import type { DisassembledInstruction } from '../gdb/mi/data';

/** x86's longest instruction (Intel SDM Vol. 2A §2.3.11). */
export const MAX_INSN = 15;

/** Lists `[start, end)`; rejects with gdb's error (see {@link disassemble} in adapter/gdb/mi/data.ts). */
export type Lister = (start: bigint, end: bigint) => Promise<DisassembledInstruction[]>;

/** A listing and the index of the instruction at the target address in it (-1: the target is unreadable). */
export interface Window {
  readonly listing: readonly DisassembledInstruction[];
  readonly at: number;
}

/** The address gdb could not read, from "Cannot access memory at address 0x…", or undefined for other errors. */
export function unreadableAddress(error: unknown): bigint | undefined {
  if (!(error instanceof GdbCommandError)) return undefined;
  const m = /Cannot access memory at address (0x[0-9a-f]+)/i.exec(error.gdbMessage);
  return m?.[1] === undefined ? undefined : BigInt(m[1]);
}

/**
 * Lists as much of `[start, end)` as can be read from `start` on: where gdb stops at an unreadable
 * address, the range is cut before it (an instruction may straddle it, so up to one more cut). Resolves
 * to `[]` when `start` itself is unreadable; rejects with any other error.
 */
export async function listReadable(
  list: Lister,
  start: bigint,
  end: bigint,
): Promise<DisassembledInstruction[]> {
  let stop = end;
  for (let attempt = 0; attempt < 3 && stop > start; attempt++) {
    try {
      return await list(start, stop);
    } catch (error) {
      const bad = unreadableAddress(error);
      if (bad === undefined) throw error;
      if (bad <= start) return [];
      // Cut before the unreadable byte; the second time, also before an instruction that reaches it.
      stop = attempt === 0 ? bad : bad - BigInt(MAX_INSN);
    }
  }
  return [];
}

/**
 * Bytes per instruction a listing is first sized by: x86-64 kernel code averages about 4 (6015 bytes of the
 * lab's vmlinux around native_safe_halt hold 1483 instructions), and gdb's cost is per instruction listed
 * (disassembly, symbols, source lines), so a listing sized at {@link MAX_INSN} a row costs about 3.5 times
 * what the rows need. A listing that comes out short is extended at {@link MAX_INSN} a row, which always
 * suffices.
 */
export const GUESS_INSN = 6;

/**
 * At least `count` instructions from `from` on (`from` first), fewer only where memory becomes unreadable:
 * one listing sized at {@link GUESS_INSN} a row, then, while short, one from the end of its last instruction.
 */
export async function listForward(
  list: Lister,
  from: bigint,
  count: number,
): Promise<DisassembledInstruction[]> {
  const out: DisassembledInstruction[] = [];
  let next = from;
  for (let attempt = 0; attempt < 3 && out.length < count; attempt++) {
    const rows = count - out.length;
    const size = BigInt(rows * (attempt === 0 ? GUESS_INSN : MAX_INSN) + MAX_INSN);
    const chunk = await listReadable(list, next, next + size);
    const last = chunk[chunk.length - 1];
    if (last === undefined) break;
    out.push(...chunk);
    next = last.address + BigInt(lengthOf(last));
  }
  return out;
}

/**
 * The instructions before `target` of a listing from `back` bytes below it that decodes in step with it,
 * or undefined. x86 code has no marks between instructions: starts are tried one byte later each time
 * (decoding falls into step within a few instructions, so the first start almost always works); below
 * memory that cannot be read, from the target's page, the nearest start known to be mapped.
 */
async function listBefore(
  list: Lister,
  target: bigint,
  back: number,
): Promise<DisassembledInstruction[] | undefined> {
  for (let slack = 0; slack < Math.min(MAX_INSN, back); slack++) {
    const start = target - BigInt(back - slack);
    const listing = await listReadable(list, start, target + 1n);
    const at = listing.findIndex((i) => i.address === target);
    if (at >= 0) return listing.slice(0, at);
    if (listing.length === 0) {
      const page = target & ~0xfffn;
      if (page <= start || page >= target) return undefined;
      const from = await listReadable(list, page, target + 1n);
      const inPage = from.findIndex((i) => i.address === target);
      return inPage >= 0 ? from.slice(0, inPage) : undefined;
    }
  }
  return undefined;
}

/**
 * `count` instructions before `target` if they can be read (fewer when memory below cannot be), or
 * undefined: sized at {@link GUESS_INSN} a row, and again at {@link MAX_INSN} a row when that is short.
 */
async function listBackward(
  list: Lister,
  target: bigint,
  count: number,
): Promise<DisassembledInstruction[] | undefined> {
  const guess = await listBefore(list, target, count * GUESS_INSN);
  if (guess !== undefined && guess.length >= count) return guess;
  const wide = await listBefore(list, target, count * MAX_INSN);
  return (wide?.length ?? -1) > (guess?.length ?? -1) ? wide : guess;
}

/**
 * Finds a listing holding `before` instructions before `target` and `after` from it (target included):
 * forward from the target ({@link listForward}), and backward to it ({@link listBackward}); when no
 * start below decodes in step with the target, the listing starts at the target.
 */
export async function findWindow(
  list: Lister,
  target: bigint,
  before: number,
  after: number,
): Promise<Window> {
  const forward = await listForward(list, target, Math.max(after, 1));
  if (forward[0]?.address !== target) return { listing: [], at: -1 };
  const backward = before > 0 ? await listBackward(list, target, before) : undefined;
  if (backward === undefined) return { listing: forward, at: 0 };
  return { listing: [...backward, ...forward], at: backward.length };
}

/** Byte length of an instruction from gdb's `opcodes` ("0f 01 d9"); 1 when gdb gave none. */
function lengthOf(insn: DisassembledInstruction): number {
  const bytes = insn.opcodes.trim();
  return bytes === '' ? 1 : bytes.split(/\s+/).length;
}

function invalid(address: bigint): DebugProtocol.DisassembledInstruction {
  return {
    address: `0x${BigInt.asUintN(64, address).toString(16)}`,
    instruction: '??',
    presentationHint: 'invalid',
  };
}

/** Where an instruction's source is shown: the Source DAP object for gdb's file names, if found. */
export type ToSource = (
  file: string | undefined,
  fullname: string | undefined,
) => DebugProtocol.Source | undefined;

/**
 * The DAP rows `first .. first + count` of a window, counted in instructions from the target (negative:
 * before it). Rows outside what could be read are `??`, one byte each, so that their addresses stay
 * ordered and distinct; the source location is given where the line changes.
 */
export function rowsOf(
  window: Window,
  target: bigint,
  first: number,
  count: number,
  toSource: ToSource,
): DebugProtocol.DisassembledInstruction[] {
  const { listing, at } = window;
  const out: DebugProtocol.DisassembledInstruction[] = [];
  const firstInsn = listing[0];
  const lastInsn = listing[listing.length - 1];
  let lastLine: string | undefined;
  for (let row = first; row < first + count; row++) {
    const i = at < 0 ? -1 : at + row;
    const insn = at < 0 ? undefined : listing[i];
    if (insn === undefined) {
      if (at < 0 || firstInsn === undefined || lastInsn === undefined)
        out.push(invalid(target + BigInt(row)));
      else if (i < 0) out.push(invalid(firstInsn.address + BigInt(i)));
      else out.push(invalid(lastInsn.address + BigInt(lengthOf(lastInsn) + i - listing.length)));
      lastLine = undefined;
      continue;
    }
    const item: DebugProtocol.DisassembledInstruction = {
      address: `0x${insn.address.toString(16)}`,
      instruction: insn.text,
      instructionBytes: insn.opcodes,
    };
    if (insn.func !== undefined) item.symbol = `${insn.func}+${insn.offset ?? 0}`;
    const lineKey = `${insn.fullname ?? insn.file ?? ''}:${insn.line ?? ''}`;
    if (insn.line !== undefined && lineKey !== lastLine) {
      const source = toSource(insn.file, insn.fullname);
      if (source !== undefined) item.location = source;
      item.line = insn.line;
    }
    lastLine = lineKey;
    out.push(item);
  }
  return out;
}

/** Answers a DAP `disassemble` request for the instructions around `target`. */
export async function disassembleAround(
  list: Lister,
  target: bigint,
  instructionOffset: number,
  count: number,
  toSource: ToSource,
): Promise<DebugProtocol.DisassembledInstruction[]> {
  if (count <= 0) return [];
  const before = Math.max(0, -instructionOffset);
  const after = Math.max(0, instructionOffset + count);
  const window = await findWindow(list, target, before, after);
  return rowsOf(window, target, instructionOffset, count, toSource);
}
