/**
 * A client asked about something from an earlier stop (a frame or variable reference): the guest has
 * run since, and the reference means nothing now. The client's view is simply out of date (VS Code asks
 * for the variables it was showing while a step is under way), so this is no internal error.
 */
export class StaleReferenceError extends Error {
  override name = 'StaleReferenceError';
  constructor(what: 'stack frame' | 'variable') {
    super(`this ${what} is from an earlier stop; the guest has run since`);
  }
}
