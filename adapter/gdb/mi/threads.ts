/** Threads (GDB manual, "GDB/MI Thread Commands"). Under QEMU's gdbstub each thread is a vCPU. */
import type { MiPort } from '../backend';
import { isTuple, optString, reqString, tupleList } from '../miValues';

export interface ThreadInfo {
  /** gdb's global thread number. */
  readonly id: number;
  /** The stub's name, e.g. "Thread 1.2 (CPU#1 [halted ])". */
  readonly targetId: string;
  /** The vCPU index when the stub says it (QEMU: "CPU#n"). */
  readonly cpuIndex: number | undefined;
  readonly state: 'stopped' | 'running';
}

export interface ThreadList {
  readonly threads: ThreadInfo[];
  readonly currentId: number | undefined;
}

export async function listThreads(gdb: MiPort): Promise<ThreadList> {
  const result = await gdb.mi('-thread-info');
  const threads = tupleList(result, 'threads').map((t) => {
    const targetId = reqString(t, 'target-id');
    const cpu = /CPU#(\d+)/.exec(targetId);
    return {
      id: Number.parseInt(reqString(t, 'id'), 10),
      targetId,
      cpuIndex: cpu?.[1] !== undefined ? Number.parseInt(cpu[1], 10) : undefined,
      state: optString(t, 'state') === 'running' ? ('running' as const) : ('stopped' as const),
    };
  });
  const current = optString(result, 'current-thread-id');
  return { threads, currentId: current === undefined ? undefined : Number.parseInt(current, 10) };
}

/** `-thread-select N`: the thread gdb's CLI commands apply to. */
export async function selectThread(gdb: MiPort, threadId: number): Promise<void> {
  await gdb.mi(`-thread-select ${threadId}`);
}

/** Each thread's current PC (`-thread-info`'s frames), by gdb thread id; undefined where gdb has no frame. */
export async function threadPcs(gdb: MiPort): Promise<Map<number, bigint | undefined>> {
  const result = await gdb.mi('-thread-info');
  const pcs = new Map<number, bigint | undefined>();
  for (const t of tupleList(result, 'threads')) {
    const frame = t['frame'];
    const addr = isTuple(frame) ? optString(frame, 'addr') : undefined;
    pcs.set(Number.parseInt(reqString(t, 'id'), 10), addr === undefined ? undefined : BigInt(addr));
  }
  return pcs;
}
