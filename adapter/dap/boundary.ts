/**
 * The DAP boundary of hvdbg's session: where every request enters (its arguments checked), where every
 * failure becomes what the user sees (by blame: adapter/dap/errors.ts), where requests in flight are
 * tracked so that none is answered after the session's end, and where the transcript sees every message.
 * adapter/dap/lifecycle.ts (attach, launch, the end) and adapter/dap/session.ts (the router) build on it.
 */
import { Response as DapResponse, DebugSession, OutputEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Writable } from 'node:stream';
import { Debugger } from '../debugger/debugger';
import { type LaunchedQemu } from '../target/qemuLauncher';
import { type CommonArguments } from '../protocol/config';
import { answerFailure, blameOf, ERROR_IDS, userMessage } from './errors';
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

export abstract class BoundarySession extends DebugSession {
  protected dbg: Debugger | undefined;
  protected qemu: LaunchedQemu | undefined;
  protected config: CommonArguments | undefined;
  protected supportsProgress = false;
  protected ended = false;
  /** An attach or launch is under way or done: a second one is refused (one session, one guest). */
  protected starting = false;
  protected initialized = false;
  protected configured = false;
  private output: NodeJS.WritableStream | undefined;
  /** Requests whose work is under way, with the promise of their answer: answered before `terminated`. */
  protected readonly inFlight = new Map<Response, Promise<void>>();
  /** Requests the session's end answered while their work went on: their late results are dropped. */
  protected readonly answeredAtEnd = new WeakSet<Response>();

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
  protected startTranscript(args: CommonArguments): void {
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
  protected run<R extends Response>(
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

  protected runUnconnected<R extends Response>(
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
  protected get gone(): boolean {
    const connection = this.dbg?.connection;
    return this.ended || connection?.relay.closed === true || connection?.gdb.hasExited === true;
  }

  protected log(text: string, category: 'console' | 'stderr' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }
}
