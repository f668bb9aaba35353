/**
 * Named failures of the gdb layer. The DAP boundary (adapter/dap/errors.ts) decides what the user sees;
 * these only say what went wrong, with text a user can act on.
 */

/** gdb answered a command with `^error`. `gdbMessage` is gdb's own text (the `msg` field). */
export class GdbCommandError extends Error {
  constructor(
    readonly command: string,
    readonly gdbMessage: string,
  ) {
    super(gdbMessage);
    this.name = 'GdbCommandError';
  }
}

/** The gdb executable could not be started (`ENOENT`, `EACCES`). */
export class GdbNotFoundError extends Error {
  constructor(
    readonly gdbPath: string,
    cause: string,
  ) {
    super(
      `Cannot run gdb ('${gdbPath}': ${cause}). Install it (Debian/Ubuntu: 'sudo apt-get install gdb', ` +
        `Fedora: 'sudo dnf install gdb') or set "gdbPath" in the launch configuration to its full path.`,
    );
    this.name = 'GdbNotFoundError';
  }
}

/** gdb exited (or was killed) while hvdbg still needed it. */
export class GdbExitedError extends Error {
  constructor(readonly detail: string) {
    super(`gdb exited: ${detail}`);
    this.name = 'GdbExitedError';
  }
}

/** A command did not answer within its bound. */
export class GdbTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`gdb did not answer '${command}' within ${timeoutMs} ms`);
    this.name = 'GdbTimeoutError';
  }
}

/** Extracts gdb's own message from a gdb-js GDBError ("Error while executing \"cmd\". msg"). */
export function toGdbError(command: string, error: unknown): Error {
  if (error instanceof Error && error.name === 'GDBError') {
    const text = error.message.replace(/^Error while executing "[^]*?"\. /, '');
    return new GdbCommandError(command, text);
  }
  return error instanceof Error ? error : new Error(String(error));
}
