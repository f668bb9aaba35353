/**
 * "hvdbg: Translate address": a guest-virtual address (typed, or a Variables view entry's pointer or
 * value) through the selected vCPU's page tables (`hvdbg/translate`), each level of the walk shown in a
 * quick pick, then VS Code's memory view on the physical address (`phys:0x…` memory reference, which the
 * adapter's readMemory serves). The walk is also written to the "hvdbg: Translations" output channel.
 */
import * as vscode from 'vscode';
import { translateRequest } from '../../adapter/protocol/pagingRequests';
import { sendRequest } from './index';
import {
  addressOfVariable,
  debugMemoryUriParts,
  hexDump,
  referenceAddress,
  normalizeAddress,
  stepText,
  translationSummary,
} from './pageTablesFormat';
import { errorText, type StopsStore } from './pageTablesStore';

export const TRANSLATE_COMMAND = 'hvdbg.translateAddress';
export const OPEN_PHYSICAL_COMMAND = 'hvdbg.openPhysicalMemory';
const HEX_EDITOR_EXTENSION = 'ms-vscode.hexeditor';
const HEX_EDITOR_VIEW_TYPE = 'hexEditor.hexedit';
/** Bytes shown by the text fallback when the Hex Editor is not installed. */
const DUMP_BYTES = 256;

/** What VS Code passes to a `debug/variables/context` command. */
interface VariablesContext {
  readonly sessionId?: string;
  readonly variable?: { readonly name?: string; readonly value?: string; readonly memoryReference?: string };
}

type WalkItem = vscode.QuickPickItem & { readonly memoryReference?: string };

export class TranslateCommand implements vscode.Disposable {
  private output: vscode.OutputChannel | undefined;

  constructor(private readonly stops: StopsStore) {}

  /** `arg`: a Variables view context, an address string, or nothing (ask). */
  async run(arg?: unknown, rootId?: string): Promise<void> {
    const state = this.stops.current();
    if (state === undefined) {
      void vscode.window.showErrorMessage('hvdbg: Translate address needs an hvdbg debug session.');
      return;
    }
    if (!state.stopped) {
      void vscode.window.showErrorMessage('hvdbg: the guest is running: pause it to translate an address.');
      return;
    }
    let address: string | undefined;
    if (typeof arg === 'string') address = normalizeAddress(arg);
    else if (typeof arg === 'object' && arg !== null && 'variable' in arg) {
      const variable = (arg as VariablesContext).variable ?? {};
      address = addressOfVariable(variable);
      if (address === undefined) {
        void vscode.window.showErrorMessage(
          `hvdbg: "${variable.name ?? '?'}" = ${variable.value ?? '?'} holds no address to translate.`,
        );
        return;
      }
    }
    if (address === undefined) {
      const typed = await vscode.window.showInputBox({
        title: 'Translate a guest-virtual address',
        prompt: 'Hex (0xffffffff81000000) or decimal; walked through the selected vCPU’s page tables.',
        placeHolder: '0xffffffff81000000',
        validateInput: (text) =>
          text.trim() === '' || normalizeAddress(text) !== undefined
            ? undefined
            : 'An address: hex 0x… or decimal, at most 64 bits.',
      });
      if (typed === undefined || typed.trim() === '') return;
      address = normalizeAddress(typed);
      if (address === undefined) return;
    }
    const threadId = this.stops.selectedThread(state);
    let result;
    try {
      const args: { address: string; threadId?: number; rootId?: string } = { address };
      if (rootId !== undefined) args.rootId = rootId;
      else if (threadId !== undefined) args.threadId = threadId;
      result = await sendRequest(state.session, translateRequest, args);
    } catch (error) {
      void vscode.window.showErrorMessage(`hvdbg: cannot translate ${address}: ${errorText(error)}`);
      return;
    }
    const summary = translationSummary(result);
    const items: WalkItem[] = [];
    if (result.physicalMemoryReference !== undefined)
      items.push({
        label: `$(file-binary) Open memory at ${result.physical ?? result.physicalMemoryReference}`,
        description: 'physical',
        memoryReference: result.physicalMemoryReference,
        alwaysShow: true,
      });
    items.push({ label: 'Walk', kind: vscode.QuickPickItemKind.Separator });
    for (const step of result.steps) {
      const text = stepText(step);
      items.push({ label: text.label, detail: text.detail });
    }
    if (!result.ok) items.push({ label: `$(error) ${result.fault ?? 'not mapped'}` });
    this.log([summary, ...result.steps.map((s) => `  ${stepText(s).label}  (${stepText(s).detail})`)]);
    const picked = await vscode.window.showQuickPick(items, {
      title: summary,
      placeHolder: result.ok ? 'Each level of the walk; pick the first row to open the memory' : summary,
      matchOnDetail: true,
    });
    if (picked?.memoryReference !== undefined)
      await openPhysicalMemory(state.session, picked.memoryReference, result.physical ?? address);
  }

