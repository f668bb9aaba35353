/**
 * Linux kernel awareness for one session: the KASLR slide (symbols reloaded with it), the loaded modules'
 * symbols added from `modulePath`, modules loaded later picked up at `do_init_module` (as lx-symbols
 * does) and unloaded ones dropped at `free_module`, and the paravirt interface. Created by
 * {@link attachKernel} once gdb is connected and the guest stopped, before any breakpoint is inserted.
 */
import { basename } from 'node:path';
import type { CommonArguments } from '../protocol/config';
import type { KernelModuleInfo, ModulesBody, ParavirtBody } from '../protocol/kernelRequests';
import type { GdbBackend } from '../gdb/backend';
import { deleteBreakpoints, insertBreakpoint } from '../gdb/mi/breakpoints';
import { cli } from '../gdb/mi/cli';
import { readMemory } from '../gdb/mi/data';
import { trustReadonlySections } from '../gdb/mi/settings';
import { reloadProgramAt, removeSymbolFileAt } from '../gdb/mi/symbols';
import { threadPcs } from '../gdb/mi/threads';
import { describeSlide, findSlide, type KernelImage } from './kaslr';
import {
  findModuleFile,
  indexModuleFiles,
  moduleNameOfFile,
  normalizeModuleName,
  type ModuleFileIndex,
} from './moduleFiles';
import { addSymbolFileCommand, listModules, readModule, readSections, type LoadedModule } from './modules';
import { readParavirt } from './pvops';
import { gdbKernelTarget, hex, parseAddress, parseCString, type KernelTarget } from './target';

export interface KernelReporter {
  progress(message: string): void;
  log(message: string): void;
}

export interface ModuleState {
  readonly name: string;
  readonly text: bigint;
  /** See {@link LoadedModule.size}. */
  readonly size: bigint | undefined;
  readonly symbolFile?: string;
  readonly problem?: string;
  /** Symbols were added by hvdbg at `text` (and must be removed if the module moves). */
  readonly added: boolean;
}

/**
 * Bytes of startup_64 compared: its first instructions (`lea ...(%rip), %rsp; lea _text(%rip), %rdi`) are
 * position independent; from byte 26 on, `mov $imm32, %rdx` holds an absolute address that the KASLR
 * relocation rewrites (arch/x86/boot/compressed/misc.c, handle_relocations).
 */
const ANCHOR_BYTES = 16;

/** CR0.PG (Intel SDM Vol. 3A §2.5): without paging no kernel virtual address can be read yet. */
const CR0_PG = 1n << 31n;

/** What an internal breakpoint of the service watches. */
export type ModuleHookKind = 'load' | 'unload';

/**
 * The internal breakpoints: `do_init_module(mod)` once a module's sections are in place, before its init
 * (lx-symbols' LoadModuleBreakpoint); `free_module(mod)` when it is unloaded (delete_module) or its init
 * failed, while `mod` is still whole (kernel/module/main.c).
 */
const HOOKS: readonly (readonly [symbol: string, kind: ModuleHookKind, without: string])[] = [
  ['do_init_module', 'load', 'modules loaded later get no symbols'],
  ['free_module', 'unload', 'unloaded modules are noticed only when the module list is read again'],
];

export class KernelService {
  /** Run-time minus link-time address of the kernel; undefined until found. */
  slide: bigint | undefined;
  private readonly modules = new Map<string, ModuleState>();
  private readonly target: KernelTarget;
  private index: ModuleFileIndex | undefined;
  /** Normalized module name → the file `symbolFiles` gives for it: those win. */
  private readonly explicit = new Map<string, string>();
  private detecting: Promise<void> | undefined;
  /** Changes to {@link modules} one at a time (a hook and a list walk can overlap). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The module list has been walked at least once. */
  listed = false;
  /** `init_uts_ns.name.release`, once read. */
  release: string | undefined;
  /** gdb's numbers of the internal breakpoints ({@link HOOKS}) and what each watches. */
  readonly hooks = new Map<number, ModuleHookKind>();
  /** Told when {@link hooks} are replaced (the symbols moved with the slide), with the numbers gone. */
  hooksMoved: ((removed: readonly number[]) => void) | undefined;
  /** Told after anything {@link loadedModules} or {@link slide} show has changed. */
  changed: (() => void) | undefined;

