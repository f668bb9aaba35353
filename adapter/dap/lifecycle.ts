/**
 * The session's lifetime: initialize and its capabilities, attach and launch (QEMU started with a
 * private gdbstub), the entry stop, and every way a session ends (disconnect, terminate, the stub link
 * closing, gdb or QEMU exiting), always with a message and nothing left running.
 */
import {
  ContinuedEvent,
  Event,
  InitializedEvent,
  ModuleEvent,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  StoppedEvent,
  TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { connectToStub } from '../debugger/connect';
import { Debugger } from '../debugger/debugger';
import type { StepKind } from '../gdb/mi/exec';
import { describeStubAddress, parseStubAddress, type StubAddress } from '../target/address';
import { launchQemu } from '../target/qemuLauncher';
import { ConfigurationError, validateArguments, type CommonArguments } from '../protocol/config';
import { exitStatsUpdatedEvent, lastExitsEvent } from '../protocol/customRequests';
import { ERROR_IDS, userMessage } from './errors';
import { detachTarget, killTarget as killGdbTarget } from '../gdb/mi/target';
import { UserInputError } from '../debugger/userInputError';
import { BoundarySession } from './boundary';

type Response = DebugProtocol.Response;

/** How long a step's response may wait for the step's stop, to be sent together (ms). */
const STEP_RESPONSE_WAIT_MS = 20;

/**
 * When the stub link closes, how long to wait for the cause to show itself (gdb or the QEMU hvdbg
 * launched exiting) so that the message names it (ms).
 */
const CAUSE_WAIT_MS = 300;

/** How long a session that ends waits for the requests in flight to fail on their own (ms). */
const END_DRAIN_MS = 500;

export abstract class LifecycleSession extends BoundarySession {
  protected override initializeRequest(
    response: DebugProtocol.InitializeResponse,
    args: DebugProtocol.InitializeRequestArguments,
  ): void {
    this.supportsProgress = args.supportsProgressReporting === true;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsCompletionsRequest: true,
      // A space completes the next word of `hv` and gdb commands; `.` and `->` a struct's members.
      completionTriggerCharacters: [' ', '.', '>'],
      supportsSetVariable: true,
      supportsDataBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDisassembleRequest: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsSteppingGranularity: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsModulesRequest: true,
    };
    this.sendResponse(response);
  }

  protected override attachRequest(
    response: DebugProtocol.AttachResponse,
    raw: DebugProtocol.AttachRequestArguments,
  ) {
    this.startOnce(response, async () => {
      const args = validateArguments('attach', raw);
      this.startTranscript(args);
      const address = parseStubAddress(args.target);
      if ('error' in address)
        throw new ConfigurationError(`Invalid hvdbg attach configuration: "target": ${address.error}.`);
      await this.connect(args, address);
    });
  }

  protected override launchRequest(
    response: DebugProtocol.LaunchResponse,
    raw: DebugProtocol.LaunchRequestArguments,
  ) {
    this.startOnce(response, async () => {
      const args = validateArguments('launch', raw);
      this.startTranscript(args);
      this.qemu = await launchQemu({
        path: args.qemu.path ?? 'qemu-system-x86_64',
        args: args.qemu.args,
        cwd: args.qemu.cwd,
        onStderr: (text) => this.sendEvent(new OutputEvent(text, 'stderr')),
      });
      this.log(`hvdbg: started QEMU (pid ${this.qemu.pid}) with its gdbstub on ${this.qemu.socketPath}\n`);
      // QEMU's own output (the guest's serial console with `-serial stdio`) goes to the Debug Console.
      this.qemu.process.stdout?.setEncoding('utf8');
      this.qemu.process.stdout?.on('data', (text: string) => this.sendEvent(new OutputEvent(text, 'stdout')));
      void this.qemu.exited.then((why) => this.endSession(`${why}.`));
      try {
        await this.connect(args, { kind: 'unix', path: this.qemu.socketPath });
      } catch (error) {
        await this.qemu.dispose();
        throw error;
      }
    });
  }

  /** Runs an attach or a launch, the only one of the session: another one, before or after, is refused. */
  private startOnce(response: Response, work: () => Promise<void>): void {
    this.runUnconnected(response, async () => {
      if (this.starting) {
        throw new UserInputError(
          this.dbg === undefined
            ? `An attach or launch is already under way; '${response.command}' was not started.`
            : `hvdbg is already attached to a guest; one debug session debugs one guest ('${response.command}' refused).`,
        );
      }
      this.starting = true;
      try {
        await work();
      } catch (error) {
        this.starting = false;
        throw error;
      }
    });
  }

  private async connect(args: CommonArguments, address: StubAddress): Promise<void> {
    const progressId = 'hvdbg-connect';
    if (this.supportsProgress) this.sendEvent(new ProgressStartEvent(progressId, 'hvdbg', 'Starting gdb'));
    try {
      const connection = await connectToStub(args, address, {
        progress: (message) => {
          if (this.supportsProgress) this.sendEvent(new ProgressUpdateEvent(progressId, message));
          else this.log(`hvdbg: ${message}\n`);
        },
        log: (message) => this.log(message),
      });
      this.dbg = new Debugger(connection, args);
      this.config = args;
    } finally {
      if (this.supportsProgress) this.sendEvent(new ProgressEndEvent(progressId));
    }
    const dbg = this.dbg;
    this.log(`hvdbg: attached to ${dbg.connection.stub.name === 'qemu' ? "QEMU's" : 'a'} gdbstub\n`);
    dbg.connection.gdb.on('output', (text, category) => {
      if (category === 'target' || category === 'stderr')
        this.log(text, category === 'stderr' ? 'stderr' : 'console');
    });
    dbg.connection.gdb.on('exited', (detail) => this.endSession(`gdb exited (${detail}).`));
    dbg.execution.on('stopped', (stop) => {
      const event: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, stop.threadId);
      event.body.allThreadsStopped = true;
      if (stop.description !== undefined) event.body.description = stop.description;
      if (stop.hitBreakpointIds !== undefined) event.body.hitBreakpointIds = stop.hitBreakpointIds;
      this.sendEvent(event);
    });
    dbg.execution.on('continued', () => this.sendEvent(new ContinuedEvent(0, true)));
    dbg.execution.on('output', (text) => this.log(text));
    dbg.connection.relay.on('closed', (reason) => void this.linkClosed(dbg, reason));
    dbg.execution.on('lost', (message) => this.endSession(message));
    dbg.exits.on('snapshot', (body) => this.sendEvent(new Event(exitStatsUpdatedEvent.event, body)));
    dbg.exits.on('lastExits', (body) => this.sendEvent(new Event(lastExitsEvent.event, body)));
    dbg.exits.on('output', (text) => this.log(text));
    dbg.kernelModules?.on('module', (reason, module) => this.sendEvent(new ModuleEvent(reason, module)));
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    if (this.dbg === undefined || this.configured) {
      // Before attach: "needs a guest"; a second time: the entry stop is reported once.
      this.run(response, () =>
        Promise.reject(
          new UserInputError("'configurationDone' was already sent: the configuration ends once."),
        ),
      );
      return;
    }
    this.configured = true;
    if (this.config?.stopOnAttach ?? true) {
      // The guest stopped when gdb connected; report it like any stop, after this response.
      let threadId = 0;
      this.run(
        response,
        async (dbg) => {
          threadId = await dbg.threads.currentId();
        },
        (dbg) => dbg.execution.reportEntry(threadId),
      );
    } else {
      // Learn the vCPUs while the guest is stopped: gdb cannot list them while it runs.
      this.dbg?.threads.list().then(
        () => this.resume(response, 0, 'continue'),
        () => this.resume(response, 0, 'continue'),
      );
    }
  }

  /** Kills what this session started and removes its sockets, synchronously (the adapter's exit). */
  killChildren(): void {
    this.dbg?.connection.gdb.kill();
    this.dbg?.connection.relay.close();
    this.qemu?.killNow();
  }

  /**
   * The stub link closed (the stub hung up, gdb left it, or the stub stopped answering): the session
   * ends. When the cause is about to show itself (gdb or the QEMU hvdbg launched exiting), its own
   * message is given instead.
   */
  private async linkClosed(dbg: Debugger, reason: string): Promise<void> {
    if (this.ended) return;
    const gdb = dbg.connection.gdb;
    const cause: Promise<unknown> | undefined = reason.startsWith('gdb')
      ? gdb.hasExited
        ? undefined
        : new Promise((resolve) => gdb.once('exited', resolve))
      : this.qemu?.exited;
    if (cause !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([cause, new Promise((resolve) => (timer = setTimeout(resolve, CAUSE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    const stub = `The gdbstub at ${describeStubAddress(dbg.connection.address)}`;
    if (reason === 'the gdbstub closed the connection') this.endSession(`${stub} closed the connection.`);
    else if (reason.startsWith('gdb')) this.endSession('gdb closed its connection to the gdbstub.');
    else this.endSession(`${stub} stopped answering: ${reason}.`);
  }

  /**
   * Ends the session once, with a message, leaving nothing running that we started: the requests in
   * flight are answered (quietly) before `terminated`, and none after it.
   */
  private endSession(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.log(`hvdbg: ${message} The debug session has ended.\n`, 'stderr');
    const dbg = this.dbg;
    dbg?.execution.dispose();
    dbg?.connection.relay.close();
    const waiting = [...this.inFlight];
    void Promise.all([dbg?.connection.gdb.killAndWait(), this.qemu?.dispose()])
      .then(async () => {
        let timer: NodeJS.Timeout | undefined;
        const drained = Promise.allSettled(waiting.map(([, answered]) => answered));
        await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, END_DRAIN_MS)))]);
        clearTimeout(timer);
      })
      .finally(() => {
        for (const [response] of waiting) {
          if (!this.inFlight.delete(response)) continue;
          this.answeredAtEnd.add(response);
          this.sendErrorResponse(response, {
            id: ERROR_IDS.stale,
            format: `'${response.command.replace(/[{}]/g, '')}': the debug session has ended`,
            showUser: false,
          });
        }
        this.sendEvent(new TerminatedEvent());
      });
  }

  protected override disconnectRequest(
    response: DebugProtocol.DisconnectResponse,
    args: DebugProtocol.DisconnectArguments | undefined,
  ): void {
    this.runUnconnected(response, async () => {
      this.ended = true;
      const dbg = this.dbg;
      dbg?.execution.dispose();
      const terminate =
        this.qemu !== undefined ? args?.terminateDebuggee !== false : args?.terminateDebuggee === true;
      if (dbg !== undefined && !dbg.connection.gdb.hasExited) {
        if (!terminate) await this.detach(dbg);
        // An attached guest asked to terminate: the stub's `k` packet (QEMU exits on it).
        else if (this.qemu === undefined) await this.killTarget(dbg);
        await dbg.connection.gdb.dispose();
      }
      if (terminate) await this.qemu?.dispose();
    });
  }

  /** Ends the attached guest (`disconnect` with `terminateDebuggee`): gdb's `kill`, the RSP `k` packet. */
  private async killTarget(dbg: Debugger): Promise<void> {
    try {
      if (dbg.execution.state === 'running') await this.detachPause(dbg);
      await killGdbTarget(dbg.connection.gdb, 3000);
    } catch (error) {
      this.log(`hvdbg: could not terminate the guest: ${userMessage(error)}\n`, 'stderr');
    }
  }

  /** Stops a running guest before detaching or killing (gdb talks to a stopped stub), within 2 s. */
  private async detachPause(dbg: Debugger): Promise<void> {
    const stopped = new Promise<void>((resolve) => dbg.execution.once('stopped', () => resolve()));
    await dbg.execution.pause();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
  }

  /** Detaches from the stub so the guest keeps running (QEMU resumes its vCPUs on `D`). */
  private async detach(dbg: Debugger): Promise<void> {
    try {
      if (dbg.execution.state === 'running') await this.detachPause(dbg);
      await detachTarget(dbg.connection.gdb, 3000);
    } catch (error) {
      this.log(`hvdbg: detach failed: ${userMessage(error)}\n`, 'stderr');
    }
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runUnconnected(response, async () => {
      this.ended = true;
      this.dbg?.execution.dispose();
      await Promise.all([this.dbg?.connection.gdb.killAndWait(), this.qemu?.dispose()]);
      this.sendEvent(new TerminatedEvent());
    });
  }

  /** A resume (continue or step): its stop is sent only after its response (see ExecutionService). */
  protected resume(response: Response, threadId: number, kind: 'continue' | StepKind): void {
    this.run(
      response,
      async (dbg) => {
        await dbg.execution.resume(kind, threadId);
        if (kind === 'continue') return { allThreadsContinued: true };
        await dbg.execution.stopOrTimeout(STEP_RESPONSE_WAIT_MS);
        return undefined;
      },
      (dbg) => dbg.execution.responded(),
    );
  }
}
