/** Registers, memory and disassembly (GDB manual, "GDB/MI Data Manipulation"). */
import type { MiPort } from '../backend';
import { optString, quoteMI, reqString, stringList, tupleList, type MITuple } from '../miValues';

/** Register names indexed by gdb's register number; pseudo or absent numbers are empty strings. */
export async function registerNames(gdb: MiPort): Promise<string[]> {
  return stringList(await gdb.mi('-data-list-register-names'), 'register-names');
}

/**
 * Raw register values of a frame, in hex (`x` format), keyed by register number. Registers the stub does
 * not provide are skipped. Vector registers come back as gdb's union text.
 */
export async function registerValues(
  gdb: MiPort,
  threadId: number,
  level: number,
  numbers?: readonly number[],
): Promise<Map<number, string>> {
  const which = numbers === undefined ? '' : ` ${numbers.join(' ')}`;
  const result = await gdb.mi(
    `-data-list-register-values --thread ${threadId} --frame ${level} --skip-unavailable x${which}`,
  );
  const values = new Map<number, string>();
  for (const entry of tupleList(result, 'register-values')) {
    values.set(Number.parseInt(reqString(entry, 'number'), 10), reqString(entry, 'value'));
  }
  return values;
}

/** Evaluates a gdb expression in a frame; rejects with gdb's message (e.g. "No symbol \"x\" in current context."). */
export async function evaluate(
  gdb: MiPort,
  expression: string,
  threadId?: number,
  level?: number,
): Promise<string> {
  const where = threadId === undefined ? '' : ` --thread ${threadId} --frame ${level ?? 0}`;
  const result = await gdb.mi(`-data-evaluate-expression${where} ${quoteMI(expression)}`);
  return reqString(result, 'value');
}

/**
 * Reads `count` bytes of guest virtual memory at `address`. Unreadable parts are left out of the result:
 * the returned buffer holds the bytes from `address` up to the first unreadable byte.
 */
export async function readMemory(gdb: MiPort, address: bigint, count: number): Promise<Buffer> {
  const result = await gdb.mi(`-data-read-memory-bytes 0x${address.toString(16)} ${count}`);
  const chunks: Buffer[] = [];
  let next = address;
  for (const block of tupleList(result, 'memory')) {
    const begin = BigInt(reqString(block, 'begin'));
    if (begin !== next) break;
    const bytes = Buffer.from(reqString(block, 'contents'), 'hex');
    chunks.push(bytes);
    next = begin + BigInt(bytes.length);
  }
  return Buffer.concat(chunks);
}

export async function writeMemory(gdb: MiPort, address: bigint, data: Uint8Array): Promise<void> {
  await gdb.mi(`-data-write-memory-bytes 0x${address.toString(16)} ${Buffer.from(data).toString('hex')}`);
}

export interface DisassembledInstruction {
  readonly address: bigint;
  readonly func: string | undefined;
  readonly offset: number | undefined;
  readonly text: string;
  readonly opcodes: string;
  readonly file: string | undefined;
  readonly fullname: string | undefined;
  readonly line: number | undefined;
}

/**
 * Disassembles `[start, end)` with source lines and raw bytes (`-data-disassemble` mode 5).
 *
 * gdb 13 answers mode 5 with `asm_insns=[src_and_asm_line={line=…,file=…,line_asm_insn=[…]},…]` (a list of
 * results) where the range has line information, and with bare instruction tuples where the objfile has
 * none (mode 2's shape). A `src_and_asm_line` may lack `line`/`file` (the `int3` padding between kernel
 * functions) and may hold no instruction (source lines with no code of their own). Rejects with
 * {@link GdbCommandError} when gdb cannot read the memory ("Cannot access memory at address 0x…").
 */
export async function disassemble(
  gdb: MiPort,
  start: bigint,
  end: bigint,
): Promise<DisassembledInstruction[]> {
  const result = await gdb.mi(`-data-disassemble -s 0x${start.toString(16)} -e 0x${end.toString(16)} -- 5`);
  return parseDisassembly(result);
}

/** The instructions of a `-data-disassemble` mode 2 or 5 result, in address order. */
export function parseDisassembly(result: MITuple): DisassembledInstruction[] {
  const out: DisassembledInstruction[] = [];
  for (const item of tupleList(result, 'asm_insns')) {
    // A source-line group, with or without its line; else one instruction (no line information).
    const group = item['line_asm_insn'] !== undefined;
    const lineText = group ? optString(item, 'line') : undefined;
    const line = lineText === undefined ? undefined : Number.parseInt(lineText, 10);
    const file = group && line !== undefined ? optString(item, 'file') : undefined;
    const fullname = group && line !== undefined ? optString(item, 'fullname') : undefined;
    for (const insn of group ? tupleList(item, 'line_asm_insn') : [item]) {
      const offset = optString(insn, 'offset');
      out.push({
        address: BigInt(reqString(insn, 'address')),
        func: optString(insn, 'func-name'),
        offset: offset === undefined ? undefined : Number.parseInt(offset, 10),
        text: reqString(insn, 'inst'),
        opcodes: optString(insn, 'opcodes') ?? '',
        file,
        fullname,
        line,
      });
    }
  }
  return out;
}
