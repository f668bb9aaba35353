/** gdb settings hvdbg relies on (`-gdb-set`; GDB manual, "GDB/MI Miscellaneous Commands"). */
import type { MiPort } from '../backend';

/**
 * The settings of every hvdbg session, before it connects: MI async mode, no pager or confirmation,
 * the DWARF index cache, compact values, no frame arguments in stop records (hvdbg never shows them:
 * 0.1 ms a step), pending breakpoints for modules loaded later, and a TCP timeout in seconds.
 */
export async function sessionSettings(gdb: MiPort, connectTimeoutMs: number): Promise<void> {
  for (const setting of [
    'mi-async on',
    'pagination off',
    'confirm off',
    'index-cache enabled on',
    'print pretty off',
    'print frame-arguments none',
    'breakpoint pending on',
    'tcp auto-retry off',
    `tcp connect-timeout ${Math.max(1, Math.ceil(connectTimeoutMs / 1000) - 1)}`,
  ]) {
    await gdb.mi(`-gdb-set ${setting}`);
  }
}

/** Without a program gdb does not know the target: an x86-64 guest. */
export async function setX86_64(gdb: MiPort): Promise<void> {
  await gdb.mi('-gdb-set architecture i386:x86-64');
}

/** Steps move only the stepped vCPU (`scheduler-locking step`): the others stay where they stopped. */
export async function lockSchedulerOnStep(gdb: MiPort): Promise<void> {
  await gdb.mi('-gdb-set scheduler-locking step');
}

/** `print frame-arguments`: `scalars` while a user's console command runs (as at a gdb prompt), else `none`. */
export async function frameArguments(gdb: MiPort, show: 'scalars' | 'none'): Promise<void> {
  await gdb.mi(`-gdb-set print frame-arguments ${show}`);
}

/** `trust-readonly-sections`: read `.text` from the ELF file instead of the target (comparing the two). */
export async function trustReadonlySections(gdb: MiPort, on: boolean): Promise<void> {
  await gdb.mi(`-gdb-set trust-readonly-sections ${on ? 'on' : 'off'}`);
}
