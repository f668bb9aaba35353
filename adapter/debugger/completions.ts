/**
 * Debug Console completion (DAP `completions`): `hv` lines from the commands' own completers
 * (adapter/debugger/hvCompletions.ts), anything else from gdb's `-complete`, as cdt-gdb-adapter does.
 * gdb completes CLI lines (`info reg` → `info registers`); a bare expression (`init_ta`) is completed as
 * `print init_ta` with `print ` taken off again. Completion never fails: a busy gdb, a running guest or
 * any error gives fewer items, never an error the client would show.
 */
import type { GdbBackend } from '../gdb/backend';
import { complete, type CompleteOptions, type GdbCompletion } from '../gdb/mi/complete';
import type { ConsoleService } from './console';
import type { FrameRef } from './frames';
import { registerNames } from '../gdb/mi/data';
import { GDB_SHORT_ALIASES, firstWord, gdbLineCompletions, registerCompletions } from './gdbCompletions';
import type { LineCompletion } from './hvCompletions';

/** How long a completion waits for gdb (ms): a user is typing. */
const GDB_TIMEOUT_MS = 3000;
/**
 * The most a whole completion takes (ms), whatever gdb does: a list later than this is one nobody waits
 * for (gdb completing `print "` lists every source file name: seconds on a loaded machine).
 */
const BUDGET_MS = 2000;
/** What makes gdb complete the line as an expression. */
const EXPRESSION_PREFIX = 'print ';
const NOTHING: GdbCompletion = { completion: undefined, matches: [], maxReached: false };

/** `promise`, or `fallback` once `ms` have passed (a busy gdb answers later, to nobody). */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export class CompletionService {
  private commands: Promise<ReadonlySet<string>> | undefined;
  private registers: Promise<readonly string[]> | undefined;

  constructor(
    private readonly gdb: GdbBackend,
    private readonly console: ConsoleService,
    /** Whether the guest is stopped (a frame can then scope the completion). */
    private readonly stopped: () => boolean,
  ) {}

  /** The completions at `column` (0-based) of line `line` (0-based) of `text`, within {@link BUDGET_MS}. */
  complete(
    text: string,
    line: number,
    column: number,
    frame: FrameRef | undefined,
  ): Promise<LineCompletion[]> {
    return within(this.completeNow(text, line, column, frame), BUDGET_MS, []);
  }

  private async completeNow(
    text: string,
    line: number,
    column: number,
    frame: FrameRef | undefined,
  ): Promise<LineCompletion[]> {
    try {
      const lineText = text.split(/\r?\n/)[line] ?? '';
      const cursor = Math.max(0, Math.min(column, lineText.length));
      // A completer reading the guest (hv pt's roots) waits for gdb too.
      const hv = await within(this.console.complete(lineText, cursor), 2 * GDB_TIMEOUT_MS, {
        exclusive: /^\s*hv\s/.test(lineText),
        items: [],
      });
      if (hv.exclusive) return [...hv.items];
      const gdb = await within(this.fromGdb(lineText.slice(0, cursor), frame), 2 * GDB_TIMEOUT_MS, []);
      const unique = new Map<string, LineCompletion>();
      for (const c of [...hv.items, ...gdb]) unique.set(`${c.start}:${c.length}:${c.text ?? c.label}`, c);
      return [...unique.values()];
    } catch {
      return [];
    }
  }

  private async fromGdb(before: string, frame: FrameRef | undefined): Promise<LineCompletion[]> {
    if (before.trim() === '') return [];
    const registers = registerCompletions(before, /\$\w*$/.test(before) ? await this.registerNames() : []);
    if (registers !== undefined) return registers;
    const options: CompleteOptions = {
      timeoutMs: GDB_TIMEOUT_MS,
      ...(frame !== undefined && this.stopped() ? { threadId: frame.threadId, level: frame.level } : {}),
    };
    // After a space nothing is typed yet: a list gdb had to cut (every symbol) helps nobody.
    const afterSpace = /\s$/.test(before);
    const ask = (sent: string): Promise<GdbCompletion> =>
      complete(this.gdb, sent, options)
        .then((r) => (afterSpace && r.maxReached ? NOTHING : r))
        .catch(() => NOTHING);
    const word = firstWord(before);
    const oneWord = !/\S\s/.test(before.trimStart());
    const isCommand = (await this.gdbCommands()).has(word);
    const items: LineCompletion[] = [];
    if (oneWord || isCommand) items.push(...gdbLineCompletions(before, (await ask(before)).matches));
    if (!isCommand && !afterSpace) {
      const sent = EXPRESSION_PREFIX + before;
      const { matches } = await ask(sent);
      items.push(...gdbLineCompletions(sent, matches, { prefix: EXPRESSION_PREFIX, expression: true }));
    }
    return items;
  }

  /** The target's register names; learned once (they do not change within a session). */
  private registerNames(): Promise<readonly string[]> {
    this.registers ??= registerNames(this.gdb).catch(() => {
      this.registers = undefined;
      return [];
    });
    return this.registers;
  }

  /** gdb's command names (what `-complete ""` lists) and its short aliases; learned once. */
  private gdbCommands(): Promise<ReadonlySet<string>> {
    this.commands ??= complete(this.gdb, '', { timeoutMs: GDB_TIMEOUT_MS }).then(
      (r) => new Set([...r.matches, ...GDB_SHORT_ALIASES]),
      () => {
        this.commands = undefined;
        return new Set(GDB_SHORT_ALIASES);
      },
    );
    return this.commands;
  }
}
