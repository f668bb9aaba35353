/**
 * One pass over a trace document: the scanner of adapter/vmexits in its record mode (no object per line:
 * a 117 MB trace scans in about half a second, where building `TraceEvent`s takes twenty times longer),
 * fed 1 MB at a time with a turn of the event loop in between, so that hovers and newer edits are served
 * during a long pass and a stale pass stops early. Documents longer than `maxAnalysedChars` are read from
 * the top to the last line end within it.
 */
import { RecordScanner } from '../vmexits/parser';
import { K, type ScanRecord } from '../vmexits/record';
import { printable } from '../vmexits/bytes';
import { ExitGroupCounter } from './exitGroups';
import { FoldCollector } from './folds';
import { ProblemCollector } from './problems';
import type { AnalysisLimits, TraceIndex } from './traceIndex';

const CHUNK_CHARS = 1 << 20;

/** The index of `text`, or null when `cancelled()` turned true during the pass. */
export async function analyzeText(
  text: string,
  limits: AnalysisLimits,
  cancelled: () => boolean = () => false,
): Promise<TraceIndex | null> {
  let stop = text.length;
  if (stop > limits.maxAnalysedChars) stop = text.lastIndexOf('\n', limits.maxAnalysedChars - 1) + 1;
  const truncated = stop < text.length;

  const groups = new ExitGroupCounter();
  const problems = new ProblemCollector(limits.maxProblems);
  const folds = new FoldCollector(limits.maxFolds);
  let isa: TraceIndex['isa'] = null;
  let exits = 0;
  const scanner = new RecordScanner((rec: ScanRecord, b: Buffer, start: number, end: number) => {
    const line = rec.lineNo - 1;
    switch (rec.kind) {
      case K.blank:
      case K.comment:
      case K.header:
        return folds.header(line, rec.kind === K.blank);
      case K.lost:
        folds.event(line);
        return problems.lost(line, rec.cpu, rec.n0 < 0 ? null : rec.n0);
      case K.unparsed:
        folds.event(line);
        return problems.unparsed(line, printable(b, start, end), rec.why);
      case K.exit: {
        exits++;
        const key = rec.reason?.key;
        const reason = key?.name ?? '';
        if (isa === null && (key?.isa === 'vmx' || key?.isa === 'svm')) isa = key.isa;
        if (key?.code === null) problems.unknownReason(line, reason);
        groups.exit(rec.vcpu, rec.pid, rec.cpu, reason, line);
        return folds.exit(rec.pid, line);
      }
      case K.entry:
        groups.entry(rec.vcpu, rec.pid);
        return folds.entry(rec.pid, line);
      default:
        return folds.event(line);
    }
  });

  for (let pos = 0; pos < stop;) {
    let next = Math.min(stop, pos + CHUNK_CHARS);
    if (next < stop) next = text.indexOf('\n', next) + 1 || stop;
    scanner.push(text.slice(pos, next));
    pos = next;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (cancelled()) return null;
  }
  scanner.end();

  return {
    groups: groups.finish(),
    problems: problems.problems,
    problemsOmitted: problems.omitted,
    folds: folds.folds,
    vcpuByPid: groups.vcpuByPid,
    isa,
    analysedLines: scanner.counts.lines,
    truncated,
    exits,
    events: scanner.counts.events,
  };
}
