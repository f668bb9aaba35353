/**
 * The outline (document symbols) of a trace: one symbol per vCPU (or per host CPU for exits whose vCPU
 * the trace never names), each listing its exit reasons, most frequent first, with their counts and the
 * lines they span. Selecting a reason goes to its first exit.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver';
import { lineText } from './lineEvent';
import type { ExitGroup, TraceIndex } from './traceIndex';

export function outline(doc: TextDocument, index: TraceIndex): DocumentSymbol[] {
  const span = (first: number, last: number): Range => ({
    start: { line: first, character: 0 },
    end: { line: last, character: lineText(doc, last).length },
  });
  const partial = index.truncated ? ` (first ${index.analysedLines.toLocaleString('en-US')} lines)` : '';
  return index.groups.map((g) => ({
    name: groupName(g),
    detail: `${plural(g.count, 'exit')}${partial}`,
    kind: SymbolKind.Namespace,
    range: span(g.firstLine, g.lastLine),
    selectionRange: span(g.firstLine, g.firstLine),
    children: g.reasons.map((r) => ({
      name: r.reason === '' ? '(no reason)' : r.reason,
      detail: `×${r.count} · ${r.firstLine === r.lastLine ? `line ${r.firstLine + 1}` : `lines ${r.firstLine + 1}–${r.lastLine + 1}`}`,
      kind: SymbolKind.Event,
      range: span(r.firstLine, r.lastLine),
      selectionRange: span(r.firstLine, r.firstLine),
    })),
  }));
}

export function groupName(g: Pick<ExitGroup, 'kind' | 'id'>): string {
  return g.kind === 'vcpu' ? `vCPU ${g.id}` : `host CPU ${g.id}`;
}

function plural(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}
