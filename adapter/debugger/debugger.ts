/** The services of one connected session, wired together. The DAP session routes requests to these. */
import type { CommonArguments } from '../protocol/config';
import type { Disposable, SessionHost } from '../session/host';
import { RequestTable } from '../session/requestTable';
import type { Connection } from './connect';
import { BreakpointService } from './breakpoints';
import { CompletionService } from './completions';
import { ConsoleService } from './console';
import { controlRegistersCommand } from './controlRegistersCommand';
import { ExecutionService } from './execution';
import { FrameService, type FrameRef } from './frames';
import { MemoryService } from './memory';
import { RegisterService } from './registers';
import { SourceResolver } from './sources';
import { ThreadService } from './threads';
import { VariableService } from './variables';
import { describeStubAddress } from '../target/address';
import { createExitService, type ExitTraceService } from '../exits/session';
import { wireHypercalls } from '../hypercalls/feature';
import type { HypercallService } from '../hypercalls/session';
import { wireKernel } from '../kernel/session';
import { wireDiagnostics } from './diagnostics';
import type { KernelModules } from '../kernel/dapModules';
import { physicalMemoryFor } from './physical';
import type { GuestPhysicalMemory } from '../target/physicalMemory';
import { createPagingService } from '../paging/session';
import type { PagingService } from '../paging/service';

/**
 * The composition root of one connected session: builds the core services, then the features (exits,
 * paging, hypercalls, kernel), each given only the {@link SessionHost} contract. The DAP session routes
 * requests to these services.
 */
export class Debugger {
  /** hvdbg's custom DAP requests, one table; each feature registers its own. */
  readonly requests = new RequestTable();
  /** The features' `stops.onResume` listeners: called once per resume, before the core forgets the stop. */
  private readonly resumeListeners: (() => void)[] = [];
  readonly sources: SourceResolver;
  readonly threads: ThreadService;
  readonly frames: FrameService;
  readonly registers: RegisterService;
  readonly variables: VariableService;
  readonly breakpoints: BreakpointService;
  readonly execution: ExecutionService;
  readonly memory: MemoryService;
  readonly console: ConsoleService;
  /** Debug Console completion: `hv` commands and gdb's `-complete`. */
  readonly completions: CompletionService;
  readonly exits: ExitTraceService;
  readonly hypercalls: HypercallService;
  /** Guest physical memory through hvdbg's own stub link (page tables, `phys:` memory references). */
  readonly physical: GuestPhysicalMemory;
  /** Page tables: roots, entries, memory map, translation (`hv pt`, `hv translate`). */
  readonly paging: PagingService;
  /** The kernel's modules for DAP (`modules`, `module` events); undefined without kernel awareness. */
  readonly kernelModules: KernelModules | undefined;

  constructor(
    readonly connection: Connection,
    args: CommonArguments,
  ) {
    const gdb = connection.gdb;
    this.physical = physicalMemoryFor(connection, () => this.execution.state !== 'stopped');
    this.sources = new SourceResolver(args);
    this.threads = new ThreadService(gdb);
    this.frames = new FrameService(gdb, this.sources);
    this.registers = new RegisterService(gdb);
    this.variables = new VariableService(gdb, this.registers);
    this.breakpoints = new BreakpointService(
      gdb,
      this.sources,
      (args.breakpointType ?? 'hardware') === 'hardware',
    );
    this.execution = new ExecutionService(
      gdb,
      this.breakpoints,
      () => this.forgetStop(),
      describeStubAddress(connection.address),
    );
    this.memory = new MemoryService(gdb, this.sources, this.physical);
    this.console = new ConsoleService(gdb);
    this.console.register(controlRegistersCommand(this.registers, () => this.topFrame()));
    this.completions = new CompletionService(gdb, this.console, () => this.execution.state === 'stopped');
    const host = this.host();
    this.exits = createExitService(host, args);
    this.paging = createPagingService(host, args);
    this.hypercalls = wireHypercalls(host, args);
    this.kernelModules = connection.kernel === undefined ? undefined : wireKernel(host, connection.kernel);
    wireDiagnostics(host, this);
  }

  /** What the features see of this session. */
  private host(): SessionHost {
    const execution = this.execution;
    const listen = <A extends unknown[]>(
      list: ((...args: A) => void)[],
      listener: (...args: A) => void,
    ): Disposable => {
      list.push(listener);
      return { dispose: () => void list.splice(list.indexOf(listener), 1) };
    };
    return {
      gdb: this.connection.gdb,
      address: this.connection.address,
      relay: this.connection.relay,
      physical: this.physical,
      stops: {
        get state() {
          return execution.state;
        },
        onStop: (listener) => {
          execution.on('stopped', listener);
          return { dispose: () => void execution.off('stopped', listener) };
        },
        onResume: (listener) => listen(this.resumeListeners, listener),
      },
      threads: this.threads,
      frames: this.frames,
      registers: this.registers,
      log: (text) => void execution.emit('output', text),
      addCommand: (command) => this.console.register(command),
      addScope: (provider) => this.variables.addScopeProvider(provider),
      handle: (request, handler) => this.requests.add(request, handler),
      addInternalBreakpoint: (number, handler) => execution.addInternalBreakpoint(number, handler),
      removeInternalBreakpoint: (number) => execution.removeInternalBreakpoint(number),
    };
  }

  /** Frame 0 of gdb's selected vCPU (for commands run without a frame). */
  async topFrame(): Promise<FrameRef> {
    const threadId = await this.threads.currentId();
    return { threadId, level: 0, pc: '' };
  }

  /** Everything learned at the last stop is stale once the guest runs. */
  private forgetStop(): void {
    for (const listener of [...this.resumeListeners]) listener();
    this.threads.invalidate();
    this.frames.reset();
    this.registers.invalidate();
    void this.variables.reset();
    this.exits.resumed();
  }
}
