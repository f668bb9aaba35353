/** The services of one connected session, wired together. The DAP session routes requests to these. */
import type { CommonArguments } from '../protocol/config';
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
import { wireHypercalls, type HypercallService } from '../hypercalls/session';
import { wireKernel } from '../kernel/session';
import { wireDiagnostics } from './diagnostics';
import type { KernelModules } from '../kernel/dapModules';
import { physicalMemoryFor } from './physical';
import type { GuestPhysicalMemory } from '../target/physicalMemory';
import { createPagingService } from '../paging/session';
import type { PagingService } from '../paging/service';

/** Answers one custom DAP request (adapter/dap/*Requests.ts declares them); returns the response body. */
export type CustomRequestHandler = (args: unknown) => Promise<object>;

export class Debugger {
  /** hvdbg's custom DAP requests, by command; each domain's wiring registers its own. */
  readonly requests = new Map<string, CustomRequestHandler>();
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
    this.exits = createExitService(this, args);
    this.paging = createPagingService(this, args);
    this.hypercalls = wireHypercalls(this, args);
    this.kernelModules = connection.kernel === undefined ? undefined : wireKernel(this, connection.kernel);
    wireDiagnostics(this);
  }

  /** Registers the handler of a custom DAP request. */
  handle(command: string, handler: CustomRequestHandler): void {
    this.requests.set(command, handler);
  }

  /** Frame 0 of gdb's selected vCPU (for commands run without a frame). */
  async topFrame(): Promise<FrameRef> {
    const threadId = await this.threads.currentId();
    return { threadId, level: 0, pc: '' };
  }

  /** Everything learned at the last stop is stale once the guest runs. */
  private forgetStop(): void {
    this.threads.invalidate();
    this.frames.reset();
    this.registers.invalidate();
    void this.variables.reset();
    this.exits.resumed();
  }
}
