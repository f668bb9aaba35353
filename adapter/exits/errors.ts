/**
 * Failures of the exits service that are the user's to fix (a trace that is not there, a bad
 * argument): their message is what the user should read. They carry a string `code`, which
 * adapter/dap/errors.ts classifies as not hvdbg's fault (shown as is, without "internal error").
 */
export class ExitsError extends Error {
  override name = 'ExitsError';
  readonly code: string = 'HVDBG_EXITS';
}
