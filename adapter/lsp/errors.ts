/**
 * Failures of the language server, named by who can fix them. The server's one boundary (boundary.ts)
 * shows a `UserError` to the user once and logs everything else.
 */

/** Something the user can fix: a setting, a missing tool. */
export class UserError extends Error {
  override readonly name: string = 'UserError';
}

/** `hvdbg.traces.symbolFile` names no readable file. */
export class SymbolFileError extends UserError {
  override readonly name = 'SymbolFileError';
  constructor(
    readonly file: string,
    cause: string,
  ) {
    super(`hvdbg.traces.symbolFile: cannot read ${file} (${cause}).`);
  }
}

/** addr2line (Debian's binutils) is not installed. */
export class ToolMissingError extends UserError {
  override readonly name = 'ToolMissingError';
  constructor(readonly tool: string) {
    super(
      `${tool} was not found: install binutils (apt-get install binutils) to go from a guest RIP to its source.`,
    );
  }
}

/** The tool did not answer in time or failed; nobody's fault in particular, logged. */
export class ToolFailedError extends Error {
  override readonly name = 'ToolFailedError';
}
