/**
 * The hvdbg debug session: a thin router from DAP requests to the services in adapter/debugger/. It owns
 * the session's lifetime (attach/launch, disconnect/terminate, the stub going away) and nothing else.
 */
import {
  ContinuedEvent,
  Event,
  Response as DapResponse,
  InitializedEvent,
  DebugSession,
  ModuleEvent,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  StoppedEvent,
  TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Writable } from 'node:stream';
import { connectToStub } from '../debugger/connect';
import { Debugger } from '../debugger/debugger';
import type { StepKind } from '../gdb/mi/exec';
import { describeStubAddress, parseStubAddress, type StubAddress } from '../target/address';
import { launchQemu, type LaunchedQemu } from '../target/qemuLauncher';
import { ConfigurationError, validateArguments, type CommonArguments } from '../protocol/config';
import { exitStatsUpdatedEvent, lastExitsEvent } from '../protocol/customRequests';
import { answerFailure, blameOf, ERROR_IDS, userMessage } from './errors';
import { modulesBody } from '../kernel/dapModules';
import { StaleReferenceError } from '../debugger/stale';
import { detachTarget, killTarget as killGdbTarget } from '../gdb/mi/target';
import { noTranscript, openTranscript, record, recording } from '../session/transcript';
import { UserInputError } from '../debugger/userInputError';
import { checkRequestArguments } from './requestArguments';

type Response = DebugProtocol.Response;

/** Requests VS Code sends by itself after a stop (its views refreshing): quiet when the stop is gone. */
const STALE_TOLERANT = new Set([
  'threads',
  'stackTrace',
  'scopes',
  'variables',
  'disassemble',
  'dataBreakpointInfo',
]);

/** How long a step's response may wait for the step's stop, to be sent together (ms). */
const STEP_RESPONSE_WAIT_MS = 20;

/**
 * When the stub link closes, how long to wait for the cause to show itself (gdb or the QEMU hvdbg
 * launched exiting) so that the message names it (ms).
 */
const CAUSE_WAIT_MS = 300;

/** How long a session that ends waits for the requests in flight to fail on their own (ms). */
const END_DRAIN_MS = 500;

