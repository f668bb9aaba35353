/**
 * `hvdbg.traces.sourceFileMap`: the build directory recorded in the DWARF → the source tree here, as
 * the debug configuration's `sourceFileMap` and gdb's `set substitute-path`: the longest matching prefix
 * wins, matched at a path-component boundary.
 */
import * as path from 'node:path';

export function mapSourcePath(file: string, map: Readonly<Record<string, string>>, elf: string): string {
  const keys = Object.keys(map).sort((a, b) => b.length - a.length);
  for (const from of keys) {
    const trimmed = from.replace(/\/+$/, '');
    if (file === trimmed || file.startsWith(`${trimmed}/`)) {
      return path.join(map[from] ?? '', file.slice(trimmed.length));
    }
  }
  // A relative name (DWARF without a compilation directory) is taken relative to the ELF.
  return path.isAbsolute(file) ? file : path.resolve(path.dirname(elf), file);
}
