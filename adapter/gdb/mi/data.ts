/** Registers, memory and disassembly (GDB manual, "GDB/MI Data Manipulation"). */
import type { MiPort } from '../backend';
import { GdbCommandError } from '../errors';
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

/** One instruction of a listing; `file`/`fullname`/`line` are gdb's line for its address, if it has one. */
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

/** Where gdb puts an address: the symtab (`file` as gdb shows it, `fullname` resolved) and line. */
export interface SourceLine {
  readonly file: string;
  readonly fullname: string | undefined;
  readonly line: number;
}

/**
 * Disassembles `[start, end)` with raw bytes (`-data-disassemble` mode 2, `address`, `func-name`, `offset`,
 * `opcodes`, `inst` per instruction) and gives every instruction gdb's own line for its address
 * ({@link sourceLines}: what `info line *ADDR` says). Rejects with {@link GdbCommandError} when gdb cannot
 * read the memory ("Cannot access memory at address 0x…").
 *
 * Not mode 5 (/s), whose lines are wrong in gdb 13. It walks the range from its start in groups, each
 * running from an address to the `end` `find_pc_line` gives it, and appends a group to the previous one
 * when their lines are equal. That `end` is the nearest next entry of only the unit's files looked at once
 * a candidate entry is found (files looked at before are skipped), else the end of the unit: in the lab's
 * vmlinux, `info line *0xffffffff81a179e2` (preempt.h:61, the last entry of its file in cstate.c's unit)
 * "ends at 0xffffffff832a592f <exit_amd_microcode>", so a walk that meets it (from the function's start as
 * well as from the PC − 150) files every later instruction of the range under preempt.h:61, across three
 * functions; a walk from 0xffffffff81a179f0 does not meet it and is right. The first address of a range
 * always gets its own line ({@link lineByDisassembly}).
 */
export async function disassemble(
  gdb: MiPort,
  start: bigint,
  end: bigint,
): Promise<DisassembledInstruction[]> {
  const result = await gdb.mi(`-data-disassemble -s ${hex(start)} -e ${hex(end)} -- 2`);
  const listing = parseDisassembly(result);
  const lines = await sourceLines(
    gdb,
    listing.map((insn) => insn.address),
  );
  return listing.map((insn, i) => {
    const at = lines[i];
    return { ...insn, file: at?.file, fullname: at?.fullname, line: at?.line };
  });
}

/** The instructions of a `-data-disassemble` mode 2, 4 or 5 result, in address order. */
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

function hex(address: bigint): string {
  return `0x${address.toString(16)}`;
}

/** The MI command hvdbg defines in gdb's Python (GDB 13's `gdb.MICommand`) to ask for many lines at once. */
export const LINES_COMMAND = '-hvdbg-source-lines';

/** Addresses per {@link LINES_COMMAND} (about 20 characters each on the command line). */
const LINES_PER_COMMAND = 256;

/**
 * {@link LINES_COMMAND} `ADDR…` answers `^done,lines=[{address,line,file,fullname},…]`, one tuple per
 * address, without `line`/`file`/`fullname` where gdb has no line: `gdb.find_pc_line` is the
 * `find_pc_line (pc, 0)` behind `info line *ADDR`, and `symtab.filename`/`fullname()` are the `file`/
 * `fullname` that MI's own source fields give.
 */
const LINES_PYTHON = [
  'import gdb',
  'class HvdbgSourceLines(gdb.MICommand):',
  '    def invoke(self, argv):',
  '        rows = []',
  '        for text in argv:',
  '            sal = gdb.find_pc_line(int(text, 0))',
  '            row = {"address": text}',
  '            if sal.symtab is not None and sal.line > 0:',
  '                row["line"] = str(sal.line)',
  '                row["file"] = sal.symtab.filename',
  '                row["fullname"] = sal.symtab.fullname()',
  '            rows.append(row)',
  '        return {"lines": rows}',
  `HvdbgSourceLines("${LINES_COMMAND}")`,
].join('\n');

/** The console command that defines {@link LINES_COMMAND} (a JSON string is a Python string literal). */
export const DEFINE_LINES_COMMAND = `-interpreter-exec console ${quoteMI(`python exec(${JSON.stringify(LINES_PYTHON)})`)}`;

/**
 * gdb's line for each address (undefined: none), in the order given. Asks {@link LINES_COMMAND}, defining
 * it on first use; a gdb that cannot (no Python, or older than GDB 13) is asked one address at a time
 * instead ({@link lineByDisassembly}), which gives the same lines, a command each.
 */
export async function sourceLines(
  gdb: MiPort,
  addresses: readonly bigint[],
): Promise<(SourceLine | undefined)[]> {
  const out: (SourceLine | undefined)[] = [];
  let python = true;
  for (let i = 0; i < addresses.length; i += LINES_PER_COMMAND) {
    const chunk = addresses.slice(i, i + LINES_PER_COMMAND);
    const lines = python ? await linesByPython(gdb, chunk) : undefined;
    if (lines !== undefined) {
      out.push(...lines);
      continue;
    }
    python = false;
    for (const address of chunk) out.push(await lineByDisassembly(gdb, address));
  }
  return out;
}

/** {@link LINES_COMMAND} over `addresses`; undefined when gdb cannot define it. Other errors reject. */
async function linesByPython(
  gdb: MiPort,
  addresses: readonly bigint[],
): Promise<(SourceLine | undefined)[] | undefined> {
  const command = `${LINES_COMMAND} ${addresses.map(hex).join(' ')}`;
  try {
    return parseSourceLines(await gdb.mi(command), addresses);
  } catch (error) {
    if (!(error instanceof GdbCommandError) || !/^Undefined MI command/.test(error.gdbMessage)) throw error;
  }
  try {
    await gdb.mi(DEFINE_LINES_COMMAND);
  } catch (error) {
    // "Python scripting is not supported in this copy of GDB.", or a Python error (no gdb.MICommand).
    if (error instanceof GdbCommandError) return undefined;
    throw error;
  }
  return parseSourceLines(await gdb.mi(command), addresses);
}

/** The `lines` of a {@link LINES_COMMAND} answer, in the order of `addresses`. */
export function parseSourceLines(result: MITuple, addresses: readonly bigint[]): (SourceLine | undefined)[] {
  const byAddress = new Map<bigint, SourceLine>();
  for (const row of tupleList(result, 'lines')) {
    const line = optString(row, 'line');
    const file = optString(row, 'file');
    if (line === undefined || file === undefined) continue;
    byAddress.set(BigInt(reqString(row, 'address')), {
      file,
      fullname: optString(row, 'fullname'),
      line: Number.parseInt(line, 10),
    });
  }
  return addresses.map((address) => byAddress.get(address));
}

/**
 * gdb's line for one address, from mode 4 (/s, no bytes) over that instruction alone: the group of a
 * range's first address is `find_pc_line`'s line for it, whatever the group's `end` (see
 * {@link disassemble}). The answer may open with groups of source lines that have no instruction.
 */
export async function lineByDisassembly(gdb: MiPort, address: bigint): Promise<SourceLine | undefined> {
  const result = await gdb.mi(`-data-disassemble -s ${hex(address)} -e ${hex(address + 1n)} -- 4`);
  const insn = parseDisassembly(result).find((i) => i.address === address);
  return insn?.line === undefined || insn.file === undefined
    ? undefined
    : { file: insn.file, fullname: insn.fullname, line: insn.line };
}
