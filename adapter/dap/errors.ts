/**
 * The one boundary where failures become what the user sees. Every request handler runs inside
 * {@link runRequest}; errors are classified by blame: the user's configuration or environment (shown as
 * is, they say what to fix), the guest or stub (shown with context), or hvdbg itself (an internal error,
 * logged with its stack).
 */
import { ConfigurationError } from './config';
import { GdbCommandError, GdbExitedError, GdbNotFoundError, GdbTimeoutError } from '../gdb/errors';
import { StubUnreachableError } from '../debugger/connect';
import { QemuLaunchError } from '../target/qemuLauncher';
import { ExitsError } from '../exits/errors';
import { StaleReferenceError } from '../debugger/stale';
import { StubLinkError, TargetRunningError } from '../target/rsp/relay';
import { PhysicalMemoryError } from '../x86/paging/memory';
import { UserInputError } from '../debugger/userInputError';

export type Blame = 'user' | 'target' | 'internal';

export function blameOf(error: unknown): Blame {
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
    error instanceof StaleReferenceError ||
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
