/**
 * The Debug Console. Lines starting with `hv ` are hvdbg's own commands (so what the views show is also
 * reachable from any DAP client and from scripts); anything else goes to gdb as a CLI command, so
 * `monitor info registers`, `info threads` or `x/4gx $rsp` work as they do at a `(gdb)` prompt.
 */
import type { GdbBackend } from '../gdb/backend';
import type { FrameRef } from './frames';
import { completeHvLine, type CompletableCommand, type HvLineCompletions } from './hvCompletions';
import { UserInputError } from './userInputError';
import { GdbCommandError } from '../gdb/errors';
import { cli } from '../gdb/mi/cli';
import { frameArguments } from '../gdb/mi/settings';
import { selectFrame } from '../gdb/mi/stack';
import { selectThread } from '../gdb/mi/threads';

/** One `hv` command; its optional `complete` offers its arguments in the Debug Console. */
export interface HvCommand extends CompletableCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(args: readonly string[], frame: FrameRef | undefined): Promise<string>;
}

export class ConsoleService {
  private readonly commands = new Map<string, HvCommand>();

  constructor(private readonly gdb: GdbBackend) {
    this.register({
      name: 'help',
      usage: 'hv help',
      summary: "lists hvdbg's console commands",
      run: () => Promise.resolve(this.help()),
    });
  }

  register(command: HvCommand): void {
    this.commands.set(command.name, command);
  }

  /** Completions of an `hv` line (the cursor at `cursor`, 0-based); see completeHvLine. */
  complete(line: string, cursor: number): Promise<HvLineCompletions> {
    return completeHvLine(this.commands, line, cursor);
  }

  help(): string {
    const rows = [...this.commands.values()].map((c) => `  ${c.usage.padEnd(28)} ${c.summary}`);
    return `hvdbg commands:\n${rows.join('\n')}\nAnything else is passed to gdb (e.g. monitor info registers).`;
  }

  /** Runs one console line and returns its output text. */
  async run(line: string, frame: FrameRef | undefined): Promise<string> {
    const trimmed = line.trim();
    if (trimmed === 'hv' || trimmed.startsWith('hv ')) {
      const [, name = 'help', ...args] = trimmed.split(/\s+/);
      const command = this.commands.get(name);
      if (command === undefined) throw new UserInputError(`unknown command 'hv ${name}'. ${this.help()}`);
      return command.run(args, frame);
    }
    if (frame !== undefined) {
      await selectThread(this.gdb, frame.threadId);
      await selectFrame(this.gdb, frame.level);
    }
    // What a user types at the console behaves as at a (gdb) prompt: `bt` and `frame` show arguments.
    await frameArguments(this.gdb, 'scalars');
    try {
      return await cli(this.gdb, trimmed);
    } catch (error) {
      // A bare expression (`init_task.comm`, `$cr3`) is evaluated, as VS Code users expect of a console.
      if (error instanceof GdbCommandError && /^Undefined command: "/.test(error.gdbMessage))
        return await cli(this.gdb, `print ${trimmed}`).catch(() => Promise.reject(error));
      throw error;
    } finally {
      await frameArguments(this.gdb, 'none');
    }
  }
}
