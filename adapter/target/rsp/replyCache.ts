/**
 * Answers that cannot change while the guest is stopped, kept by the relay so that gdb's repeats of them
 * do not cost a round trip to the stub (gdb asks for the thread list at every stop, and reads the same
 * bytes around the PC several times per step):
 *
 * - memory reads (`m addr,len`): valid until the guest resumes or anything could change memory or the
 *   vCPU it is read through (`M`, `X`, `P`, `G`, `Z`, `z`, `H`, `Q...`, monitor commands);
 * - the thread list (`qfThreadInfo`, `qsThreadInfo`... `l`): QEMU's vCPUs change only by CPU hotplug, so
 *   the list is kept across stops and dropped after any monitor command (hotplug from the Debug Console)
 *   or a stop reply naming a thread it lacks (a hot-added vCPU).
 */

/** Requests after which remembered memory contents may be stale. */
const INVALIDATES_MEMORY = /^(?:[MXPGZzHQ]|qRcmd|vFile|vRun|vAttach|R)/;
const MEMORY_READ = /^m[0-9a-fA-F]+,[0-9a-fA-F]+$/;

export class ReplyCache {
  private readonly memory = new Map<string, Buffer>();
  private threadList: Buffer[] | undefined;
  private threadListRecording: Buffer[] | undefined;
  private threadListCursor: number | undefined;
  /** Thread ids (`p1.2`) in the cached list, for stop replies. */
  private threadIds = new Set<string>();
  /** Replies answered here (for tests and the benchmark). */
  hits = 0;

  /**
   * Called for each request gdb sends while the guest is stopped: the framed reply (`$...#cs`) to
   * answer locally, or undefined to forward the request to the stub.
   */
  lookup(request: string): Buffer | undefined {
    const reply = this.find(request);
    if (reply !== undefined) this.hits++;
    return reply;
  }

  /**
   * Called with the reply the stub gave to the request gdb sent last (its body as sent); `frame` gives
   * the reply as it was on the wire (a copy), asked for only when the reply is kept.
   */
  record(request: string, replyBody: Buffer, frame: () => Buffer): void {
    if (MEMORY_READ.test(request)) {
      if (replyBody.length > 0 && replyBody[0] !== 0x45 /* E */) this.memory.set(request, frame());
      return;
    }
    if (this.threadListRecording !== undefined && /^q[fs]ThreadInfo$/.test(request)) {
      const framed = frame();
      this.threadListRecording.push(framed);
      if (replyBody.length === 1 && replyBody[0] === 0x6c /* l: end of list */) {
        this.threadList = this.threadListRecording;
        this.threadIds = new Set(
          this.threadList.flatMap((r) =>
            r
              .toString('latin1')
              .replace(/^\$m?|#..$/g, '')
              .split(','),
          ),
        );
        this.threadListRecording = undefined;
      }
    }
  }

  /** The guest resumes: memory may change. */
  resumed(): void {
    this.memory.clear();
    this.threadListCursor = undefined;
  }

  /** A stop reply: a thread the list lacks means the vCPUs changed. */
  stopped(stopReply: string): void {
    const thread = /thread:([^;]+);/.exec(stopReply)?.[1];
    if (thread !== undefined && this.threadList !== undefined && !this.threadIds.has(thread)) {
      this.threadList = undefined;
    }
  }

  private find(request: string): Buffer | undefined {
    if (INVALIDATES_MEMORY.test(request)) {
      this.memory.clear();
      if (request.startsWith('qRcmd')) this.threadList = undefined;
    }
    if (request.startsWith('m')) {
      this.threadListCursor = undefined;
      return this.memory.get(request);
    }
    if (request === 'qfThreadInfo') {
      if (this.threadList === undefined) {
        this.threadListRecording = [];
        this.threadListCursor = undefined;
        return undefined;
      }
      this.threadListCursor = 1;
      return this.threadList[0];
    }
    if (request === 'qsThreadInfo' && this.threadList !== undefined && this.threadListCursor !== undefined) {
      return this.threadList[this.threadListCursor++];
    }
    this.threadListCursor = undefined;
    return undefined;
  }
}
