/**
 * The debugged kernel as DAP modules (the `modules` request, `module` events): vmlinux first, at its
 * run-time addresses (KASLR slide applied), then every loaded module in load order, identified by its
 * kernel name. Events say what changed since the client was last told (by a response or an event).
 *
 * How changes are noticed: with a `modulePath`, the service's internal breakpoints on `do_init_module`
 * and `free_module` report each load and unload as it happens (a stop of a few milliseconds per load or
 * unload, nothing per ordinary stop). Without them (no `modulePath`, or a kernel without those symbols)
 * the module list is walked again when a `modules` request comes while the guest is stopped and has run
 * since the last walk: a walk costs a few gdb evaluations per module, too much for every stop.
 */
import { EventEmitter } from 'node:events';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { KernelImage } from './kaslr';
import { normalizeModuleName } from './moduleFiles';
import type { KernelService, ModuleState } from './service';
import { hex } from './target';

export type ModuleEventReason = DebugProtocol.ModuleEvent['body']['reason'];
export type ModulesBody = DebugProtocol.ModulesResponse['body'];

/** The `symbolStatus` of a module whose symbols gdb has. */
export const SYMBOLS_LOADED = 'symbols loaded';
/** The `id` of the kernel itself. */
export const VMLINUX_ID = 'vmlinux';

/** What the modules view needs of the kernel image. */
export interface VmlinuxState {
  /** The `program` (vmlinux). */
  readonly program: string;
  readonly image: Pick<KernelImage, 'text' | 'etext'>;
  /** Undefined while not known: gdb's symbols are then at vmlinux's link addresses. */
  readonly slide: bigint | undefined;
  /** `init_uts_ns.name.release`, when read. */
  readonly release: string | undefined;
}

/** `0xstart-0xend` (end exclusive). */
export function addressRange(start: bigint, end: bigint): string {
  return `${hex(start)}-${hex(end)}`;
}

/** vmlinux as a DAP module: its text `_text.._etext` where it runs. */
export function vmlinuxModule(kernel: VmlinuxState): DebugProtocol.Module {
  const slide = kernel.slide ?? 0n;
  return {
    id: VMLINUX_ID,
    name: 'vmlinux',
    path: kernel.program,
    symbolFilePath: kernel.program,
    symbolStatus:
      kernel.slide === undefined
        ? `${SYMBOLS_LOADED} at vmlinux's link addresses (the KASLR slide is not known yet)`
        : SYMBOLS_LOADED,
    addressRange: addressRange(kernel.image.text + slide, kernel.image.etext + slide),
    ...(kernel.release === undefined ? {} : { version: kernel.release }),
  };
}

/** A loaded module as a DAP module. The problem text loses its `module NAME: ` prefix (the row says it). */
export function kernelModule(state: ModuleState): DebugProtocol.Module {
  const id = normalizeModuleName(state.name);
  const problem = state.problem?.replace(/^module \S+: /, '');
  return {
    id,
    name: state.name,
    ...(state.symbolFile === undefined ? {} : { path: state.symbolFile, symbolFilePath: state.symbolFile }),
    symbolStatus: state.symbolFile !== undefined ? SYMBOLS_LOADED : (problem ?? 'no symbols'),
    ...(state.size === undefined || state.size === 0n
      ? {}
      : { addressRange: addressRange(state.text, state.text + state.size) }),
  };
}

/** The `module` events that take a client from `told` to `now`: removals first, then in `now`'s order. */
export function moduleChanges(
  told: ReadonlyMap<string, DebugProtocol.Module>,
  now: readonly DebugProtocol.Module[],
): { reason: ModuleEventReason; module: DebugProtocol.Module }[] {
  const ids = new Set(now.map((m) => String(m.id)));
  const changes: { reason: ModuleEventReason; module: DebugProtocol.Module }[] = [];
  for (const [id, module] of told) if (!ids.has(id)) changes.push({ reason: 'removed', module });
  for (const module of now) {
    const before = told.get(String(module.id));
    if (before === undefined) changes.push({ reason: 'new', module });
    else if (JSON.stringify(before) !== JSON.stringify(module)) changes.push({ reason: 'changed', module });
  }
  return changes;
}

/** One page of `all` as DAP's paging asks (`moduleCount` 0 or absent: all from `startModule`). */
export function pageModules(
  all: readonly DebugProtocol.Module[],
  args: DebugProtocol.ModulesArguments,
): ModulesBody {
  const start = Math.max(0, args.startModule ?? 0);
  const count = args.moduleCount ?? 0;
  return { modules: all.slice(start, count > 0 ? start + count : undefined), totalModules: all.length };
}

function byId(modules: readonly DebugProtocol.Module[]): Map<string, DebugProtocol.Module> {
  return new Map(modules.map((m) => [String(m.id), m]));
}

export interface KernelModulesEvents {
  module: [reason: ModuleEventReason, module: DebugProtocol.Module];
}

/** The session's modules: answers `modules`, emits `module` for each change the kernel service reports. */
export class KernelModules extends EventEmitter<KernelModulesEvents> {
  /** What the client has been told, by id. */
  private told: Map<string, DebugProtocol.Module>;
  /** The guest ran since the module list was last walked. */
  private ran = true;

  constructor(
    private readonly kernel: KernelService,
    private readonly stopped: () => boolean,
  ) {
    super();
    // What is known at attach the client learns from its first `modules` request, not from events.
    this.told = byId(this.current());
    kernel.changed = () => this.announce();
  }

  /** The guest runs: a module list walked before may be out of date. */
  resumed(): void {
    this.ran = true;
  }

  private current(): DebugProtocol.Module[] {
    return [vmlinuxModule(this.kernel), ...this.kernel.loadedModules().map(kernelModule)];
  }

  private announce(): void {
    const now = this.current();
    for (const { reason, module } of moduleChanges(this.told, now)) this.emit('module', reason, module);
    this.told = byId(now);
  }

  async request(args: DebugProtocol.ModulesArguments): Promise<ModulesBody> {
    if (this.stopped()) {
      if (!this.kernel.listed || (this.ran && !this.kernel.watchesModules)) {
        this.ran = false;
        await this.kernel.refresh().catch(() => false);
      }
      await this.kernel.readRelease();
    }
    const all = this.current();
    this.told = byId(all);
    return pageModules(all, args);
  }
}

/** The body of a `modules` response: empty without kernel awareness (no `program`, or not a kernel). */
export function modulesBody(
  modules: KernelModules | undefined,
  args: DebugProtocol.ModulesArguments,
): Promise<ModulesBody> {
  return modules === undefined ? Promise.resolve({ modules: [], totalModules: 0 }) : modules.request(args);
}
