/**
 * The one boundary where failures become what the user sees. Every request handler runs inside
 * {@link runRequest}; errors are classified by blame: the user's configuration or environment (shown as
 * is, they say what to fix), the guest or stub (shown with context), or hvdbg itself (an internal error,
 * logged with its stack).
 */
import { ConfigurationError } from '../protocol/config';
import { GdbCommandError, GdbExitedError, GdbNotFoundError, GdbTimeoutError } from '../gdb/errors';
import { StubUnreachableError } from '../debugger/connect';
import { QemuLaunchError } from '../target/qemuLauncher';
import { ExitsError } from '../exits/errors';
import { StaleReferenceError } from '../debugger/stale';
import { StubLinkError, TargetRunningError } from '../target/rsp/relay';
import { PhysicalMemoryError } from '../x86/paging/memory';
import { UserInputError } from '../debugger/userInputError';

/**
 * Who a failure is for: the user (their configuration or input: shown as is), the target (the guest or
 * stub: shown with context), hvdbg itself (internal: logged with its stack), or nobody (`stale`: the
 * client asked about a stop that is gone; answered quietly, never a toast).
 */
export type Blame = 'user' | 'target' | 'internal' | 'stale';

/** The DAP error id of each blame, so that a client, a transcript or a test tells them apart. */
export const ERROR_IDS: Readonly<Record<Blame, number>> = {
  user: 1001,
  target: 1002,
  internal: 1003,
  stale: 1004,
};

export function blameOf(error: unknown): Blame {
  if (error instanceof StaleReferenceError) return 'stale';
  if (
    error instanceof ConfigurationError ||
    error instanceof GdbNotFoundError ||
    error instanceof StubUnreachableError ||
    error instanceof QemuLaunchError ||
    error instanceof ExitsError ||
    error instanceof UserInputError
  ) {
    return 'user';
  }
  if (
    error instanceof GdbCommandError ||
    error instanceof GdbExitedError ||
    error instanceof GdbTimeoutError ||
    error instanceof TargetRunningError ||
    error instanceof StubLinkError ||
    error instanceof PhysicalMemoryError ||
    (error instanceof Error && 'code' in error && typeof error.code === 'string')
  ) {
    return 'target';
  }
  return 'internal';
}

/** The text shown to the user for an error. */
export function userMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (blameOf(error) === 'internal') return `hvdbg internal error: ${error.message}`;
  return error.message;
}

/**
 * Requests a client sends again for a stop that is gone (VS Code refreshing the Call Stack, Variables and
 * Watch while a step is under way), with what answers them quietly when they fail for that reason.
 */
const STALE_BODIES: Readonly<Record<string, () => object>> = {
  stackTrace: () => ({ stackFrames: [], totalFrames: 0 }),
  scopes: () => ({ scopes: [] }),
  variables: () => ({ variables: [] }),
};

/** How a failed request is answered: a body (a quiet empty answer) or an error response. */
export type FailureAnswer =
  | { readonly kind: 'body'; readonly body: object }
  | { readonly kind: 'error'; readonly id: number; readonly message: string; readonly showUser: boolean };

/**
 * The answer to a request that failed with `error`. `staleTolerant` says the request is one a client
 * re-sends on its own (not typed by the user), and `guestRunning` that the stop it was about is gone:
 * then the failure is nobody's and the answer stays quiet, an empty body where DAP has one.
 */
export function answerFailure(
  command: string,
  error: unknown,
  staleTolerant: boolean,
  guestRunning: boolean,
): FailureAnswer {
  const blame = staleTolerant && guestRunning && blameOf(error) !== 'internal' ? 'stale' : blameOf(error);
  const message = userMessage(error).replace(/[{}]/g, '');
  if (blame === 'stale') {
    const body = STALE_BODIES[command];
    if (body !== undefined) return { kind: 'body', body: body() };
    return { kind: 'error', id: ERROR_IDS.stale, message, showUser: false };
  }
  return { kind: 'error', id: ERROR_IDS[blame], message, showUser: true };
}
