/**
 * The server's one error boundary: every request handler runs inside `guard`, which answers with a
 * fallback when the handler fails. An error the user can fix (`UserError`: a setting, a missing tool) is
 * shown once, until the settings change (`reset`); anything else goes to the server's log.
 */
import { MessageType, ShowMessageNotification, type Connection } from 'vscode-languageserver';
import { UserError } from './errors';

export class Boundary {
  private readonly shown = new Set<string>();

  constructor(private readonly connection: Connection) {}

  guard<P, R>(what: string, fallback: R, handler: (params: P) => R | Promise<R>): (params: P) => Promise<R> {
    return async (params: P): Promise<R> => {
      try {
        return await handler(params);
      } catch (error) {
        this.report(what, error);
        return fallback;
      }
    };
  }

  report(what: string, error: unknown): void {
    if (!(error instanceof UserError)) {
      this.connection.console.error(`hvdbg: ${what} failed: ${describe(error)}`);
    } else if (!this.shown.has(error.message)) {
      this.shown.add(error.message);
      const params = { type: MessageType.Warning, message: error.message };
      this.connection.sendNotification(ShowMessageNotification.type, params).catch(() => undefined);
    }
  }

  /** The settings changed: show user errors again. */
  reset(): void {
    this.shown.clear();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
