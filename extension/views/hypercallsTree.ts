/**
 * The Hypercalls view (Run and Debug): at each stop, the hypercall the selected vCPU is at (guest side:
 * on or just past a `vmcall`/`vmmcall`/backdoor instruction) or that KVM is handling (hypervisor side:
 * stopped in `kvm_emulate_hypercall`), decoded by the adapter (`hvdbg/hypercall`): ABI, name, arguments
 * by name, the result once there is one; the VM exit KVM is handling (`hvdbg/vmExit`); and the hypercall
 * breakpoints.
 */
import * as vscode from 'vscode';
import {
  hypercallRequest,
  type HypercallBody,
  type HypercallInfo,
  vmExitRequest,
  type VmExitBody,
} from '../../adapter/protocol/hypercallRequests';
import type { HypercallBreakpointRow, HypercallBreakpoints } from './hypercallsBreakpoints';
import { argumentText, hypercallText, resultText, vmExitText } from './hypercallsFormat';
import { sendRequest } from './index';
import { errorText, type StopsStore } from './pageTablesStore';

export type HypercallNode =
  | { readonly kind: 'call'; readonly call: HypercallInfo }
  | {
      readonly kind: 'line';
      readonly id: string;
      readonly label: string;
      readonly description?: string;
      readonly tooltip?: string;
      readonly icon?: string;
    }
  | { readonly kind: 'registers'; readonly call: HypercallInfo }
  | { readonly kind: 'exit'; readonly body: VmExitBody }
  | { readonly kind: 'breakpoints'; readonly rows: readonly HypercallBreakpointRow[] }
  | { readonly kind: 'breakpoint'; readonly row: HypercallBreakpointRow; readonly index: number }
  | { readonly kind: 'message'; readonly id: string; readonly text: string; readonly warning: boolean };

