/** Registers, memory and disassembly (GDB manual, "GDB/MI Data Manipulation"). */
import type { GdbBackend } from '../backend';
import { optString, quoteMI, reqString, stringList, tupleList } from '../miValues';

/** Register names indexed by gdb's register number; pseudo or absent numbers are empty strings. */
export async function registerNames(gdb: GdbBackend): Promise<string[]> {
  return stringList(await gdb.mi('-data-list-register-names'), 'register-names');
}

/**
 * Raw register values of a frame, in hex (`x` format), keyed by register number. Registers the stub does
 * not provide are skipped. Vector registers come back as gdb's union text.
 */
export async function registerValues(
  gdb: GdbBackend,
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
  gdb: GdbBackend,
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
export async function readMemory(gdb: GdbBackend, address: bigint, count: number): Promise<Buffer> {
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

export async function writeMemory(gdb: GdbBackend, address: bigint, data: Uint8Array): Promise<void> {
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

/** Disassembles `[start, end)` with source lines and raw bytes (`-data-disassemble` mode 5). */
export async function disassemble(
  gdb: GdbBackend,
  start: bigint,
  end: bigint,
): Promise<DisassembledInstruction[]> {
  const result = await gdb.mi(`-data-disassemble -s 0x${start.toString(16)} -e 0x${end.toString(16)} -- 5`);
  const out: DisassembledInstruction[] = [];
  for (const item of tupleList(result, 'asm_insns')) {
    const lineText = optString(item, 'line');
    const source = lineText === undefined ? undefined : item;
    const insns = source === undefined ? [item] : tupleList(item, 'line_asm_insn');
    for (const insn of insns) {
      const offset = optString(insn, 'offset');
      out.push({
        address: BigInt(reqString(insn, 'address')),
        func: optString(insn, 'func-name'),
        offset: offset === undefined ? undefined : Number.parseInt(offset, 10),
        text: reqString(insn, 'inst'),
        opcodes: optString(insn, 'opcodes') ?? '',
        file: source === undefined ? undefined : optString(source, 'file'),
        fullname: source === undefined ? undefined : optString(source, 'fullname'),
        line: lineText === undefined ? undefined : Number.parseInt(lineText, 10),
      });
    }
  }
  return out;
}