  private log(lines: readonly string[]): void {
    this.output ??= vscode.window.createOutputChannel('hvdbg: Translations');
    for (const line of lines) this.output.appendLine(line);
  }

  dispose(): void {
    this.output?.dispose();
  }
}

/**
 * Opens VS Code's memory view on a memory reference, as the Variables view's "View Binary Data" does (it
 * needs the Hex Editor extension); without it, a hex dump of the first bytes read through the adapter's
 * readMemory, in a read-only text editor.
 */
export async function openPhysicalMemory(
  session: vscode.DebugSession,
  memoryReference: string,
  label: string,
): Promise<void> {
  const uri = vscode.Uri.from(debugMemoryUriParts(session.id, memoryReference, label));
  if (vscode.extensions.getExtension(HEX_EDITOR_EXTENSION) !== undefined) {
    await vscode.commands.executeCommand('vscode.openWith', uri, HEX_EDITOR_VIEW_TYPE);
    return;
  }
  let body: { address?: string; data?: string; unreadableBytes?: number } | undefined;
  try {
    body = (await session.customRequest('readMemory', { memoryReference, offset: 0, count: DUMP_BYTES })) as
      { address?: string; data?: string; unreadableBytes?: number } | undefined;
  } catch (error) {
    void vscode.window.showErrorMessage(`hvdbg: cannot read ${memoryReference}: ${errorText(error)}`);
    return;
  }
  const data = Buffer.from(body?.data ?? '', 'base64');
  const base = referenceAddress(body?.address ?? memoryReference) ?? 0n;
  const unreadable = body?.unreadableBytes ?? 0;
  const header = [
    `${memoryReference} (${label}): ${data.length} bytes${unreadable > 0 ? `, ${unreadable} unreadable` : ''}, read at the stop.`,
    `Install the Hex Editor extension (${HEX_EDITOR_EXTENSION}) to browse and edit it in VS Code's memory view (${uri.toString()}).`,
    '',
  ];
  const dumpUri = vscode.Uri.from({
    scheme: MEMORY_DUMP_SCHEME,
    path: `/${memoryReference.replace(/[:/]/g, '-')}.hexdump`,
    query: `${session.id}-${Date.now()}`,
  });
  dumps.set(dumpUri.toString(), `${header.join('\n')}${hexDump(base, data)}\n`);
  const document = await vscode.workspace.openTextDocument(dumpUri);
  await vscode.window.showTextDocument(document, { preview: true });
}

/** The read-only documents of the hex-dump fallback (scheme `hvdbg-memory`), by URI. */
export const MEMORY_DUMP_SCHEME = 'hvdbg-memory';
const dumps = new Map<string, string>();

/** Serves the hex dumps; register once (registerPagingViews). */
export function registerMemoryDumps(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(MEMORY_DUMP_SCHEME, {
    provideTextDocumentContent: (uri) =>
      dumps.get(uri.toString()) ?? 'This memory dump is gone: open it again.',
  });
}
