/**
 * Folding ranges from the analysis (folds.ts says which): the header block as a comment, each exit's
 * handling (kvm_exit through the thread's kvm_entry) as a region.
 */
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import type { TraceIndex } from './traceIndex';

export function foldingRanges(index: TraceIndex, rangeLimit: number): FoldingRange[] {
  return index.folds.slice(0, rangeLimit).map((f) => ({
    startLine: f.startLine,
    endLine: f.endLine,
    kind: f.kind === 'header' ? FoldingRangeKind.Comment : FoldingRangeKind.Region,
  }));
}
