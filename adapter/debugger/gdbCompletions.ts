/**
 * gdb's `-complete` answers turned into completions of a console line (pure). gdb answers whole command
 * lines (`info registers`, `print init_task.comm`); each becomes the word it completes, replacing the
 * partial word at the cursor.
 */
import type { CompletionType, LineCompletion } from './hvCompletions';

/** gdb commands whose arguments are expressions or locations: the words completed there are symbols. */
const SYMBOL_COMMANDS = new Set([
  'print',
  'p',
  'inspect',
  'output',
  'call',
  'ptype',
  'whatis',
  'explore',
  'x',
  'display',
  'break',
  'b',
  'tbreak',
  'hbreak',
  'thbreak',
  'rbreak',
  'until',
  'advance',
  'jump',
  'list',
  'l',
  'watch',
  'rwatch',
  'awatch',
  'disassemble',
]);

/**
 * gdb's one- and two-letter aliases, which `-complete ""` does not list (it lists `bt`, not `p`): a line
 * starting with one of these is a gdb command, not an expression.
 */
export const GDB_SHORT_ALIASES: readonly string[] = [
  'b',
  'c',
  'd',
  'f',
  'i',
  'j',
  'k',
  'l',
  'n',
  'p',
  'q',
  'r',
  's',
  'u',
  'ni',
  'si',
  'tb',
  'hb',
  'fin',
  'disas',
];

/** The first whitespace-separated word of a line. */
export function firstWord(line: string): string {
  return /^\s*(\S*)/.exec(line)?.[1] ?? '';
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Where the word being completed starts in `sent`: a whole command-like word (`add-symbol-f`, `init_ta`),
 * else the identifier at the end (`comm` in `init_task.comm`, `pi` in `init_task->pi`).
 */
function completedWordStart(sent: string): number {
  const spaced = sent.search(/\S*$/);
  if (/^[\w$-]*$/.test(sent.slice(spaced))) return spaced;
  return sent.length - (/[\w$]*$/.exec(sent)?.[0].length ?? 0);
}

/**
 * The completions of the line whose text before the cursor is `sent.slice(prefix.length)`, from gdb's
 * `matches` for `sent`. `prefix` is what was put in front of the line to make gdb complete it as an
 * expression (`print `); matches outside the line are dropped. `expression`: the words are symbols.
 */
export function gdbLineCompletions(
  sent: string,
  matches: readonly string[],
  options: { prefix?: string; expression?: boolean } = {},
): LineCompletion[] {
  const offset = options.prefix?.length ?? 0;
  const wordAt = completedWordStart(sent);
  const head = sent.slice(0, wordAt);
  const command = firstWord(sent);
  const inArguments = wordAt > sent.indexOf(command) + command.length;
  const symbols = options.expression === true || (inArguments && SYMBOL_COMMANDS.has(command));
  const seen = new Set<string>();
  const items: LineCompletion[] = [];
  for (const match of matches) {
    const start = match.startsWith(head) ? wordAt : commonPrefixLength(match, sent);
    if (start < offset) continue;
    const text = match.slice(start);
    const key = `${start}:${text}`;
    if (text === '' || seen.has(key)) continue;
    seen.add(key);
    const type: CompletionType = /[./]/.test(text) ? 'file' : symbols ? 'variable' : 'keyword';
    items.push({ label: text, type, start: start - offset, length: sent.length - start });
  }
  return items;
}

/** gdb's standard register aliases (GDB manual, "Registers"), valid on every target. */
const STANDARD_REGISTERS = ['pc', 'sp', 'fp', 'ps'];

/**
 * Register names for a `$name` being typed (`print $ri` → `$rip`), or undefined when the word at the
 * end of `before` is not one. gdb 13 completes `$ri` with symbols instead (`$ring_ops`: a void
 * convenience variable), so registers are offered from `-data-list-register-names`.
 */
export function registerCompletions(before: string, names: readonly string[]): LineCompletion[] | undefined {
  const m = /\$\w*$/.exec(before);
  if (m === null) return undefined;
  const partial = m[0].slice(1).toLowerCase();
  const unique = [...new Set([...names.filter((n) => n !== ''), ...STANDARD_REGISTERS])];
  return unique
    .filter((n) => n.toLowerCase().startsWith(partial))
    .map((n) => ({
      label: `$${n}`,
      type: 'variable',
      detail: 'register',
      start: m.index,
      length: m[0].length,
    }));
}