  constructor(
    readonly gdb: GdbBackend,
    private readonly args: CommonArguments,
    readonly program: string,
    readonly image: KernelImage,
    private log: (text: string) => void,
  ) {
    this.target = gdbKernelTarget(gdb);
    for (const file of args.symbolFiles ?? []) {
      const name = moduleNameOfFile(basename(file.path));
      if (name !== undefined) this.explicit.set(name, file.path);
    }
  }

  /** Where later messages go (the Debug Console once the session is wired). */
  setLog(log: (text: string) => void): void {
    this.log = log;
  }

  get modulePath(): readonly string[] {
    return this.args.modulePath ?? [];
  }

  /**
   * Looks for the slide unless known; reloads the program's symbols with it when it is not 0. `atAttach`:
   * say so when it cannot be known yet. Safe to call concurrently (one detection at a time).
   */
  ensureSlide(atAttach = false): Promise<void> {
    if (this.slide !== undefined) return Promise.resolve();
    this.detecting ??= this.detect(atAttach).finally(() => (this.detecting = undefined));
    return this.detecting;
  }

  private async detect(atAttach: boolean): Promise<void> {
    const started = Date.now();
    const rips = await this.vcpuRips();
    const cr0 = parseAddress(await this.target.evaluate('(unsigned long)$cr0').catch(() => '0x80000000'));
    const paging = cr0 === undefined || (cr0 & CR0_PG) !== 0n;
    const misses = { candidates: 0, unreadable: 0 };
    const found = await findSlide(this.target, this.image, rips, paging, misses);
    if (found === undefined) {
      if (atAttach) {
        const where = rips.map((r, i) => `vCPU ${i} at ${r === undefined ? '?' : hex(r)}`).join(', ');
        this.log(
          `hvdbg: the kernel's KASLR slide is not known yet (${paging ? 'no match for vmlinux in the kernel image area' : 'paging is off: the kernel has not started'}; ` +
            `${misses.candidates} candidates, ${misses.unreadable} unreadable; ${where}). ` +
            `Symbols stay at vmlinux's addresses until the first stop in the running kernel.\n`,
        );
      }
      return;
    }
    this.slide = found.slide;
    this.changed?.();
    this.log(`hvdbg: ${describeSlide(found, this.image, Date.now() - started)}\n`);
    if (found.slide !== 0n) {
      const reload = Date.now();
      await reloadProgramAt(this.gdb, this.program, found.slide);
      this.log(
        `hvdbg: reloaded ${this.program} at offset ${hex(found.slide)} in ${Date.now() - reload} ms\n`,
      );
      if (this.hooks.size > 0) await this.installModuleHooks();
    }
  }

  /**
   * Puts the {@link HOOKS} breakpoints, replacing the previous ones. Only with a `modulePath` (without
   * one there is no file to add; the module list is then read when asked for).
   */
  async installModuleHooks(): Promise<void> {
    if (this.modulePath.length === 0) return;
    const removed = [...this.hooks.keys()];
    if (removed.length > 0) await deleteBreakpoints(this.gdb, removed).catch(() => undefined);
    this.hooks.clear();
    const hardware = (this.args.breakpointType ?? 'hardware') === 'hardware';
    for (const [symbol, kind, without] of HOOKS) {
      const address = await symbolAddress(this.gdb, symbol);
      if (address === undefined) {
        this.log(`hvdbg: no ${symbol} in the kernel symbols: ${without}\n`);
        continue;
      }
      const { number } = await insertBreakpoint(this.gdb, { location: `*${hex(address)}`, hardware });
      this.hooks.set(number, kind);
    }
    this.hooksMoved?.(removed);
  }

  /** Both hooks are in: the modules known follow the guest's without walking its list again. */
  get watchesModules(): boolean {
    return new Set(this.hooks.values()).size === HOOKS.length;
  }

