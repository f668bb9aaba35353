/**
 * Finding a loaded module's ELF file by name in the directories of `modulePath`. The kernel names a module
 * after its file with dashes turned into underscores (scripts/Makefile.lib: `modname` of `kvm-amd.ko` is
 * `kvm_amd`), so names are compared in that form. Directories are searched recursively, e.g. the -dbg
 * package's `/usr/lib/debug/lib/modules/<version>/`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Module files gdb can read: `kvm.ko`, and the split-debug forms `kvm.ko.debug` / `kvm.debug`. */
const MODULE_FILE = /^(.+?)\.(?:ko(?:\.debug)?|debug)$/;
/** Compressed modules (`kvm.ko.xz`): gdb cannot read them; named in the problem so the user can unpack. */
const COMPRESSED_FILE = /^(.+?)\.ko\.(?:xz|gz|zst)$/;

/** The kernel's form of a module name: `kvm-amd` and `kvm_amd` are the same module. */
export function normalizeModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

/** The module name a file name stands for (`kvm-amd.ko` → `kvm_amd`), or undefined when it is no module. */
export function moduleNameOfFile(fileName: string): string | undefined {
  const match = MODULE_FILE.exec(fileName);
  return match?.[1] === undefined ? undefined : normalizeModuleName(match[1]);
}

export interface ModuleFileIndex {
  /** Normalized module name → the first file found for it (`.ko` preferred over split debug files). */
  readonly files: ReadonlyMap<string, string>;
  /** Normalized module name → a compressed file found for it (unusable by gdb). */
  readonly compressed: ReadonlyMap<string, string>;
  /** The directories searched, as given. */
  readonly directories: readonly string[];
  /** Directories that could not be read (missing, no permission), with the reason. */
  readonly unreadable: readonly { readonly directory: string; readonly reason: string }[];
}

/** Directories below this depth are not searched (lib/modules/<version>/kernel/arch/x86/kvm is 5 deep). */
const MAX_DEPTH = 12;

/**
 * Indexes every module file below `directories` (recursively, following no symbolic links to
 * directories). Earlier directories win over later ones; within one, the shallower file wins.
 */
export async function indexModuleFiles(directories: readonly string[]): Promise<ModuleFileIndex> {
  const files = new Map<string, string>();
  const compressed = new Map<string, string>();
  const unreadable: { directory: string; reason: string }[] = [];
  for (const root of directories) {
    let level: string[] = [root];
    for (let depth = 0; level.length > 0 && depth <= MAX_DEPTH; depth++) {
      const next: string[] = [];
      for (const dir of level) {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (error) {
          if (dir === root) {
            const code = (error as NodeJS.ErrnoException).code ?? String(error);
            unreadable.push({ directory: root, reason: code === 'ENOENT' ? 'does not exist' : code });
          }
          continue;
        }
        entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const entry of entries) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) {
            next.push(path);
            continue;
          }
          if (!entry.isFile() && !entry.isSymbolicLink()) continue;
          const name = moduleNameOfFile(entry.name);
          if (name !== undefined) {
            const known = files.get(name);
            // A real .ko beats a split debug file found earlier at the same depth or deeper.
            if (known === undefined || (!known.endsWith('.ko') && entry.name.endsWith('.ko')))
              files.set(name, path);
            continue;
          }
          const packed = COMPRESSED_FILE.exec(entry.name)?.[1];
          if (packed !== undefined && !compressed.has(normalizeModuleName(packed)))
            compressed.set(normalizeModuleName(packed), path);
        }
      }
      level = next;
    }
  }
  return { files, compressed, directories, unreadable };
}

/** The file for a loaded module, or a sentence saying why there is none (naming module and directories). */
export function findModuleFile(
  index: ModuleFileIndex,
  moduleName: string,
): { readonly path: string } | { readonly problem: string } {
  const name = normalizeModuleName(moduleName);
  const path = index.files.get(name);
  if (path !== undefined) return { path };
  const packed = index.compressed.get(name);
  const fileName = `${moduleName.replace(/_/g, '-')}.ko`;
  if (packed !== undefined)
    return {
      problem: `module ${moduleName}: only the compressed ${packed} was found in "modulePath"; gdb cannot read it (unpack it next to it)`,
    };
  const where = index.directories.length === 0 ? '(none given)' : index.directories.join(', ');
  const broken =
    index.unreadable.length === 0
      ? ''
      : ` (${index.unreadable.map((u) => `${u.directory}: ${u.reason}`).join('; ')})`;
  return {
    problem: `module ${moduleName}: no ${fileName} (or ${moduleName}.ko) below the "modulePath" directories ${where}${broken}`,
  };
}
