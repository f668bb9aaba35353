/**
 * Execution control (GDB manual, "GDB/MI Program Execution"). All commands return when gdb has
 * accepted them (`^running`); the stop arrives as a `stopped` event on the backend.
 */
import type { GdbBackend } from '../backend';

export type StepKind = 'next' | 'step' | 'finish' | 'next-instruction' | 'step-instruction';

export async function continueAll(gdb: GdbBackend): Promise<void> {
  await gdb.execute('-exec-continue');
}

/** Steps `threadId` (a gdb thread id); with scheduler-locking `step` the other vCPUs stay stopped. */
export async function step(gdb: GdbBackend, kind: StepKind, threadId: number, frameLevel = 0): Promise<void> {
  const frame = kind === 'finish' && frameLevel > 0 ? ` --frame ${frameLevel}` : '';
  await gdb.execute(`-exec-${kind} --thread ${threadId}${frame}`);
}

/** Interrupts all vCPUs (all-stop mode; gdb sends the remote protocol's ^C). */
export async function interrupt(gdb: GdbBackend): Promise<void> {
  await gdb.execute('-exec-interrupt --all');
}
