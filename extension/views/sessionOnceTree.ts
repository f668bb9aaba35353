/**
 * A Run and Debug tree whose content a session gives once, at its first stop (what the loaded kernel
 * holds: hypercall sites, pv_ops): read then, kept per session, read again on "Refresh". The view's
 * description and message come from the answer; a failed read shows as a warning row and is retried at
 * the next look. Subclasses say what to ask and how to show it.
 */
import * as vscode from 'vscode';
import { errorText, type StopsStore } from './pageTablesStore';

/** The row a failed read shows. */
export interface MessageNode {
  readonly kind: 'message';
  readonly text: string;
}

export interface Summary<Node> {
  readonly description: string;
  readonly message: string | undefined;
  readonly nodes: Node[];
}

export abstract class SessionOnceTree<Body, Node extends { readonly kind: string }>
  implements vscode.TreeDataProvider<Node | MessageNode>, vscode.Disposable
{
  private readonly changed = new vscode.EventEmitter<Node | MessageNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly described = new vscode.EventEmitter<void>();
  readonly onDidDescribe = this.described.event;
  private readonly subscriptions: vscode.Disposable[];
  /** Per session: the answer (or its error), read once. */
  private readonly cache = new Map<string, Promise<Body>>();
  description: string | undefined;
  message: string | undefined;

  constructor(
    private readonly stops: StopsStore,
    /** Shown before the first stop, e.g. "pv_ops is read at the next stop." */
    private readonly waiting: string,
    /** Prefixes a failed read's message, e.g. "Cannot read pv_ops". */
    private readonly failure: string,
  ) {
    this.subscriptions = [
      stops.onDidChange((state) => {
        // Only a first stop or a session change matters: what the kernel holds does not move between stops.
        if (state === undefined || (state.stopped && !this.cache.has(state.session.id)))
          this.changed.fire(undefined);
      }),
      vscode.debug.onDidTerminateDebugSession((s) => this.cache.delete(s.id)),
    ];
  }

  /** The custom request that gives the content. */
  protected abstract read(session: vscode.DebugSession): Promise<Body>;
  protected abstract summarize(body: Body): Summary<Node>;
  protected abstract childrenOf(node: Node): Node[];
  protected abstract itemOf(node: Node): vscode.TreeItem;

  refresh(): void {
    const session = this.stops.current()?.session;
    if (session !== undefined) this.cache.delete(session.id);
    this.changed.fire(undefined);
  }

  private describe(description: string | undefined, message: string | undefined): void {
    this.description = description;
    this.message = message;
    this.described.fire();
  }

  async getChildren(node?: Node | MessageNode): Promise<(Node | MessageNode)[]> {
    if (node !== undefined) return isMessage(node) ? [] : this.childrenOf(node);
    const state = this.stops.current();
    if (state === undefined) {
      this.describe(undefined, undefined);
      return [];
    }
    let pending = this.cache.get(state.session.id);
    if (pending === undefined) {
      if (!state.stopped) {
        this.describe(undefined, this.waiting);
        return [];
      }
      pending = this.read(state.session);
      this.cache.set(state.session.id, pending);
    }
    try {
      const summary = this.summarize(await pending);
      this.describe(summary.description, summary.message);
      return summary.nodes;
    } catch (error) {
      this.cache.delete(state.session.id);
      this.describe(undefined, undefined);
      return [{ kind: 'message', text: `${this.failure}: ${errorText(error)}` }];
    }
  }

  getTreeItem(node: Node | MessageNode): vscode.TreeItem {
    if (!isMessage(node)) return this.itemOf(node);
    const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
    item.id = 'message';
    item.tooltip = node.text;
    item.iconPath = new vscode.ThemeIcon('warning');
    return item;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
    this.described.dispose();
  }
}

function isMessage(node: { readonly kind: string }): node is MessageNode {
  return node.kind === 'message';
}
