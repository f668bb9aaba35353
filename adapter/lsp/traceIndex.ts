/**
 * What the server knows about a whole trace document after one pass over it (analyze.ts): the exits
 * grouped by vCPU for the outline, the problems for diagnostics, the folding ranges, and the context a
 * single line's hover needs (a thread's vCPU, the trace's ISA). Lines are 0-based, as in LSP.
 */

/** One exit reason within a group. */
export interface ReasonCount {
  readonly reason: string;
  count: number;
  firstLine: number;
  lastLine: number;
}

/** The exits of one vCPU, or of one host CPU when the trace never says which vCPU ran there. */
export interface ExitGroup {
  readonly kind: 'vcpu' | 'host-cpu';
  readonly id: number;
  readonly count: number;
  readonly firstLine: number;
  readonly lastLine: number;
  /** Most frequent first. */
  readonly reasons: readonly ReasonCount[];
}

export type ProblemSeverity = 'error' | 'warning' | 'information';

export interface Problem {
  readonly line: number;
  readonly severity: ProblemSeverity;
  readonly message: string;
}

export interface Fold {
  readonly startLine: number;
  readonly endLine: number;
  /** `header`: the comment/header block at the top; `exit`: a kvm_exit through its thread's next kvm_entry. */
  readonly kind: 'header' | 'exit';
}

export interface TraceIndex {
  readonly groups: readonly ExitGroup[];
  /** At most `AnalysisLimits.maxProblems`, in line order. */
  readonly problems: readonly Problem[];
  /** Problems found past the cap (not in `problems`). */
  readonly problemsOmitted: number;
  /** At most `AnalysisLimits.maxFolds`, ordered by end line; nested or disjoint, never overlapping. */
  readonly folds: readonly Fold[];
  /** Thread id → the vCPU its `kvm_entry` lines name (KVM runs each vCPU on one thread). */
  readonly vcpuByPid: ReadonlyMap<number, number>;
  /** The ISA of the trace's exits, when they name one. */
  readonly isa: 'vmx' | 'svm' | null;
  /** Lines analysed (from the top). */
  readonly analysedLines: number;
  /** True when the document was longer than `maxAnalysedChars` and only `analysedLines` were read. */
  readonly truncated: boolean;
  readonly exits: number;
  readonly events: number;
}

export interface AnalysisLimits {
  /** Characters of a document analysed, from the top (cut at a line end). */
  readonly maxAnalysedChars: number;
  /** Problems kept for diagnostics; the rest are counted. */
  readonly maxProblems: number;
  /** Folding ranges kept (VS Code shows at most `editor.foldingMaximumRegions`, 5000 by default). */
  readonly maxFolds: number;
}

export const DEFAULT_LIMITS: AnalysisLimits = {
  maxAnalysedChars: 64 * 1024 * 1024,
  maxProblems: 1000,
  maxFolds: 5000,
};