  /** Each vCPU's RIP (index = gdb thread id - 1), from `-thread-info`. */
  private async vcpuRips(): Promise<(bigint | undefined)[]> {
    const rips: (bigint | undefined)[] = [];
    for (const [id, pc] of await threadPcs(this.gdb)) {
      if (id > 0) rips[id - 1] = pc;
    }
    return rips;
  }

  /** Walks the module list and adds the symbols of every module not seen yet. Needs a known slide. */
  async loadModules(): Promise<void> {
    // Without a modulePath there is no file to add: skip the walk at attach (its first look at `struct
    // module` costs gdb about 250 ms of DWARF reading in a distribution vmlinux); `hv modules` still walks.
    if (this.slide === undefined || this.modulePath.length === 0) return;
    await this.refresh().catch((error: unknown) =>
      this.log(`hvdbg: cannot read the kernel's module list: ${messageOf(error)}\n`),
    );
  }

  /**
   * Walks the module list: adds the modules not known (or moved), forgets those gone, keeps load order.
   * Needs a known slide (false without); rejects when the list cannot be read.
   */
  refresh(): Promise<boolean> {
    if (this.slide === undefined) return Promise.resolve(false);
    return this.serial(async () => {
      const loaded = [...(await listModules(this.target))].reverse();
      for (const module of loaded) await this.addModule(module);
      const present = new Set(loaded.map((m) => normalizeModuleName(m.name)));
      for (const [key, state] of [...this.modules]) if (!present.has(key)) await this.forget(key, state);
      const byKey = new Map(this.modules);
      this.modules.clear();
      for (const key of present) {
        const state = byKey.get(key);
        if (state !== undefined) this.modules.set(key, state);
      }
      this.listed = true;
      return true;
    });
  }

  /** The modules known, oldest first. */
  loadedModules(): ModuleState[] {
    return [...this.modules.values()];
  }

  /** At `do_init_module`: the module being initialised is in RDI (`struct module *mod`). */
  async moduleLoading(): Promise<void> {
    await this.ensureSlide();
    const module = await this.moduleInRdi();
    if (module !== undefined) await this.serial(() => this.addModule(module));
  }

  /** At `free_module`: the module going away is in RDI; its symbols go with it. */
  async moduleUnloading(): Promise<void> {
    const module = await this.moduleInRdi();
    if (module === undefined) return;
    const key = normalizeModuleName(module.name);
    await this.serial(async () => {
      const known = this.modules.get(key);
      if (known !== undefined && known.text === module.text) await this.forget(key, known);
    });
  }

