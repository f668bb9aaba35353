/**
 * Diagnostics of a trace from its analysis: each problem on its line, one summary when more problems
 * were found than are listed, and a note where the analysis of a very long document stopped.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { lineText } from './lineEvent';
import type { ProblemSeverity, TraceIndex } from './traceIndex';

const SEVERITY: Record<ProblemSeverity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
};

export const SOURCE = 'hvdbg';

export function diagnostics(doc: TextDocument, index: TraceIndex, maxAnalysedChars: number): Diagnostic[] {
  const onLine = (line: number, severity: DiagnosticSeverity, message: string): Diagnostic => ({
    range: { start: { line, character: 0 }, end: { line, character: lineText(doc, line).length } },
    severity,
    source: SOURCE,
    message,
  });
  const out = index.problems.map((p) => onLine(p.line, SEVERITY[p.severity], p.message));
  if (index.problemsOmitted > 0) {
    const last = index.problems[index.problems.length - 1]?.line ?? 0;
    out.push(
      onLine(
        0,
        DiagnosticSeverity.Information,
        `${index.problemsOmitted.toLocaleString('en-US')} more problems after line ${last + 1} are not listed (only the first ${index.problems.length.toLocaleString('en-US')} are).`,
      ),
    );
  }
  if (index.truncated) {
    const mb = Math.round(maxAnalysedChars / (1024 * 1024));
    out.push(
      onLine(
        Math.min(index.analysedLines, doc.lineCount - 1),
        DiagnosticSeverity.Information,
        `Only the first ${index.analysedLines.toLocaleString('en-US')} lines (${mb} MB) of this trace were analysed: the outline, folding and problems end here. Hover works on every line.`,
      ),
    );
  }
  return out;
}
