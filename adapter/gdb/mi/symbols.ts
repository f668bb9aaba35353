/**
 * Symbol files and source paths (GDB manual, "GDB/MI File Commands" and "Commands to Specify Files"):
 * the program, modules added at their load addresses, the KASLR slide as a symbol-file offset, source
 * directories and path substitutions.
 */
import type { GdbPort } from '../backend';
import { cli } from './cli';
import { quoteCliPath, quoteMI } from '../miValues';

const hex = (value: bigint): string => `0x${BigInt.asUintN(64, value).toString(16)}`;

/** `-file-exec-and-symbols FILE`: the program whose symbols the session starts with. */
export async function loadProgram(gdb: GdbPort, file: string): Promise<void> {
  await gdb.mi(`-file-exec-and-symbols ${quoteMI(file)}`);
}

/**
 * `add-symbol-file FILE [TEXT] [-s SECTION ADDR]...`: an ELF file (a module) at its load addresses.
 * `text` and section addresses are given as the configuration or the guest has them (hex or decimal).
 */
export async function addSymbolFile(
  gdb: GdbPort,
  file: string,
  text: string | bigint | undefined,
  sections: Iterable<readonly [string, string | bigint]>,
): Promise<void> {
  const at = (v: string | bigint): string => (typeof v === 'bigint' ? hex(v) : v);
  let command = `add-symbol-file ${quoteCliPath(file)}`;
  if (text !== undefined) command += ` ${at(text)}`;
  for (const [name, address] of sections) command += ` -s ${name} ${at(address)}`;
  await cli(gdb, command);
}

/** `symbol-file -o OFFSET FILE`: the program's symbols again, moved by the KASLR slide. */
export async function reloadProgramAt(gdb: GdbPort, file: string, offset: bigint): Promise<void> {
  await cli(gdb, `symbol-file -o ${hex(offset)} ${quoteCliPath(file)}`);
}

/** `remove-symbol-file -a ADDR`: the symbol file whose text holds `address` (a module that moved or left). */
export async function removeSymbolFileAt(gdb: GdbPort, address: bigint): Promise<void> {
  await cli(gdb, `remove-symbol-file -a ${hex(address)}`);
}

/** `set substitute-path FROM TO`: the build directory DWARF names → a source tree here. */
export async function substitutePath(gdb: GdbPort, from: string, to: string): Promise<void> {
  await cli(gdb, `set substitute-path ${quoteCliPath(from)} ${quoteCliPath(to)}`);
}

/** `-environment-directory DIR`: one more directory to look for sources in. */
export async function addSourceDirectory(gdb: GdbPort, dir: string): Promise<void> {
  await gdb.mi(`-environment-directory ${quoteMI(dir)}`);
}
