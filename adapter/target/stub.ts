/**
 * What kind of gdbstub we are talking to. QEMU's stub has extras (monitor commands over `qRcmd`,
 * physical-memory mode); a plain RSP stub has none. Detected once per session, after connecting.
 */
import type { GdbBackend } from '../gdb/backend';
import { GdbCommandError } from '../gdb/errors';
import { monitor } from '../gdb/mi/cli';

export interface StubStrategy {
  readonly name: 'qemu' | 'generic';
  /** Runs a monitor command (QEMU's HMP: `info registers`, `info tlb`, ...) and returns its text. */
  monitor(command: string): Promise<string>;
}

class QemuStub implements StubStrategy {
  readonly name = 'qemu';
  constructor(private readonly gdb: GdbBackend) {}
  monitor(command: string): Promise<string> {
    return monitor(this.gdb, command);
  }
}

class GenericStub implements StubStrategy {
  readonly name = 'generic';
  monitor(command: string): Promise<string> {
    return Promise.reject(new Error(`this gdbstub has no monitor; cannot run '${command}'`));
  }
}

/** Asks the stub for QEMU's `info version`; any answer means QEMU. */
export async function detectStub(gdb: GdbBackend): Promise<StubStrategy> {
  try {
    const version = await monitor(gdb, 'info version', 3000);
    if (/\d+\.\d+/.test(version)) return new QemuStub(gdb);
  } catch (error) {
    if (!(error instanceof GdbCommandError)) throw error;
  }
  return new GenericStub();
}
