/**
 * Where each hvdbg debug session is, for the views that read the stopped guest (Page Tables, Memory Map,
 * Hypercalls, Paravirt): stopped or running, which vCPU stopped, and a stop counter that tells a view its
 * answers are stale. Fed by a DebugAdapterTracker watching the adapter's `stopped`/`continued` events (as
 * CodeLLDB's modulesView does); state is kept per session and dropped when it ends.
 */
import * as vscode from 'vscode';

export interface StopState {
  readonly session: vscode.DebugSession;
  readonly stopped: boolean;
  /** The DAP thread (vCPU) of the last stop. */
  readonly threadId: number | undefined;
  /** Increases on every stop and every resume. */
  readonly generation: number;
}

interface DapMessage {
  readonly type?: string;
  readonly event?: string;
  readonly body?: { readonly threadId?: number };
}

export class StopsStore implements vscode.Disposable {
  private readonly states = new Map<string, StopState>();
  private readonly changed = new vscode.EventEmitter<StopState | undefined>();
  /** A session stopped, resumed or ended (undefined: the active session or stack item changed). */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      this.changed,
      vscode.debug.registerDebugAdapterTrackerFactory('hvdbg', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: DapMessage) => {
            if (message.type !== 'event') return;
            if (message.event === 'stopped') this.set(session, true, message.body?.threadId);
            else if (message.event === 'continued') this.set(session, false, undefined);
          },
          onExit: () => this.drop(session.id),
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((s) => this.drop(s.id)),
      vscode.debug.onDidChangeActiveDebugSession(() => this.changed.fire(undefined)),
      vscode.debug.onDidChangeActiveStackItem(() => this.changed.fire(undefined)),
    ];
  }

  private set(session: vscode.DebugSession, stopped: boolean, threadId: number | undefined): void {
    const old = this.states.get(session.id);
    const state: StopState = {
      session,
      stopped,
      threadId: threadId ?? old?.threadId,
      generation: (old?.generation ?? 0) + 1,
    };
    this.states.set(session.id, state);
    this.changed.fire(state);
  }

  private drop(id: string): void {
    if (this.states.delete(id)) this.changed.fire(undefined);
  }

  /** The active hvdbg session's state, or undefined when the active session is not hvdbg's. */
  current(): StopState | undefined {
    const session = vscode.debug.activeDebugSession;
    if (session?.type !== 'hvdbg') return undefined;
    return this.states.get(session.id) ?? { session, stopped: false, threadId: undefined, generation: 0 };
  }

  /**
   * The vCPU the user is looking at: the thread selected in the Call Stack when it belongs to the active
   * session, else the one that stopped last.
   */
  selectedThread(state: StopState): number | undefined {
    const item = vscode.debug.activeStackItem;
    if (item !== undefined && item.session.id === state.session.id) return item.threadId;
    return state.threadId;
  }

  /**
   * What the views show depends on: the active session, its stop, the selected vCPU. Views compare it
   * to skip refreshes when only the selected frame changed.
   */
  viewKey(): string {
    const state = this.current();
    if (state === undefined) return '';
    return `${state.session.id}:${state.generation}:${state.stopped}:${this.selectedThread(state) ?? ''}`;
  }

  /** Calls `refresh` when `viewKey()` changes. */
  onDidChangeView(refresh: () => void): vscode.Disposable {
    let last = this.viewKey();
    return this.onDidChange(() => {
      const key = this.viewKey();
      if (key === last) return;
      last = key;
      refresh();
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.states.clear();
  }
}

/** A failed request's message for the user (DAP errors arrive as Error with the adapter's text). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