export class HvdbgSession extends DebugSession {
  private dbg: Debugger | undefined;
  private qemu: LaunchedQemu | undefined;
  private config: CommonArguments | undefined;
  private supportsProgress = false;
  private ended = false;
  /** An attach or launch is under way or done: a second one is refused (one session, one guest). */
  private starting = false;
  private initialized = false;
  private configured = false;
  private output: NodeJS.WritableStream | undefined;
  /** Requests whose work is under way, with the promise of their answer: answered before `terminated`. */
  private readonly inFlight = new Map<Response, Promise<void>>();
  /** Requests the session's end answered while their work went on: their late results are dropped. */
  private readonly answeredAtEnd = new WeakSet<Response>();

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    // DebugSession shuts the adapter down on any 'error' event, and a message that is not JSON (or not
    // a request) raises one: a client's malformed message would end the session. Only stream errors do.
    this.removeAllListeners('error');
    this.on('error', (event: DebugProtocol.Event) => {
      const text = typeof event.body === 'string' ? event.body : '';
      if (text.startsWith('Error handling data'))
        this.log(`hvdbg: ignored a malformed DAP message (${text})\n`);
      else this.shutdown();
    });
  }

  /**
   * Every request enters here: its arguments are checked (adapter/dap/requestArguments.ts) before any
   * handler reads them, and a request without arguments gets `{}`. A message that is no request with a
   * command is answered with an error instead of reaching DebugSession's dispatch.
   */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    const raw = request as Partial<DebugProtocol.Request> | null;
    if (typeof raw !== 'object' || raw === null || typeof raw.seq !== 'number') return;
    const command = typeof raw.command === 'string' ? raw.command : String(raw.command);
    const args: unknown = raw.arguments;
    const normalized: DebugProtocol.Request = { ...request, command, arguments: args ?? {} };
    try {
      if (typeof raw.command !== 'string')
        throw new UserInputError('Invalid request: "command" must be a string.');
      checkRequestArguments(command, normalized.arguments);
      if (command === 'initialize') {
        if (this.initialized)
          throw new UserInputError("'initialize' was already sent: it is the first request, once.");
        this.initialized = true;
      }
    } catch (error) {
      const answer = answerFailure(command, error, false, false);
      const response = new DapResponse(normalized);
      if (answer.kind === 'error')
        this.sendErrorResponse(response, {
          id: answer.id,
          format: answer.message,
          showUser: answer.showUser,
        });
      return;
    }
    super.dispatchRequest(normalized);
  }

  /** Every message in and out goes to the session's transcript, when it has one (`trace`). */
  override handleMessage(message: DebugProtocol.ProtocolMessage): void {
    if (recording()) record('dap<', JSON.stringify(message));
    super.handleMessage(message);
  }

  override sendResponse(response: DebugProtocol.Response): void {
    if (recording()) record('dap>', JSON.stringify(response));
    super.sendResponse(response);
  }

  override sendEvent(event: DebugProtocol.Event): void {
    if (recording()) record('dap>', JSON.stringify(event));
    super.sendEvent(event);
  }

  /** Opens the transcript the configuration asks for, and says where it is. */
  private startTranscript(args: CommonArguments): void {
    if (args.trace === undefined || args.trace === false) {
      noTranscript();
      return;
    }
    try {
      const file = openTranscript(args.trace);
      this.log(`hvdbg: writing a transcript of this session (DAP, gdb/MI, RSP) to ${file}\n`);
    } catch (error) {
      noTranscript();
      this.log(`hvdbg: "trace": cannot write the transcript: ${userMessage(error)}\n`, 'stderr');
    }
  }

  override start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void {
    this.output = outStream;
    super.start(inStream, outStream);
  }

  /** Runs a request's work; any failure becomes an error response with a message the user can act on. */
  private run<R extends Response>(
    response: R,
    work: (dbg: Debugger) => Promise<R['body'] | void>,
    afterResponse?: (dbg: Debugger) => void,
    staleTolerant?: boolean,
  ): void {
    const dbg = this.dbg;
    if (dbg !== undefined && this.ended) {
      this.sendErrorResponse(response, {
        id: ERROR_IDS.stale,
        format: `'${response.command.replace(/[{}]/g, '')}': the debug session has ended`,
        showUser: false,
      });
      return;
    }
    if (dbg === undefined) {
      this.sendErrorResponse(response, {
        id: ERROR_IDS.user,
        // No braces: DebugSession reads `{name}` in a format as a variable to substitute.
        format: `'${response.command.replace(/[{}]/g, '')}' needs a guest: hvdbg is not attached to one (attach or launch first)`,
        showUser: true,
      });
      return;
    }
    this.runUnconnected(
      response,
      () => work(dbg),
      afterResponse === undefined ? undefined : () => afterResponse(dbg),
      staleTolerant,
    );
  }

  private runUnconnected<R extends Response>(
    response: R,
    work: () => Promise<R['body'] | void>,
    afterResponse?: () => void,
    staleTolerant = STALE_TOLERANT.has(response.command),
  ): void {
    let pending: Promise<R['body'] | void>;
    try {
      pending = work();
    } catch (error) {
      // A handler that throws before its first await (a stale frame id) fails like any other.
      pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const answered = pending.then(
      (body) => {
        if (this.answeredAtEnd.has(response)) return;
        if (body !== undefined) response.body = body;
        // A step's response and its stop leave in one write: the client wakes once.
        const corked = afterResponse !== undefined && this.output instanceof Writable;
        if (corked) (this.output as Writable).cork();
        this.sendResponse(response);
        afterResponse?.();
        if (corked) (this.output as Writable).uncork();
      },
      (error: unknown) => {
        if (this.answeredAtEnd.has(response)) return;
        if (blameOf(error) === 'internal' && error instanceof Error)
          this.log(`${error.stack ?? error.message}\n`);
        // A request that fails because the session is ending (its stub or gdb gone) is nobody's to
        // fix: answered quietly, the session's end has its own message.
        const gone = this.gone;
        const running = gone || (this.dbg !== undefined && this.dbg.execution.state !== 'stopped');
        const answer = answerFailure(response.command, error, staleTolerant || gone, running);
        if (answer.kind === 'body') {
          response.body = answer.body;
          this.sendResponse(response);
        } else {
          this.sendErrorResponse(response, {
            id: answer.id,
            format: answer.message,
            showUser: answer.showUser,
          });
        }
        afterResponse?.();
      },
    );
    this.inFlight.set(response, answered);
    const settled = (): void => void this.inFlight.delete(response);
    answered.then(settled, settled);
  }

  /** The session has ended, or is about to: its stub link is closed or its gdb has exited. */
  private get gone(): boolean {
    const connection = this.dbg?.connection;
    return this.ended || connection?.relay.closed === true || connection?.gdb.hasExited === true;
  }

  private log(text: string, category: 'console' | 'stderr' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

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

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.run(response, async (dbg) => ({ threads: await dbg.threads.dapThreads() }));
  }

  protected override stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ) {
    this.run(response, (dbg) => dbg.frames.stackTrace(args.threadId, args.startFrame ?? 0, args.levels ?? 0));
  }

  protected override scopesRequest(
    response: DebugProtocol.ScopesResponse,
    args: DebugProtocol.ScopesArguments,
  ) {
    this.run(response, (dbg) =>
      dbg.variables.scopes(this.frame(dbg, args.frameId)).then((scopes) => ({ scopes })),
    );
  }

  protected override variablesRequest(
    response: DebugProtocol.VariablesResponse,
    args: DebugProtocol.VariablesArguments,
  ) {
    this.run(response, async (dbg) => ({
      variables: await dbg.variables.variables(args.variablesReference),
    }));
  }

  protected override setVariableRequest(
    response: DebugProtocol.SetVariableResponse,
    args: DebugProtocol.SetVariableArguments,
  ) {
    this.run(response, (dbg) => dbg.variables.setVariable(args.variablesReference, args.name, args.value));
  }

  protected override evaluateRequest(
    response: DebugProtocol.EvaluateResponse,
    args: DebugProtocol.EvaluateArguments,
  ) {
    // A hover or Watch refresh about a stop that is gone is nobody's error; a line typed in the console is.
    const staleTolerant = args.context !== 'repl';
    this.run(
      response,
      async (dbg) => {
        const frame = args.frameId === undefined ? undefined : this.frame(dbg, args.frameId);
        if (args.context === 'repl') {
          return {
            result: (await dbg.console.run(args.expression, frame)).replace(/\n$/, ''),
            variablesReference: 0,
          };
        }
        return dbg.variables.evaluate(args.expression, frame);
      },
      undefined,
      staleTolerant,
    );
  }

  /** Debug Console completion; never an error (a toast while typing): no items instead. */
  protected override completionsRequest(
    response: DebugProtocol.CompletionsResponse,
    args: DebugProtocol.CompletionsArguments,
  ): void {
    const dbg = this.dbg;
    const frame = args.frameId === undefined ? undefined : dbg?.frames.get(args.frameId);
    const line = args.line === undefined ? 0 : this.convertClientLineToDebugger(args.line) - 1;
    const column = this.convertClientColumnToDebugger(args.column) - 1;
    const targets = dbg?.completions.complete(args.text, line, column, frame) ?? Promise.resolve([]);
    void targets
      .catch(() => [])
      .then((items) => {
        response.body = {
          targets: items.map((c) => ({ ...c, start: this.convertDebuggerColumnToClient(c.start + 1) })),
        };
        this.sendResponse(response);
      });
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.resume(response, 0, 'continue');
  }

  /** A resume (continue or step): its stop is sent only after its response (see ExecutionService). */
  private resume(response: Response, threadId: number, kind: 'continue' | StepKind): void {
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

  protected override nextRequest(
    response: DebugProtocol.NextResponse,
    args: DebugProtocol.NextArguments,
  ): void {
    this.resume(response, args.threadId, args.granularity === 'instruction' ? 'next-instruction' : 'next');
  }

  protected override stepInRequest(
    response: DebugProtocol.StepInResponse,
    args: DebugProtocol.StepInArguments,
  ): void {
    this.resume(response, args.threadId, args.granularity === 'instruction' ? 'step-instruction' : 'step');
  }

  protected override stepOutRequest(
    response: DebugProtocol.StepOutResponse,
    args: DebugProtocol.StepOutArguments,
  ): void {
    this.resume(response, args.threadId, 'finish');
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.run(response, (dbg) => dbg.execution.pause());
  }

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    this.run(response, async (dbg) => {
      const path = args.source.path;
      if (path === undefined) return { breakpoints: [] };
      return { breakpoints: await dbg.breakpoints.setSourceBreakpoints(path, args.breakpoints ?? []) };
    });
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.run(response, async (dbg) => ({
      breakpoints: await dbg.breakpoints.setFunctionBreakpoints(args.breakpoints),
    }));
  }

  protected override setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse,
    args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): void {
    this.run(response, async (dbg) => ({
      breakpoints: await dbg.breakpoints.setInstructionBreakpoints(args.breakpoints),
    }));
  }

  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    this.run(response, async (dbg) => {
      const target = await dbg.variables.expressionOf(args.variablesReference, args.name);
      if (target === undefined)
        return {
          dataId: null,
          description: `${args.name} cannot be watched (registers and bit fields are not memory)`,
        };
      return {
        dataId: target.expression,
        description: `${target.expression} (hardware watchpoint)`,
        accessTypes: ['write', 'read', 'readWrite'] as DebugProtocol.DataBreakpointAccessType[],
        canPersist: target.frame === undefined,
      };
    });
  }

  protected override setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    this.run(response, async (dbg) => ({
      breakpoints: await dbg.breakpoints.setDataBreakpoints(args.breakpoints),
    }));
  }

  protected override disassembleRequest(
    response: DebugProtocol.DisassembleResponse,
    args: DebugProtocol.DisassembleArguments,
  ) {
    this.run(response, async (dbg) => ({ instructions: await dbg.memory.disassemble(args) }));
  }

  protected override readMemoryRequest(
    response: DebugProtocol.ReadMemoryResponse,
    args: DebugProtocol.ReadMemoryArguments,
  ) {
    this.run(response, (dbg) => dbg.memory.read(args.memoryReference, args.offset ?? 0, args.count));
  }

  protected override writeMemoryRequest(
    response: DebugProtocol.WriteMemoryResponse,
    args: DebugProtocol.WriteMemoryArguments,
  ) {
    this.run(response, async (dbg) => ({
      bytesWritten: await dbg.memory.write(args.memoryReference, args.offset ?? 0, args.data),
    }));
  }

  /**
   * hvdbg's own requests (adapter/protocol/customRequests.ts), routed to their service; and DAP's `modules`,
   * which DebugSession does not dispatch itself: the kernel's modules, an empty list without a kernel.
   */
  protected override customRequest(command: string, response: Response, args: unknown): void {
    if (command === 'modules') {
      this.runUnconnected(response, () => modulesBody(this.dbg?.kernelModules, args ?? {}));
      return;
    }
    const requests = this.dbg?.requests;
    if (requests?.has(command) === true) {
      this.run(response, () => requests.run(command, args));
      return;
    }
    if (command.startsWith('hvdbg/')) {
      // Before attach: "needs a guest"; attached: a request this session has no service for.
      this.run(response, () =>
        Promise.reject(new UserInputError(`'${command}' is not a request this session answers.`)),
      );
      return;
    }
    super.customRequest(command, response, args);
  }

  private frame(dbg: Debugger, frameId: number) {
    const frame = dbg.frames.get(frameId);
    if (frame === undefined) throw new StaleReferenceError('stack frame');
    return frame;
  }
}