  private async moduleInRdi(): Promise<LoadedModule | undefined> {
    const struct = parseAddress(await this.target.evaluate('(unsigned long)$rdi'));
    return struct === undefined || struct === 0n ? undefined : readModule(this.target, struct);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async forget(key: string, state: ModuleState): Promise<void> {
    if (state.added) {
      await removeSymbolFileAt(this.gdb, state.text).catch(() => undefined);
      this.log(`hvdbg: module ${state.name} unloaded: its symbols removed\n`);
    }
    this.modules.delete(key);
    this.changed?.();
  }

  private async addModule(module: LoadedModule): Promise<void> {
    const key = normalizeModuleName(module.name);
    const known = this.modules.get(key);
    if (known !== undefined && known.text === module.text) return;
    if (known?.added === true) {
      // Unloaded and loaded again elsewhere: its old symbols would shadow the new ones.
      await removeSymbolFileAt(this.gdb, known.text).catch(() => undefined);
    }
    // Loaded again: it moves to the end (load order).
    this.modules.delete(key);
    this.modules.set(key, await this.symbolsFor(key, module));
    this.changed?.();
  }

  private async symbolsFor(key: string, module: LoadedModule): Promise<ModuleState> {
    const loaded = { name: module.name, text: module.text, size: module.size };
    const given = this.explicit.get(key);
    if (given !== undefined) return { ...loaded, symbolFile: given, added: false };
    if (this.modulePath.length === 0)
      return { ...loaded, problem: 'no "modulePath" in the configuration', added: false };
    this.index ??= await indexModuleFiles(this.modulePath);
    const file = findModuleFile(this.index, module.name);
    if ('problem' in file) {
      this.log(`hvdbg: ${file.problem}; the session goes on without its symbols.\n`);
      return { ...loaded, problem: file.problem, added: false };
    }
    try {
      const sections = await readSections(this.target, module);
      await cli(this.gdb, addSymbolFileCommand(file.path, module.text, sections));
      this.log(`hvdbg: module ${module.name} at ${hex(module.text)}: symbols from ${file.path}\n`);
      return { ...loaded, symbolFile: file.path, added: true };
    } catch (error) {
      const problem = `module ${module.name}: gdb could not add ${file.path}: ${messageOf(error)}`;
      this.log(`hvdbg: ${problem}\n`);
      return { ...loaded, problem, added: false };
    }
  }

  /** `init_uts_ns.name.release` (`6.1.0-57-cloud-amd64`), read once the slide is known. */
  async readRelease(): Promise<string | undefined> {
    if (this.release === undefined && this.slide !== undefined) {
      const text = await this.target.evaluate('init_uts_ns.name.release').catch(() => '');
      const release = parseCString(text);
      if (release !== undefined && release !== '') this.release = release;
    }
    return this.release;
  }

  /** The modules as last seen (re-read from the guest when `stopped`), for `hv modules` / `hvdbg/modules`. */
  async describeModules(stopped: boolean): Promise<ModulesBody> {
    if (stopped) await this.refresh().catch(() => false);
    const modules: KernelModuleInfo[] = [];
    for (const state of this.loadedModules().reverse()) {
      modules.push({
        name: state.name,
        text: hex(state.text),
        ...(state.symbolFile === undefined ? {} : { symbolFile: state.symbolFile }),
        ...(state.problem === undefined ? {} : { problem: state.problem }),
      });
    }
    return { modules, ...(this.slide === undefined ? {} : { kaslrSlide: hex(this.slide) }) };
  }

  paravirt(): Promise<ParavirtBody> {
    return readParavirt(this.target);
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}

async function symbolAddress(gdb: GdbBackend, symbol: string): Promise<bigint | undefined> {
  return gdbKernelTarget(gdb)
    .evaluate(`(unsigned long)&${symbol}`)
    .then(parseAddress, () => undefined);
}

/**
 * What vmlinux says about the kernel text, or undefined when `program` is no Linux kernel (no `_text`,
 * `_etext`, `_end`). vmlinux's bytes are read from the file itself (gdb's trust-readonly-sections), not
 * from the guest.
 */
export async function readKernelImage(gdb: GdbBackend): Promise<KernelImage | undefined> {
  const [text, etext, end] = await Promise.all(['_text', '_etext', '_end'].map((s) => symbolAddress(gdb, s)));
  if (text === undefined || etext === undefined || end === undefined) return undefined;
  await trustReadonlySections(gdb, true);
  try {
    const bytes = await readMemory(gdb, text, ANCHOR_BYTES).catch(() => Buffer.alloc(0));
    return bytes.length === ANCHOR_BYTES ? { text, etext, end, bytes } : undefined;
  } finally {
    await trustReadonlySections(gdb, false);
  }
}

/**
 * Kernel awareness for a session whose `program` is a Linux vmlinux: finds the slide (reloading the
 * symbols with it) and adds the loaded modules' symbols. Undefined for anything else (no program, not a
 * kernel). Never throws for the guest's sake: what cannot be done is said in the Debug Console.
 */
export async function attachKernel(
  gdb: GdbBackend,
  args: CommonArguments,
  reporter: KernelReporter,
): Promise<KernelService | undefined> {
  if (args.program === undefined) return undefined;
  const image = await readKernelImage(gdb).catch(() => undefined);
  if (image === undefined) return undefined;
  const kernel = new KernelService(gdb, args, args.program, image, (text) => reporter.log(text));
  reporter.progress('Looking for the kernel (KASLR slide, modules)');
  try {
    await kernel.ensureSlide(true);
    await kernel.loadModules();
    await kernel.installModuleHooks();
  } catch (error) {
    reporter.log(`hvdbg: kernel awareness: ${messageOf(error)}\n`);
  }
  return kernel;
}
