/**
 * The run state of the guest (all-stop: every vCPU runs or none does) and the stops gdb reports, turned
 * into what the user should see. Logpoints are printed and continued here without a visible stop. While
 * stopped, a heartbeat notices a stub that went away (QEMU killed) so the session can end with a message
 * instead of waiting for the next click.
 */
import { EventEmitter } from 'node:events';
import { maintPacket } from '../gdb/mi/cli';
import type { GdbBackend, StopRecord } from '../gdb/backend';
import { evaluate } from '../gdb/mi/data';
import { continueAll, interrupt, step, type StepKind } from '../gdb/mi/exec';
import { listThreads } from '../gdb/mi/threads';
import type { BreakpointService } from './breakpoints';

export interface StopInfo {
  readonly reason: string;
  readonly threadId: number | undefined;
  readonly description?: string;
  readonly hitBreakpointIds?: number[];
}

export interface ExecutionEvents {
  stopped: [StopInfo];
  continued: [];
  output: [text: string];
  /** The stub is gone; the session must end. */
  lost: [message: string];
}

const DEAD_STUB =
  /Remote connection closed|Remote communication error|not being run|Target disconnected|No registers|Remote end closed|Connection reset/i;
const HEARTBEAT_MS = 500;
/**
 * gdb answering nothing for this long while it has a command is a hung stub, not a slow command: the
 * heartbeat asks then (before, it waits for the command: a probe queued behind it would time out).
 */
const BUSY_GRACE_MS = 10_000;

export class ExecutionService extends EventEmitter<ExecutionEvents> {
  state: 'running' | 'stopped' = 'stopped';
  private pausing = false;
  /** Resumes requested by the client whose DAP response is not sent yet: their stops must wait. */
  private pendingResumes = 0;
  private heldStops: StopInfo[] = [];
  private stopHeld: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** gdb's `*running` records so far: tells a resume gdb refused from one that ran. */
  private runs = 0;
  /** The last resume the client asked for, and the last error gdb logged while the guest ran. */
  private lastKind: 'continue' | StepKind = 'continue';
  private runningLog: string | undefined;
  private checkingSilentStop = false;
  /** hvdbg's own breakpoints (gdb number → work to do): the guest continues after, no stop is shown. */
  private readonly internal = new Map<number, () => Promise<void>>();

