/**
 * The problems of a trace, for diagnostics: lost-event markers (warnings), lines that could not be
 * parsed (errors when they look like tracepoint lines, warnings for other text), and exits whose reason
 * KVM's tables do not name (information). Bounded: past `max`, problems are only counted.
 */
import type { Problem, ProblemSeverity } from './traceIndex';

/** A tracepoint line's marks: a `[cpu]` column, a timestamp followed by `:`, or a `kvm_*:` event name. */
const LOOKS_LIKE_TRACE = /\[\d{1,4}\]\s|\d+\.\d{6,9}:|\bkvm_\w+:/;

export class ProblemCollector {
  readonly problems: Problem[] = [];
  omitted = 0;

  constructor(private readonly max: number) {}

  /** `cpu` -1: the marker does not say; `count` null: nor how many (ftrace `[LOST EVENTS]`). */
  lost(line: number, cpu: number, count: number | null): void {
    const what =
      count === null ? 'Events were lost' : `${count} event${count === 1 ? ' was' : 's were'} lost`;
    const where = cpu >= 0 ? ` on CPU ${cpu}` : '';
    this.add(
      line,
      'warning',
      `${what}${where} (the ring buffer overflowed): exits and entries around here may be unpaired and counts low.`,
    );
  }

  /** `text` is the line (already escaped), `why` the parser's reason. */
  unparsed(line: number, text: string, why: string): void {
    if (LOOKS_LIKE_TRACE.test(text)) this.add(line, 'error', `Cannot parse this trace line: ${why}.`);
    else this.add(line, 'warning', `Not a trace line (${why}).`);
  }

  unknownReason(line: number, reason: string): void {
    this.add(line, 'information', `Exit reason "${reason}" is not in KVM's VMX or SVM exit-reason tables.`);
  }

  private add(line: number, severity: ProblemSeverity, message: string): void {
    if (this.problems.length < this.max) this.problems.push({ line, severity, message });
    else this.omitted++;
  }
}
