/**
 * gdb's CLI through MI (`-interpreter-exec console`), for what has no MI command: lines the user types
 * in the Debug Console, `info line`, `info symbol`, `maint` commands, QEMU's monitor. The output text is
 * what gdb printed; the typed families of this folder build their lines here.
 */
import type { GdbBackend } from '../backend';

/** The part of the backend a CLI command needs. */
export type CliPort = Pick<GdbBackend, 'console'>;

/** Runs one CLI line; resolves with what gdb printed. Rejects with GdbCommandError when gdb refuses it. */
export function cli(gdb: CliPort, line: string, timeoutMs?: number): Promise<string> {
  return gdb.console(line, timeoutMs);
}

/** A monitor command of the stub (`qRcmd`: QEMU's HMP, e.g. `info registers`); resolves with its text. */
export function monitor(gdb: CliPort, command: string, timeoutMs?: number): Promise<string> {
  return gdb.console(`monitor ${command}`, timeoutMs);
}

/** `maint packet PACKET`: one raw RSP request through gdb's own connection (gdb prints the reply). */
export function maintPacket(gdb: CliPort, packet: string, timeoutMs?: number): Promise<string> {
  return gdb.console(`maint packet ${packet}`, timeoutMs);
}

/** `maint info sections NAME`: gdb's view of an objfile's sections (file offsets and addresses). */
export function maintInfoSections(gdb: CliPort, name: string, timeoutMs?: number): Promise<string> {
  return gdb.console(`maint info sections ${name}`, timeoutMs);
}
