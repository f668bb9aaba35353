/** File-name completion for console arguments that name a file (`hv exits FILE`). */
import { readdir } from 'node:fs/promises';
import type { WordCompletion } from './hvCompletions';

/** At most this many names: a directory of thousands helps nobody in a completion list. */
const MAX_NAMES = 200;

/**
 * The entries of `partial`'s directory whose names start with `partial`'s last part, as the whole
 * path (directories end with `/`). Only for what looks like a path (`/`, `./`, `../`); relative paths
 * are the adapter's (its working directory), as the command reads them.
 */
export async function completePath(partial: string): Promise<WordCompletion[]> {
  if (!/^(\/|\.\.?\/)/.test(partial)) return [];
  const slash = partial.lastIndexOf('/');
  const dir = partial.slice(0, slash + 1);
  const name = partial.slice(slash + 1);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.name.startsWith(name) && (name.startsWith('.') || !e.name.startsWith('.')))
    .slice(0, MAX_NAMES)
    .map((e): WordCompletion => ({ label: `${dir}${e.name}${e.isDirectory() ? '/' : ''}`, type: 'file' }));
}
