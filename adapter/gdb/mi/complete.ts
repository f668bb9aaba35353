/** Command-line completion (GDB manual, "GDB/MI Miscellaneous Commands", `-complete`). */
import type { GdbBackend } from '../backend';
import { optString, quoteMI, stringList } from '../miValues';

export interface GdbCompletion {
  /** The common prefix of every match, when gdb gives one. */
  readonly completion: string | undefined;
  /** Whole command lines, each `command` with one word completed: `info registers`, `print init_task`. */
  readonly matches: readonly string[];
  /** gdb stopped at `max-completions` (200 by default): the list is partial. */
  readonly maxReached: boolean;
}

export interface CompleteOptions {
  /** The frame whose scope names are completed in (locals, arguments). */
  readonly threadId?: number;
  readonly level?: number;
  readonly timeoutMs?: number;
}

/**
 * What gdb's CLI would offer at the end of `command` (as TAB at a `(gdb)` prompt). It completes CLI
 * command lines: `info reg` gives `info registers`, `print init_ta` gives `print init_task`, but a bare
 * expression such as `init_ta` is read as a command name and gives nothing.
 */
export async function complete(
  gdb: GdbBackend,
  command: string,
  options: CompleteOptions = {},
): Promise<GdbCompletion> {
  const where =
    options.threadId === undefined ? '' : `--thread ${options.threadId} --frame ${options.level ?? 0} `;
  const result = await gdb.mi(`-complete ${where}${quoteMI(command)}`, options.timeoutMs);
  return {
    completion: optString(result, 'completion'),
    matches: stringList(result, 'matches'),
    maxReached: optString(result, 'max_completions_reached') === '1',
  };
}
