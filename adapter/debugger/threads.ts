/** vCPUs as DAP threads: QEMU's stub names each thread "CPU#n"; the user sees "vCPU n". */
import { Thread } from '@vscode/debugadapter';
import type { GdbBackend } from '../gdb/backend';
import { GdbCommandError } from '../gdb/errors';
import { listThreads, type ThreadInfo } from '../gdb/mi/threads';

export function vcpuName(thread: ThreadInfo): string {
  return `vCPU ${thread.cpuIndex ?? thread.id - 1}`;
}

export class ThreadService {
  private cache: Promise<ThreadInfo[]> | undefined;
  private current: number | undefined;
  private lastKnown: ThreadInfo[] = [];

  constructor(private readonly gdb: GdbBackend) {}

  /** Forget what we know: the target ran. */
  invalidate(): void {
    this.cache = undefined;
  }

  async list(): Promise<ThreadInfo[]> {
    this.cache ??= listThreads(this.gdb).then((list) => {
      this.current = list.currentId;
      this.lastKnown = list.threads;
      return list.threads;
    });
    try {
      return await this.cache;
    } catch (error) {
      this.cache = undefined;
      // gdb cannot ask a remote all-stop target for its threads while it runs: the vCPUs are the ones
      // seen at the last stop (a guest does not hot-plug vCPUs behind the debugger's back often).
      if (error instanceof GdbCommandError && /while the target is running/.test(error.gdbMessage)) {
        return this.lastKnown;
      }
      throw error;
    }
  }

  async dapThreads(): Promise<Thread[]> {
    return (await this.list()).map((t) => new Thread(t.id, vcpuName(t)));
  }

  /** gdb's selected thread, or the first vCPU. */
  async currentId(): Promise<number> {
    const threads = await this.list();
    return this.current ?? threads[0]?.id ?? 1;
  }
}
