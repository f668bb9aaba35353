/** The hypercall feature's own failure: the user's, shown as is. */
import { UserInputError } from '../debugger/userInputError';

/** A request's arguments are wrong, or the session cannot answer it: shown to the user as is. */
export class HypercallRequestError extends UserInputError {
  override name = 'HypercallRequestError';
  /** A string `code` makes the DAP error boundary show the message as is (adapter/dap/errors.ts). */
  readonly code = 'HVDBG_HYPERCALL';
}
