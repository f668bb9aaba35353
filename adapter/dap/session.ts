/**
 * The hvdbg debug session: a thin router from DAP requests to the services in adapter/debugger/ (the
 * boundary and the lifetime are its base classes: adapter/dap/boundary.ts, adapter/dap/lifecycle.ts).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Debugger } from '../debugger/debugger';
import { modulesBody } from '../kernel/dapModules';
import { StaleReferenceError } from '../debugger/stale';
import { UserInputError } from '../debugger/userInputError';
import { LifecycleSession } from './lifecycle';

type Response = DebugProtocol.Response;

export class HvdbgSession extends LifecycleSession {
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
