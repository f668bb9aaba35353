/** Connecting to, detaching from and ending the target (GDB manual, "GDB/MI Target Manipulation"). */
import type { MiPort } from '../backend';

/** `-target-select remote PATH`: connects gdb to the stub (here: the relay's private unix socket). */
export async function selectRemote(gdb: MiPort, where: string, timeoutMs: number): Promise<void> {
  await gdb.mi(`-target-select remote ${where}`, timeoutMs);
}

/** `-target-detach`: the stub lets the guest run on (QEMU resumes its vCPUs on `D`). */
export async function detachTarget(gdb: MiPort, timeoutMs: number): Promise<void> {
  await gdb.mi('-target-detach', timeoutMs);
}

/** gdb's `kill` (RSP `k`): ends the target; QEMU's stub exits QEMU. */
export async function killTarget(gdb: MiPort, timeoutMs: number): Promise<void> {
  await gdb.mi('-interpreter-exec console "kill"', timeoutMs);
}