  constructor(
    private readonly gdb: GdbBackend,
    private readonly breakpoints: BreakpointService,
    private readonly onResume: () => void,
    private readonly stubName: string,
  ) {
    super();
    gdb.on('running', () => {
      this.runs++;
      const unrequested = this.state === 'stopped' && this.pendingResumes === 0;
      this.state = 'running';
      this.onResume();
      // A resume the client did not ask for (a console `continue`, a logpoint) is announced.
      if (unrequested) this.emit('continued');
    });
    gdb.on('stopped', (record) => {
      this.state = 'stopped';
      void this.onStop(record);
    });
    gdb.on('notify', (record) => {
      if (record.state === 'thread-group-exited')
        this.emit('lost', `The gdbstub at ${stubName} closed the connection.`);
    });
    gdb.on('output', (text, category) => {
      if (category === 'log' && DEAD_STUB.test(text)) {
        this.emit('lost', `The gdbstub at ${stubName} went away: ${text.trim()}`);
      } else if (category === 'log' && this.state === 'running' && text.trim() !== '') {
        this.runningLog = text.trim();
        void this.checkSilentStop();
      }
    });
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Runs `handler` whenever gdb breakpoint `number` is hit, then continues without a visible stop. */
  addInternalBreakpoint(number: number, handler: () => Promise<void>): void {
    this.internal.set(number, handler);
  }

  removeInternalBreakpoint(number: number): void {
    this.internal.delete(number);
  }

  dispose(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * Resumes the guest for a client request. The stop it causes is held back until {@link responded} is
   * called: VS Code marks the thread running when the response arrives, so a stop sent before the
   * response would be overwritten.
   */
  async resume(kind: 'continue' | StepKind, threadId: number): Promise<void> {
    const before = this.state;
    const runs = this.runs;
    this.lastKind = kind;
    this.runningLog = undefined;
    this.pendingResumes++;
    this.onResume();
    this.state = 'running';
    try {
      if (kind === 'continue') await continueAll(this.gdb);
      else await step(this.gdb, kind, threadId);
    } catch (error) {
      // gdb refused (a thread that does not exist, a step it cannot do here): the guest is as it was. A
      // stopped one left 'running' would wait for a stop that never comes (pause would do nothing).
      if (this.runs === runs) this.state = before;
      throw error;
    }
  }

  /** The stop found at attach (the stub stops the guest when a debugger connects), as an `entry` stop. */
  reportEntry(threadId: number): void {
    this.state = 'stopped';
    this.report({ reason: 'entry', threadId });
  }

  /** The response to a {@link resume} request has been sent (or the request failed). */
  responded(): void {
    this.pendingResumes = Math.max(0, this.pendingResumes - 1);
    if (this.pendingResumes > 0) return;
    const held = this.heldStops;
    this.heldStops = [];
    for (const stop of held) this.emit('stopped', stop);
  }

  private report(stop: StopInfo): void {
    if (this.pendingResumes > 0) {
      this.heldStops.push(stop);
      this.stopHeld?.();
    } else {
      this.emit('stopped', stop);
    }
  }

  /**
   * Resolves when a stop is held back for a pending response, or after `ms`. A step usually ends within
   * a millisecond: answering it together with its stop keeps the client idle while gdb and QEMU work.
   */
  stopOrTimeout(ms: number): Promise<void> {
    if (this.heldStops.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.stopHeld = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopHeld = done;
    });
  }

  /** Stops every vCPU. The stop arrives as a `stopped` event with reason `pause`. */
  async pause(): Promise<void> {
    if (this.state === 'stopped') return;
    this.pausing = true;
    await interrupt(this.gdb);
    // A stub busy elsewhere can miss the interrupt: ask again once, then tell the user.
    setTimeout(() => {
      if (this.state !== 'running' || !this.pausing || this.gdb.hasExited) return;
      void this.checkSilentStop();
      this.emit('output', 'hvdbg: the guest has not stopped after 2 s; interrupting again\n');
      interrupt(this.gdb).catch((error: unknown) => this.emit('output', `hvdbg: ${String(error)}\n`));
      setTimeout(() => {
        if (this.state === 'running' && this.pausing && !this.gdb.hasExited) {
          this.emit(
            'output',
            `hvdbg: the guest still runs 5 s after pause; is the stub at ${this.stubName} responding?\n`,
          );
        }
      }, 3000).unref();
    }, 2000).unref();
  }

  /**
   * gdb can stop the guest and not say so: when describing the stop fails (a single step through VMRUN
   * into a nested guest, whose stack gdb cannot read through the host's page tables: "Cannot access
   * memory at address 0x6000"), gdb logs the error and returns to its prompt with every thread stopped,
   * and no `*stopped` record comes. The session would wait forever, and pause would do nothing (gdb has
   * nothing to interrupt). After such an error, and when a pause gets no stop, gdb's own thread states
   * tell: all stopped, the stop is reported with gdb's error as its description.
   */
  private async checkSilentStop(): Promise<void> {
    if (this.checkingSilentStop || this.state !== 'running' || this.gdb.hasExited) return;
    this.checkingSilentStop = true;
    try {
      // A `*stopped` on its way (gdb logs some errors just before a normal stop) comes first.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const runs = this.runs;
      if (this.state !== 'running') return;
      // Fails while the guest really runs (gdb cannot list a running all-stop remote's threads).
      const list = await listThreads(this.gdb);
      if (this.state !== 'running' || this.runs !== runs) return;
      if (list.threads.length === 0 || list.threads.some((t) => t.state === 'running')) return;
      const paused = this.pausing;
      this.pausing = false;
      this.state = 'stopped';
      this.gdb.noteStoppedWithoutRecord();
      this.report({
        reason: paused ? 'pause' : this.lastKind === 'continue' ? 'exception' : 'step',
        threadId: list.currentId,
        description: `gdb stopped the guest without describing the stop${
          this.runningLog === undefined ? '' : ` (${this.runningLog})`
        }`,
      });
    } catch {
      // The guest runs: its stop will come as a `*stopped` record.
    } finally {
      this.checkingSilentStop = false;
    }
  }

  private async onStop(record: StopRecord): Promise<void> {
    const number = record.breakpointNumber;
    const internal = number === undefined ? undefined : this.internal.get(number);
    if (internal !== undefined) {
      await internal().catch((error: unknown) => this.emit('output', `hvdbg: ${String(error)}\n`));
      if (this.pausing) {
        this.pausing = false;
        this.report({ reason: 'pause', threadId: record.threadId });
        return;
      }
      this.state = 'running';
      await continueAll(this.gdb).catch((error: unknown) => this.emit('output', `hvdbg: ${String(error)}\n`));
      return;
    }
    const logMessage = number === undefined ? undefined : this.breakpoints.logMessageOf(number);
    if (logMessage !== undefined && !this.pausing) {
      this.emit('output', `${await this.interpolate(logMessage, record.threadId)}\n`);
      this.state = 'running';
      await continueAll(this.gdb).catch((error: unknown) => this.emit('output', `hvdbg: ${String(error)}\n`));
      return;
    }
    this.report(this.describe(record));
  }

  private describe(record: StopRecord): StopInfo {
    const threadId = record.threadId;
    const bp = record.breakpointNumber;
    switch (record.reason) {
      case 'breakpoint-hit':
        return {
          reason: bp === undefined ? 'breakpoint' : this.breakpoints.kindOf(bp),
          threadId,
          ...(bp === undefined ? {} : { hitBreakpointIds: [bp] }),
        };
      case 'watchpoint-trigger':
      case 'read-watchpoint-trigger':
      case 'access-watchpoint-trigger':
        return {
          reason: 'data breakpoint',
          threadId,
          ...(bp === undefined ? {} : { hitBreakpointIds: [bp] }),
        };
      case 'end-stepping-range':
      case 'function-finished':
      case 'location-reached':
        return { reason: 'step', threadId };
      case 'signal-received':
        if (this.pausing || record.signalName === 'SIGINT' || record.signalName === '0') {
          this.pausing = false;
          return { reason: 'pause', threadId };
        }
        return { reason: 'exception', threadId, description: `signal ${record.signalName ?? '?'}` };
      default: {
        const paused = this.pausing;
        this.pausing = false;
        return { reason: paused ? 'pause' : 'step', threadId, description: record.reason };
      }
    }
  }

  /** DAP logpoint syntax: `{expression}` parts are evaluated in the stopped frame. */
  private async interpolate(message: string, threadId: number | undefined): Promise<string> {
    const parts = message.split(/(\{[^{}]+\})/);
    const out = await Promise.all(
      parts.map(async (part) => {
        if (!part.startsWith('{') || !part.endsWith('}')) return part;
        try {
          return await evaluate(this.gdb, part.slice(1, -1), threadId, 0);
        } catch (error) {
          return `<${error instanceof Error ? error.message : String(error)}>`;
        }
      }),
    );
    return out.join('');
  }

  private async beat(): Promise<void> {
    if (this.state !== 'stopped' || Date.now() - this.gdb.lastActivity < HEARTBEAT_MS || this.gdb.hasExited)
      return;
    const busy = this.gdb.busyFor();
    if (busy > 0 && busy < BUSY_GRACE_MS) return;
    try {
      await maintPacket(this.gdb, 'qC', 1500);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (DEAD_STUB.test(text) || /did not answer/.test(text)) {
        this.emit(
          'lost',
          `The gdbstub at ${this.stubName} stopped answering (${text.trim()}). Was QEMU killed?`,
        );
      }
    }
  }
}
