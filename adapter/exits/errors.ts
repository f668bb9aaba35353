/**
 * Failures of the exits service that are the user's to fix (a trace that is not there, a bad
 * argument): adapter/dap/errors.ts classifies them as the user's and shows their message as is.
 */
export class ExitsError extends Error {
  override name = 'ExitsError';
}
