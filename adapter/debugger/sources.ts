/**
 * Source paths between the editor and gdb. Debian's kernel DWARF names files relative to its build
 * directory (`arch/x86/kvm/x86.c`, comp dir `debian/build/build_amd64_none_cloud-amd64`); gdb resolves
 * them with `set substitute-path` and `directory` (set from `sourceFileMap` and `sourcePaths`). Going the
 * other way, a breakpoint set on `/src/linux/arch/x86/kvm/x86.c` is given to gdb as `arch/x86/kvm/x86.c`,
 * which gdb matches against the DWARF name.
 */
import { existsSync } from 'node:fs';
import { basename, isAbsolute, relative, sep } from 'node:path';
import { Source } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { CommonArguments } from '../protocol/config';

export class SourceResolver {
  private readonly exists = new Map<string, boolean>();
  private readonly roots: string[];

  constructor(args: CommonArguments) {
    this.roots = [...Object.values(args.sourceFileMap ?? {}), ...(args.sourcePaths ?? [])];
  }

  /** A DAP source for a frame's file, or undefined when gdb has no file for it. */
  toSource(file: string | undefined, fullname: string | undefined): DebugProtocol.Source | undefined {
    if (file === undefined && fullname === undefined) return undefined;
    const path = fullname ?? file ?? '';
    const name = basename(path);
    if (isAbsolute(path) && this.fileExists(path)) return new Source(name, path);
    // gdb could not find it: show the name, and say how to fix it rather than pointing at nothing.
    const source: DebugProtocol.Source = new Source(name);
    source.origin = `not found: map ${file ?? path} with "sourceFileMap" or "sourcePaths"`;
    source.presentationHint = 'deemphasize';
    return source;
  }

  /** The file name to give gdb for a breakpoint on `path` in the editor. */
  toGdbFile(path: string): string {
    for (const root of this.roots) {
      const rel = relative(root, path);
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
    }
    return path;
  }

  private fileExists(path: string): boolean {
    let known = this.exists.get(path);
    if (known === undefined) {
      known = existsSync(path);
      this.exists.set(path, known);
    }
    return known;
  }
}
