/**
 * What may go to gdb and what may come back to gdb-js: one command a line, none of the commands gdb 13
 * aborts on while the target runs, and no result line gdb-js's parser would throw on.
 */
import { parseMIRecord } from './gdbjs';
import { quoteMI } from './miValues';

/**
 * An MI command is one line: gdb would run what follows a newline as a command of its own (`-gdb-exit`).
 * Arguments are quoted (quoteMI) or checked where requests enter; this catches what slipped through, as
 * hvdbg's own bug, before gdb sees it.
 */
export const RUNNING_MESSAGE =
  'Cannot execute this command while the target is running.\nUse the "interrupt" command to stop the target\nand then try again.';

export function oneLine(command: string): void {
  if (/[\r\n]/.test(command))
    throw new Error(
      `an MI command with a line break was not sent to gdb: ${JSON.stringify(command.slice(0, 200))}`,
    );
}

/**
 * Commands gdb 13 cannot run while the target runs: its disassembler reads memory, the remote target
 * throws where nothing catches, and gdb aborts ("terminate called after throwing an instance of
 * 'gdb_exception_error'"), taking the session with it. gdb refuses the other commands cleanly ("Cannot
 * execute this command while the target is running"); these are refused here the same way: `-data-
 * disassemble`, and the console's `x/…i`, `display/…i` and `disassemble` (a Debug Console line).
 */
export const ABORTS_WHILE_RUNNING =
  /^-data-disassemble\b|^-interpreter-exec console "\s*(x|display)\s*\/\s*\d*[a-z]*i|^-interpreter-exec console "\s*disas/;

/**
 * `line`, or what gdb-js can read in its place. gdb-js's parser throws on a malformed line, out of its
 * stream and out of the adapter (the process exits): gdb 13 does not escape the `"` of a completion
 * (`-complete "print \""` answers `completion="print ""`), which a user typing `p "` in the Debug Console
 * asks for. Such a result becomes an `^error` (its command fails, gdb-js's queue stays in step with
 * gdb); any other unreadable line is dropped.
 */
export function readableByGdbJs(line: string): string | undefined {
  try {
    parseMIRecord(line);
    return line;
  } catch {
    const result = /^(\d*)\^/.exec(line);
    if (result === null) return undefined;
    const shown = line.length > 200 ? `${line.slice(0, 200)}...` : line;
    return `${result[1] ?? ''}^error,msg=${quoteMI(`gdb answered with a line hvdbg cannot read: ${shown}`)}`;
  }
}
