/**
 * Stack frames: DAP frame ids map to (thread, level) for the current stop; they are invalid once the
 * target runs.
 */
import { Handles, StackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GdbBackend } from '../gdb/backend';
import { listFrames, stackDepth, type FrameInfo } from '../gdb/mi/stack';
import type { SourceResolver } from './sources';

export interface FrameRef {
  readonly threadId: number;
  readonly level: number;
  readonly pc: string;
}

/** Frames counted for `totalFrames` at most (a corrupt stack must not unwind forever). */
const MAX_DEPTH = 512;

/** gdb ends a kernel stack with a frame at address 0 below the entry code: not a frame. */
function isBottomSentinel(f: FrameInfo): boolean {
  return (f.func === undefined || f.func === '??') && BigInt(f.addr) === 0n;
}

export class FrameService {
  private handles = new Handles<FrameRef>();
  /** This stop's stack depth per thread, as the client pages through it. */
  private depths = new Map<number, Promise<number>>();

  constructor(
    private readonly gdb: GdbBackend,
    private readonly sources: SourceResolver,
  ) {}

  reset(): void {
    this.handles = new Handles<FrameRef>();
    this.depths = new Map();
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
    const listed = await listFrames(this.gdb, threadId, start, start + count - 1);
    const frames = listed.filter((f) => !isBottomSentinel(f));
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
    // A full page may not be the end: count the stack once per stop, so "Load more" is right.
    const shown = start + frames.length;
    const totalFrames =
      frames.length === count ? Math.max(shown, await this.depth(threadId).catch(() => shown + 1)) : shown;
    return { stackFrames, totalFrames };
  }

  /** The number of real frames (without gdb's bottom sentinel) of a thread at this stop. */
  private depth(threadId: number): Promise<number> {
    let depth = this.depths.get(threadId);
    if (depth === undefined) {
      depth = (async () => {
        const n = await stackDepth(this.gdb, threadId, MAX_DEPTH);
        if (n === 0) return 0;
        const [bottom] = await listFrames(this.gdb, threadId, n - 1, n - 1);
        return bottom !== undefined && isBottomSentinel(bottom) ? n - 1 : n;
      })();
      this.depths.set(threadId, depth);
    }
    return depth;
  }
}
