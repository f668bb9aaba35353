/**
 * The VM Exits tree (Run and Debug): exit reasons as `perf kvm stat` ranks them (samples, share, mean
 * exit-to-entry time) → the guest RIPs with most exits for each → click: the source line. Above them, the
 * last exits of the vCPU that stopped; below, the vCPUs.
 */
import * as vscode from 'vscode';
import type {
  LastExit,
  LastExitsBody,
  ReasonRow,
  RipRow,
  VcpuRow,
} from '../../adapter/protocol/customRequests';
import type { ExitsStore } from './exitsStore';
import { count, duration, percent, where } from './format';

export const OPEN_LOCATION_COMMAND = 'hvdbg.exits.openLocation';

type Node =
  | { readonly kind: 'last'; readonly body: LastExitsBody }
  | { readonly kind: 'lastExit'; readonly exit: LastExit; readonly index: number }
  | { readonly kind: 'reason'; readonly row: ReasonRow }
  | { readonly kind: 'rip'; readonly reason: string; readonly row: RipRow }
  | { readonly kind: 'vcpus'; readonly rows: readonly VcpuRow[] }
  | { readonly kind: 'vcpu'; readonly row: VcpuRow };

export class ExitsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ExitsStore) {
    this.subscription = store.onDidChange(() => this.changed.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    if (node === undefined) {
      const entry = this.store.current();
      const snapshot = entry?.snapshot;
      const out: Node[] = [];
      if (entry?.lastExits !== undefined) out.push({ kind: 'last', body: entry.lastExits });
      for (const row of snapshot?.reasons ?? []) out.push({ kind: 'reason', row });
      if (snapshot !== undefined && snapshot.vcpus.length > 0)
        out.push({ kind: 'vcpus', rows: snapshot.vcpus });
      return out;
    }
    switch (node.kind) {
      case 'last':
        return node.body.exits.map((exit, index) => ({ kind: 'lastExit' as const, exit, index })).reverse();
      case 'reason':
        return node.row.topRips.map((row) => ({ kind: 'rip' as const, reason: node.row.name, row }));
      case 'vcpus':
        return node.rows.map((row) => ({ kind: 'vcpu' as const, row }));
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'last': {
        const item = new vscode.TreeItem(
          `Last exits of vCPU ${node.body.vcpuIndex}`,
          vscode.TreeItemCollapsibleState.Expanded,
        );
        item.id = 'last';
        item.description = `${node.body.exits.length} at the stop`;
        item.iconPath = new vscode.ThemeIcon('debug-stackframe');
        item.tooltip = `The last kvm_exit events of vCPU ${node.body.vcpuIndex} before the guest stopped (matched by the trace's ${node.body.matchedBy === 'cpu' ? '[cpu] column' : 'vcpu_id'}), newest first.`;
        return item;
      }
      case 'lastExit': {
        const e = node.exit;
        const item = new vscode.TreeItem(`${e.reason}  ${e.rip}`, vscode.TreeItemCollapsibleState.None);
        item.id = `last:${node.index}:${e.tsNs}`;
        const d = e.durationNs === undefined ? '' : `${duration(e.durationNs)} · `;
        item.description = `${d}${where(e.symbol)}`;
        item.tooltip = `t=${(e.tsNs / 1e9).toFixed(6)} s  cpu ${e.cpu}  vcpu ${e.vcpu}  thread ${e.pid}\ninfo1 ${e.info1 ?? '-'}  info2 ${e.info2 ?? '-'}`;
        this.linkSource(item, e.symbol);
        return item;
      }
      case 'reason': {
        const r = node.row;
        const item = new vscode.TreeItem(
          r.name,
          r.topRips.length > 0
            ? vscode.TreeItemCollapsibleState.Collapsed
            : vscode.TreeItemCollapsibleState.None,
        );
        item.id = `reason:${r.name}`;
        item.description = `${count(r.samples)} · ${percent(r.samplesPct)} · mean ${duration(r.meanNs)}`;
        item.tooltip = new vscode.MarkdownString(
          `**${r.name}**${r.description === null ? '' : ` — ${r.description}`}\n\n` +
            `| samples | samples % | time % | min | max | mean |\n|--:|--:|--:|--:|--:|--:|\n` +
            `| ${count(r.samples)} | ${percent(r.samplesPct)} | ${percent(r.timePct)} | ${duration(r.minNs)} | ${duration(r.maxNs)} | ${duration(r.meanNs)} |\n\n` +
            `${count(r.exits)} exits (samples are the exits paired with their entry).`,
        );
        item.iconPath = new vscode.ThemeIcon('debug-step-out');
        item.contextValue = 'hvdbgExitReason';
        return item;
      }
      case 'rip': {
        const r = node.row;
        const item = new vscode.TreeItem(r.rip, vscode.TreeItemCollapsibleState.None);
        item.id = `rip:${node.reason}:${r.rip}`;
        item.description = `${count(r.exits)} · ${where(r.symbol)}`;
        item.iconPath = new vscode.ThemeIcon('symbol-function');
        this.linkSource(item, r.symbol);
        return item;
      }
      case 'vcpus': {
        const item = new vscode.TreeItem('vCPUs', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'vcpus';
        item.description = `${node.rows.length}`;
        return item;
      }
      case 'vcpu': {
        const r = node.row;
        const item = new vscode.TreeItem(
          r.vcpu < 0 ? 'vCPU ?' : `vCPU ${r.vcpu}`,
          vscode.TreeItemCollapsibleState.None,
        );
        item.id = `vcpu:${r.vcpu}`;
        item.description = `${count(r.exits)} exits · ${count(r.samples)} samples · ${duration(r.totalNs)}`;
        return item;
      }
    }
  }

  private linkSource(item: vscode.TreeItem, symbol: RipRow['symbol']): void {
    if (symbol?.path !== undefined && symbol.line !== undefined) {
      item.command = {
        command: OPEN_LOCATION_COMMAND,
        title: 'Open Source',
        arguments: [symbol.path, symbol.line],
      };
      item.tooltip = `${symbol.path}:${symbol.line}`;
    } else if (symbol?.file !== undefined) {
      item.tooltip = `${symbol.file}:${symbol.line ?? '?'} (not found here: map it with "sourceFileMap" or "sourcePaths")`;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
