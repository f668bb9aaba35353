/**
 * Running count, total, min, max, mean and variance of exit-to-entry times (Welford's method), as
 * `perf kvm stat` keeps them (tools/perf/util/stat.c `update_stats`, builtin-kvm.c).
 * All times are nanoseconds.
 */
export class DurationStats {
  count = 0;
  totalNs = 0;
  minNs = Infinity;
  maxNs = 0;
  meanNs = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;

  add(ns: number): void {
    this.count++;
    this.totalNs += ns;
    if (ns < this.minNs) this.minNs = ns;
    if (ns > this.maxNs) this.maxNs = ns;
    const delta = ns - this.meanNs;
    this.meanNs += delta / this.count;
    this.m2 += delta * (ns - this.meanNs);
  }

  /** Folds `o` into this (Chan et al.'s parallel combination). */
  merge(o: DurationStats): void {
    if (o.count === 0) return;
    if (this.count === 0) {
      Object.assign(this, o);
      return;
    }
    const n = this.count + o.count;
    const delta = o.meanNs - this.meanNs;
    this.m2 += o.m2 + (delta * delta * this.count * o.count) / n;
    this.meanNs += (delta * o.count) / n;
    this.count = n;
    this.totalNs += o.totalNs;
    if (o.minNs < this.minNs) this.minNs = o.minNs;
    if (o.maxNs > this.maxNs) this.maxNs = o.maxNs;
  }

  /**
   * perf's `( +- x% )`: the standard error of the mean relative to the mean, in percent
   * (`rel_stddev_stats(stddev_stats(...), avg)`); 0 for fewer than two samples.
   */
  relStddevPct(): number {
    if (this.count < 2 || this.meanNs === 0) return 0;
    const variance = this.m2 / (this.count - 1);
    return (100 * Math.sqrt(variance / this.count)) / this.meanNs;
  }
}
