/**
 * Stack frames: DAP frame ids map to (thread, level) for the current stop; they are invalid once the
 * target runs.
 */
import { Handles, StackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GdbBackend } from '../gdb/backend';
import { listFrames } from '../gdb/mi/stack';
import type { SourceResolver } from './sources';

export interface FrameRef {
  readonly threadId: number;
  readonly level: number;
  readonly pc: string;
}

export class FrameService {
  private handles = new Handles<FrameRef>();

  constructor(
    private readonly gdb: GdbBackend,
    private readonly sources: SourceResolver,
  ) {}

  reset(): void {
    this.handles = new Handles<FrameRef>();
  }

  get(frameId: number): FrameRef | undefined {
    return this.handles.get(frameId);
  }

  async stackTrace(
    threadId: number,
    start: number,
    levels: number,
  ): Promise<DebugProtocol.StackTraceResponse['body']> {
    const count = levels > 0 ? levels : 64;
    // gdb ends a kernel stack with a frame at address 0 below the entry point: not a frame.
    const frames = (await listFrames(this.gdb, threadId, start, start + count - 1)).filter(
      (f) => !((f.func === undefined || f.func === '??') && BigInt(f.addr) === 0n),
    );
    const stackFrames = frames.map((f) => {
      const id = this.handles.create({ threadId, level: f.level, pc: f.addr });
      const name = f.func ?? `${f.addr}${f.from === undefined ? '' : ` in ${f.from}`}`;
      const frame: DebugProtocol.StackFrame = new StackFrame(id, name, undefined, f.line ?? 0, 0);
      const source = this.sources.toSource(f.file, f.fullname);
      if (source !== undefined) frame.source = source;
      frame.instructionPointerReference = f.addr;
      if (f.line === undefined) frame.presentationHint = 'subtle';
      return frame;
    });
    // A full page means there may be more: tell the client so it asks for the next page lazily.
    const totalFrames = frames.length === count ? start + count + 1 : start + frames.length;
    return { stackFrames, totalFrames };
  }
}
