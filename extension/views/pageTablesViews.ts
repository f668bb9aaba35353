/**
 * The paging views of Run and Debug (issue 3): Page Tables, Memory Map, and the "Translate address"
 * command (palette, Variables view context menu, a root's context menu). All three read the stopped
 * session through the adapter's custom requests (adapter/protocol/pagingRequests.ts); the walking and the
 * decoding are the adapter's.
 */
import * as vscode from 'vscode';
import { MemoryMapTreeProvider } from './memoryMapTree';
import { filterInput, filterText, parseMemoryMapFilter } from './pageTablesFormat';
import type { StopsStore } from './pageTablesStore';
import { type PageTableNode, PageTablesTreeProvider } from './pageTablesTree';
import {
  OPEN_PHYSICAL_COMMAND,
  openPhysicalMemory,
  registerMemoryDumps,
  TRANSLATE_COMMAND,
  TranslateCommand,
} from './translateCommand';

export const PAGE_TABLES_VIEW = 'hvdbg.pageTables';
export const MEMORY_MAP_VIEW = 'hvdbg.memoryMap';
const NOT_PRESENT_KEY = 'hvdbg.pageTables.notPresent';
const FILTERED_KEY = 'hvdbg.memoryMap.filtered';

export function registerPagingViews(context: vscode.ExtensionContext, stops: StopsStore): void {
  const tables = new PageTablesTreeProvider(stops);
  const tablesView = vscode.window.createTreeView(PAGE_TABLES_VIEW, {
    treeDataProvider: tables,
    showCollapseAll: true,
  });
  const map = new MemoryMapTreeProvider(stops);
  const mapView = vscode.window.createTreeView(MEMORY_MAP_VIEW, { treeDataProvider: map });
  const translate = new TranslateCommand(stops);

  const setNotPresent = (on: boolean): void => {
    tables.showNotPresent = on;
    tablesView.description = on ? 'with not-present entries' : undefined;
    void vscode.commands.executeCommand('setContext', NOT_PRESENT_KEY, on);
  };

  context.subscriptions.push(
    tables,
    tablesView,
    map,
    mapView,
    translate,
    registerMemoryDumps(),
    tables.onDidChangeMessage((text) => (tablesView.message = text)),
    map.onDidDescribe(() => {
      mapView.description = map.description;
      mapView.message = map.message;
    }),
    vscode.commands.registerCommand('hvdbg.pageTables.refresh', () => tables.refresh()),
    vscode.commands.registerCommand('hvdbg.pageTables.showNotPresent', () => setNotPresent(true)),
    vscode.commands.registerCommand('hvdbg.pageTables.hideNotPresent', () => setNotPresent(false)),
    vscode.commands.registerCommand('hvdbg.pageTables.memoryMapOfRoot', async (node?: PageTableNode) => {
      if (node?.kind !== 'root') return;
      map.root = { id: node.root.id, label: node.root.label };
      map.refresh();
      await vscode.commands.executeCommand(`${MEMORY_MAP_VIEW}.focus`);
    }),
    vscode.commands.registerCommand('hvdbg.pageTables.translateInRoot', (node?: PageTableNode) =>
      node?.kind === 'root' ? translate.run(undefined, node.root.id) : translate.run(),
    ),
    vscode.commands.registerCommand('hvdbg.memoryMap.refresh', () => map.refresh()),
    vscode.commands.registerCommand('hvdbg.memoryMap.filter', async (text?: string) => {
      const typed =
        typeof text === 'string'
          ? text
          : await vscode.window.showInputBox({
              title: 'Filter the memory map',
              prompt:
                'A virtual range (0xSTART-0xEND, 0xSTART-, -0xEND) and/or permissions every range must have (r, w, x, u: e.g. wx). Empty: everything.',
              placeHolder: '0xffffffff80000000-0xffffffffffffffff wx',
              value: filterInput(map.filter),
              validateInput: (value) => {
                const parsed = parseMemoryMapFilter(value);
                return 'error' in parsed ? parsed.error : undefined;
              },
            });
      if (typed === undefined) return;
      const parsed = parseMemoryMapFilter(typed);
      if ('error' in parsed) {
        void vscode.window.showErrorMessage(`hvdbg: memory map filter: ${parsed.error}`);
        return;
      }
      map.filter = parsed.filter;
      void vscode.commands.executeCommand('setContext', FILTERED_KEY, filterText(parsed.filter) !== '');
      map.refresh();
    }),
    vscode.commands.registerCommand('hvdbg.memoryMap.clearFilter', () => {
      map.filter = {};
      map.root = undefined;
      void vscode.commands.executeCommand('setContext', FILTERED_KEY, false);
      map.refresh();
    }),
    vscode.commands.registerCommand(TRANSLATE_COMMAND, (arg?: unknown) => translate.run(arg)),
    vscode.commands.registerCommand(OPEN_PHYSICAL_COMMAND, async (memoryReference?: string) => {
      const state = stops.current();
      if (state === undefined || typeof memoryReference !== 'string') return;
      await openPhysicalMemory(state.session, memoryReference, memoryReference.replace(/^phys:/, ''));
    }),
  );
  void vscode.commands.executeCommand('setContext', NOT_PRESENT_KEY, false);
}
