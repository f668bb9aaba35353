/**
 * Hypercall breakpoints ("stop when KVM handles KVM_HC_SCHED_YIELD"): the list the user keeps, sent whole
 * to the active hvdbg session with `hvdbg/setHypercallBreakpoints` on every change and on a session's
 * first stop (the adapter plants them in `kvm_emulate_hypercall` with the number test). The list outlives
 * sessions, like VS Code's own breakpoints; the adapter's answers are per session.
 */
import * as vscode from 'vscode';
import {
  type HypercallBreakpoint,
  type HypercallBreakpointResult,
  setHypercallBreakpointsRequest,
} from '../../adapter/protocol/hypercallRequests';
import { sendRequest } from './index';
import { errorText, type StopsStore } from './pageTablesStore';

export interface HypercallBreakpointRow {
  readonly breakpoint: HypercallBreakpoint;
  /** The active session's answer; undefined before one answered. */
  readonly result: HypercallBreakpointResult | undefined;
}

export class HypercallBreakpoints implements vscode.Disposable {
  private list: HypercallBreakpoint[] = [];
  private readonly results = new Map<string, readonly HypercallBreakpointResult[]>();
  private readonly synced = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly stops: StopsStore) {
    this.subscriptions = [
      stops.onDidChange((state) => {
        if (state?.stopped === true && !this.synced.has(state.session.id) && this.list.length > 0)
          void this.sync(state.session);
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        this.synced.delete(s.id);
        this.results.delete(s.id);
      }),
    ];
  }

  rows(): HypercallBreakpointRow[] {
    const session = this.stops.current()?.session;
    const results = session === undefined ? undefined : this.results.get(session.id);
    return this.list.map((breakpoint, i) => ({ breakpoint, result: results?.[i] }));
  }

  async add(call: string | number): Promise<void> {
    if (this.list.some((b) => b.call === call)) return;
    this.list.push({ abi: 'kvm', call });
    await this.syncActive();
  }

  async remove(index: number): Promise<void> {
    this.list.splice(index, 1);
    await this.syncActive();
  }

  private async syncActive(): Promise<void> {
    const session = this.stops.current()?.session;
    if (session !== undefined) await this.sync(session);
    else this.changed.fire();
  }

  private async sync(session: vscode.DebugSession): Promise<void> {
    this.synced.add(session.id);
    try {
      const body = await sendRequest(session, setHypercallBreakpointsRequest, {
        breakpoints: [...this.list],
      });
      this.results.set(session.id, body.breakpoints);
    } catch (error) {
      const message = errorText(error);
      this.results.set(
        session.id,
        this.list.map(() => ({ verified: false, message })),
      );
    }
    this.changed.fire();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
