/**
 * Completion of `hv` console lines (pure): the command name after `hv `, then whatever the command's own
 * `complete` offers for the word being typed. Offsets are 0-based UTF-16 positions in the line; the DAP
 * session turns them into the client's columns.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';

export type CompletionType = DebugProtocol.CompletionItemType;

/** What a command offers for the word being typed; it replaces that whole (partial) word. */
export interface WordCompletion {
  readonly label: string;
  /** What is inserted, when it differs from `label`. */
  readonly text?: string;
  readonly type?: CompletionType;
  readonly detail?: string;
  readonly sortText?: string;
}

/** One completion of a console line: `length` characters at `start` (0-based) become `text ?? label`. */
export interface LineCompletion extends WordCompletion {
  readonly start: number;
  readonly length: number;
}

/** The part of `HvCommand` completion needs. */
export interface CompletableCommand {
  readonly name: string;
  readonly summary: string;
  /**
   * Candidates for `partial`, the word under the cursor, after the command's complete words `args`
   * (`hv break hypercall KI`: args `['hypercall']`, partial `KI`). Only the candidates that fit `partial`.
   */
  complete?(
    args: readonly string[],
    partial: string,
  ): readonly WordCompletion[] | Promise<readonly WordCompletion[]>;
}

export interface HvLineCompletions {
  /** The line is an `hv` line: gdb has nothing to add. */
  readonly exclusive: boolean;
  readonly items: readonly LineCompletion[];
}

const HV_KEYWORD: WordCompletion = { label: 'hv', type: 'keyword', detail: "hvdbg's own commands (hv help)" };

/** The candidates among `words` that start with `partial` (case-insensitively), as `type`. */
export function startingWith(
  partial: string,
  words: readonly (string | WordCompletion)[],
  type: CompletionType = 'keyword',
): WordCompletion[] {
  const lower = partial.toLowerCase();
  return words
    .map((w) => (typeof w === 'string' ? { label: w, type } : w))
    .filter((w) => (w.text ?? w.label).toLowerCase().startsWith(lower));
}

/** Where the word under the cursor starts (words are separated by whitespace). */
export function wordStart(before: string): number {
  return before.search(/\S*$/);
}

/**
 * The completions of `line` with the cursor at `cursor` (0-based). A line that is not an `hv` line gives
 * none, except `hv` itself while its first word is being typed (`h`): then gdb's commands are wanted too.
 * A command whose completer fails offers nothing.
 */
export async function completeHvLine(
  commands: ReadonlyMap<string, CompletableCommand>,
  line: string,
  cursor: number,
): Promise<HvLineCompletions> {
  const before = line.slice(0, Math.max(0, Math.min(cursor, line.length)));
  const start = wordStart(before);
  const partial = before.slice(start);
  const words = before
    .slice(0, start)
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  const at = (list: readonly WordCompletion[]): LineCompletion[] =>
    list.map((w) => ({ ...w, start, length: partial.length }));
  if (words.length === 0) {
    const hv = partial !== '' && 'hv'.startsWith(partial) ? [HV_KEYWORD] : [];
    return { exclusive: false, items: at(hv) };
  }
  if (words[0] !== 'hv') return { exclusive: false, items: [] };
  const name = words[1];
  if (name === undefined) {
    const names = [...commands.values()].map((c): WordCompletion => ({
      label: c.name,
      type: 'function',
      detail: c.summary,
    }));
    return { exclusive: true, items: at(startingWith(partial, names).sort(byLabel)) };
  }
  const command = commands.get(name);
  if (command?.complete === undefined) return { exclusive: true, items: [] };
  try {
    return { exclusive: true, items: at(await command.complete(words.slice(2), partial)) };
  } catch {
    return { exclusive: true, items: [] };
  }
}

function byLabel(a: WordCompletion, b: WordCompletion): number {
  return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
}