export class HypercallsTreeProvider implements vscode.TreeDataProvider<HypercallNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HypercallNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly described = new vscode.EventEmitter<void>();
  readonly onDidDescribe = this.described.event;
  private readonly subscriptions: vscode.Disposable[];
  message: string | undefined;

  constructor(
    private readonly stops: StopsStore,
    private readonly breakpoints: HypercallBreakpoints,
  ) {
    this.subscriptions = [
      stops.onDidChangeView(() => this.refresh()),
      breakpoints.onDidChange(() => this.refresh()),
    ];
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private setMessage(text: string | undefined): void {
    if (text === this.message) return;
    this.message = text;
    this.described.fire();
  }

  async getChildren(node?: HypercallNode): Promise<HypercallNode[]> {
    if (node !== undefined) return this.childrenOf(node);
    const rows = this.breakpoints.rows();
    const tail: HypercallNode[] = rows.length > 0 ? [{ kind: 'breakpoints', rows }] : [];
    const state = this.stops.current();
    if (state === undefined) {
      this.setMessage(undefined);
      return tail;
    }
    if (!state.stopped) {
      this.setMessage('The guest is running: the call at the next stop shows here.');
      return tail;
    }
    const threadId = this.stops.selectedThread(state);
    const args = threadId === undefined ? {} : { threadId };
    const [call, exit] = await Promise.allSettled([
      sendRequest(state.session, hypercallRequest, args),
      sendRequest(state.session, vmExitRequest, args),
    ]);
    const out: HypercallNode[] = [];
    const none: string[] = [];
    if (call.status === 'rejected')
      out.push({
        kind: 'message',
        id: 'call-error',
        text: `Cannot decode the hypercall: ${errorText(call.reason)}`,
        warning: true,
      });
    else if (call.value.hypercall !== undefined) out.push({ kind: 'call', call: call.value.hypercall });
    else none.push(noneText(call.value));
    if (exit.status === 'fulfilled' && exit.value.exit !== undefined)
      out.push({ kind: 'exit', body: exit.value });
    else if (exit.status === 'rejected')
      out.push({
        kind: 'message',
        id: 'exit-error',
        text: `Cannot decode the VM exit: ${errorText(exit.reason)}`,
        warning: true,
      });
    this.setMessage(out.length === 0 ? none.join(' ') : undefined);
    return [...out, ...tail];
  }

  private childrenOf(node: HypercallNode): HypercallNode[] {
    switch (node.kind) {
      case 'call': {
        const c = node.call;
        const out: HypercallNode[] = c.args.map((arg, i) => {
          const text = argumentText(arg);
          return {
            kind: 'line' as const,
            id: `arg:${i}`,
            label: text.label,
            description: text.description,
            icon: 'symbol-parameter',
          };
        });
        const result = resultText(c);
        out.push({
          kind: 'line',
          id: 'result',
          label: result.label,
          description: result.description,
          icon: c.result?.kind === 'error' ? 'error' : 'debug-step-back',
        });
        if (c.description !== undefined && c.description !== '')
          out.push({
            kind: 'line',
            id: 'description',
            label: c.description,
            tooltip: c.description,
            icon: 'info',
          });
        for (const [i, note] of c.notes.entries())
          out.push({ kind: 'line', id: `note:${i}`, label: note, tooltip: note, icon: 'warning' });
        if (Object.keys(c.registers).length > 0) out.push({ kind: 'registers', call: c });
        return out;
      }
      case 'registers':
        return Object.entries(node.call.registers).map(([name, value]) => ({
          kind: 'line' as const,
          id: `reg:${name}`,
          label: `${name} = ${value}`,
          icon: 'symbol-variable',
        }));
      case 'exit': {
        const e = node.body.exit;
        if (e === undefined) return [];
        const lines: HypercallNode[] = [];
        if (e.description !== undefined)
          lines.push({ kind: 'line', id: 'exit:desc', label: e.description, icon: 'info' });
        if (e.info1 !== undefined)
          lines.push({
            kind: 'line',
            id: 'exit:info1',
            label: `${e.isa === 'svm' ? 'EXITINFO1' : 'qualification'} = ${e.info1}`,
          });
        if (e.info2 !== undefined)
          lines.push({ kind: 'line', id: 'exit:info2', label: `EXITINFO2 = ${e.info2}` });
        if (e.infoText !== undefined) lines.push({ kind: 'line', id: 'exit:text', label: e.infoText });
        lines.push({ kind: 'line', id: 'exit:from', label: `from ${e.frame.function}`, description: e.from });
        return lines;
      }
      case 'breakpoints':
        return node.rows.map((row, index) => ({ kind: 'breakpoint' as const, row, index }));
      default:
        return [];
    }
  }

  getTreeItem(node: HypercallNode): vscode.TreeItem {
    const None = vscode.TreeItemCollapsibleState.None;
    switch (node.kind) {
      case 'call': {
        const text = hypercallText(node.call);
        const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'call';
        item.description = text.description;
        item.tooltip = `${text.label}\n${text.description}\nABI chosen by: ${node.call.abiReason}\nsource: ${node.call.source}`;
        item.iconPath = new vscode.ThemeIcon(node.call.kind === 'known' ? 'symbol-event' : 'question');
        return item;
      }
      case 'registers': {
        const item = new vscode.TreeItem('registers', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'registers';
        item.description = 'as read';
        return item;
      }
      case 'exit': {
        const e = node.body.exit;
        const text = e === undefined ? { label: 'VM exit', description: '', tooltip: '' } : vmExitText(e);
        const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'exit';
        item.description = text.description;
        item.tooltip = text.tooltip;
        item.iconPath = new vscode.ThemeIcon('debug-step-out');
        return item;
      }
      case 'breakpoints': {
        const item = new vscode.TreeItem('Hypercall breakpoints', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'breakpoints';
        item.description = `${node.rows.length}`;
        return item;
      }
      case 'breakpoint': {
        const { breakpoint, result } = node.row;
        const label = result?.name ?? String(breakpoint.call);
        const item = new vscode.TreeItem(label, None);
        item.id = `bp:${node.index}:${String(breakpoint.call)}`;
        item.description =
          result === undefined
            ? 'sent at the next stop'
            : result.verified
              ? `nr ${result.number ?? '?'} · in kvm_emulate_hypercall`
              : (result.message ?? 'not set');
        item.tooltip = result?.message ?? item.description;
        item.iconPath = new vscode.ThemeIcon(
          result === undefined || result.verified
            ? 'debug-breakpoint-function'
            : 'debug-breakpoint-function-unverified',
        );
        item.contextValue = 'hvdbgHypercallBreakpoint';
        return item;
      }
      case 'line': {
        const item = new vscode.TreeItem(node.label, None);
        item.id = node.id;
        if (node.description !== undefined) item.description = node.description;
        item.tooltip =
          node.tooltip ??
          (node.description === undefined ? node.label : `${node.label}\n${node.description}`);
        if (node.icon !== undefined) item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, None);
        item.id = node.id;
        item.tooltip = node.text;
        item.iconPath = new vscode.ThemeIcon(node.warning ? 'warning' : 'info');
        return item;
      }
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
    this.described.dispose();
  }
}

function noneText(body: HypercallBody): string {
  return body.none ?? 'Not at a hypercall.';
}
