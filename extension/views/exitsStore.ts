/**
 * What the VM Exits views show, per debug session (fed by the adapter's custom events) and per trace
 * opened without one (fed by an in-process ExitTraceService): the latest statistics, the last exits at
 * the latest stop. An entry lives as long as its session: it is dropped when the session ends.
 */
import * as vscode from 'vscode';
import type { ExitSnapshot, LastExitsBody } from '../../adapter/protocol/customRequests';

export interface ExitsEntry {
  /** The debug session's id, or `file:<path>` for a trace opened without a session. */
  readonly key: string;
  readonly session: vscode.DebugSession | undefined;
  snapshot: ExitSnapshot | undefined;
  lastExits: LastExitsBody | undefined;
  /** Released with the entry (an in-process trace reader). */
  readonly resources: vscode.Disposable[];
}

export class ExitsStore implements vscode.Disposable {
  private readonly entries = new Map<string, ExitsEntry>();
  /** The entry last opened or updated by the user's action: shown when no hvdbg session is active. */
  private lastKey: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  entry(key: string, session?: vscode.DebugSession): ExitsEntry {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { key, session, snapshot: undefined, lastExits: undefined, resources: [] };
      this.entries.set(key, e);
    }
    return e;
  }

  /** New statistics; older ones (by sequence number of the same source) are ignored. */
  setSnapshot(key: string, snapshot: ExitSnapshot, session?: vscode.DebugSession): void {
    const e = this.entry(key, session);
    const old = e.snapshot;
    if (old !== undefined && old.source.id === snapshot.source.id && old.seq > snapshot.seq) return;
    e.snapshot = snapshot;
    this.lastKey ??= key;
    this.changed.fire();
  }

  setLastExits(key: string, body: LastExitsBody, session?: vscode.DebugSession): void {
    this.entry(key, session).lastExits = body;
    this.changed.fire();
  }

  /** Makes `key` the entry shown when no hvdbg session is active. */
  select(key: string): void {
    this.lastKey = key;
    this.changed.fire();
  }

  /** The entry the views show: the active hvdbg session's, else the last selected one. */
  current(): ExitsEntry | undefined {
    const active = vscode.debug.activeDebugSession;
    const bySession = active === undefined ? undefined : this.entries.get(active.id);
    if (bySession?.snapshot !== undefined) return bySession;
    const last = this.lastKey === undefined ? undefined : this.entries.get(this.lastKey);
    return last ?? [...this.entries.values()].reverse().find((e) => e.snapshot !== undefined);
  }

  remove(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    for (const r of e.resources) r.dispose();
    if (this.lastKey === key) this.lastKey = undefined;
    this.changed.fire();
  }

  refresh(): void {
    this.changed.fire();
  }

  get hasData(): boolean {
    return [...this.entries.values()].some((e) => e.snapshot !== undefined);
  }

  dispose(): void {
    for (const key of [...this.entries.keys()]) this.remove(key);
    this.changed.dispose();
  }
}
