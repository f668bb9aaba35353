/**
 * Folding ranges of a trace: the header block at the top (ftrace's `#` comments, trace-cmd's
 * `version = 6` / `cpus=4` lines), and each kvm_exit through the next kvm_entry of the same thread, i.e.
 * the handling of one exit (the companion kvm_pio/kvm_mmio/kvm_msr/... lines and the re-entry). Folding
 * all leaves one line per exit, its reason and RIP in view. When vCPUs interleave, a range that would
 * cross one already kept is dropped (editors accept nested or disjoint ranges only). Bounded by `max`.
 */
import type { Fold } from './traceIndex';

export class FoldCollector {
  readonly folds: Fold[] = [];
  /** Thread id → line of its pending kvm_exit. */
  private readonly pendingExit = new Map<number, number>();
  private firstEventLine = -1;
  private lastHeaderLine = -1;

  constructor(private readonly max: number) {}

  /** A comment, header or blank line (0-based). */
  header(line: number, blank: boolean): void {
    if (this.firstEventLine < 0 && !blank) this.lastHeaderLine = line;
  }

  /** Any other line: the header block ends before the first. */
  event(line: number): void {
    if (this.firstEventLine >= 0) return;
    this.firstEventLine = line;
    if (this.lastHeaderLine >= 1) this.push({ startLine: 0, endLine: this.lastHeaderLine, kind: 'header' });
  }

  exit(pid: number, line: number): void {
    this.event(line);
    this.pendingExit.set(pid, line);
  }

  entry(pid: number, line: number): void {
    this.event(line);
    const start = this.pendingExit.get(pid);
    if (start === undefined) return;
    this.pendingExit.delete(pid);
    if (start < line && !this.crosses(start)) this.push({ startLine: start, endLine: line, kind: 'exit' });
  }

  /** Folds arrive in end-line order, so a new one [start, now] crosses a kept one that ends inside it but starts before it. */
  private crosses(start: number): boolean {
    for (let i = this.folds.length - 1, seen = 0; i >= 0; i--, seen++) {
      const f = this.folds[i] as Fold;
      if (f.endLine < start) return false;
      if (f.startLine < start || seen >= 64) return true;
    }
    return false;
  }

  private push(f: Fold): void {
    if (this.folds.length < this.max) this.folds.push(f);
  }
}
