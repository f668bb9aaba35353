/**
 * The contract between a connected session and the features that plug into it (exits, paging,
 * hypercalls, kernel, ...). A feature gets a SessionHost and contributes console commands, scopes,
 * internal breakpoints and custom requests to it; it never sees the class that built it
 * (adapter/debugger/debugger.ts, the composition root). Interfaces only: this module imports no domain.
 */
import type { GdbBackend } from '../gdb/backend';
import type { CustomRequest } from '../protocol/customRequests';
import type { StubAddress } from '../target/address';
import type { GuestPhysicalMemory } from '../target/physicalMemory';
import type { RspRelay } from '../target/rsp/relay';
import type { HvCommand } from '../debugger/console';
import type { FrameRef } from '../debugger/frames';
import type { RegisterValue } from '../debugger/registers';
import type { ThreadInfo } from '../gdb/mi/threads';
import type { ScopeProvider } from '../debugger/variables';
import type { StopInfo } from '../debugger/execution';

/** Something a feature registered or started, undone once. */
export interface Disposable {
  dispose(): void;
}

/**
 * The guest's stops as features see them: the run state, and the moments a stop's state is born and
 * dies. `onResume` is the one place a feature forgets what it learned at a stop.
 */
export interface StopEvents {
  readonly state: 'running' | 'stopped';
  /** After every reported stop (a step, a breakpoint, a pause), with what stopped. */
  onStop(listener: (stop: StopInfo) => void): Disposable;
  /** When the guest is about to run again (resume, step, or an internal continue). */
  onResume(listener: () => void): Disposable;
}

export interface SessionHost {
  /** gdb, for the MI command families of adapter/gdb/mi/. */
  readonly gdb: GdbBackend;
  /** Where the stub is (for messages, and a trace source filtered to the debugged QEMU). */
  readonly address: StubAddress;
  /** hvdbg's own link to the stub (gdb talks through it). */
  readonly relay: RspRelay;
  /** Guest-physical memory through the stub link (page tables, `phys:` references). */
  readonly physical: GuestPhysicalMemory;
  readonly stops: StopEvents;
  readonly threads: {
    currentId(): Promise<number>;
    list(): Promise<readonly ThreadInfo[]>;
  };
  readonly frames: {
    /** A DAP frame id of this stop, or undefined if it is from an earlier one. */
    get(frameId: number): FrameRef | undefined;
  };
  readonly registers: {
    /** The general, segment and control registers of a frame (the Registers scope). */
    main(frame: FrameRef): Promise<RegisterValue[]>;
  };
  /** A line in the Debug Console. */
  log(text: string): void;
  /** A `hv <name>` console command. */
  addCommand(command: HvCommand): void;
  /** A scope after Locals and Registers (Hypercall, VM Exit). */
  addScope(provider: ScopeProvider): void;
  /** A custom DAP request declared in adapter/protocol/: `args` arrive checked against its schema. */
  handle<A, B extends object>(request: CustomRequest<A, B>, handler: (args: A) => Promise<B>): void;
  /** A gdb breakpoint the user does not see: at its hit, `handler` runs and the guest continues. */
  addInternalBreakpoint(number: number, handler: () => Promise<void>): void;
  removeInternalBreakpoint(number: number): void;
}
