/**
 * Exit counts per time bucket per vCPU, in bounded memory. `whole` keeps the whole trace: when it no
 * longer fits in `maxBuckets`, buckets double in width (pairs merge). `recent` keeps a sliding window of
 * the latest `maxBuckets` fixed-width buckets (a live stream: what happened in the last minute).
 */
import type { ExitTimeline } from '../protocol/customRequests';

export interface TimelineOptions {
  readonly mode: 'whole' | 'recent';
  /** Initial (whole) or fixed (recent) bucket width, ns. */
  readonly bucketNs: number;
  readonly maxBuckets: number;
  /** vCPUs with their own series; further ones are counted under -1. */
  readonly maxSeries?: number;
}

export class Timeline {
  private bucketNs: number;
  private startNs = NaN;
  /** whole: buckets used; recent: absolute index of the newest bucket. */
  private extent = 0;
  /** recent: absolute index of the first bucket with an exit (the window never starts before it). */
  private firstAbs = 0;
  private readonly series = new Map<number, Float64Array>();
  private readonly maxSeries: number;

  constructor(private readonly options: TimelineOptions) {
    if (!(options.maxBuckets >= 2) || !(options.bucketNs > 0)) throw new RangeError('bad timeline options');
    this.bucketNs = options.bucketNs;
    this.maxSeries = options.maxSeries ?? 64;
  }

  add(tsNs: number, vcpu: number): void {
    const counts = this.counts(vcpu);
    if (this.options.mode === 'whole') this.addWhole(tsNs, counts);
    else this.addRecent(tsNs, counts);
  }

  private counts(vcpu: number): Float64Array {
    let c = this.series.get(vcpu);
    if (c === undefined) {
      if (this.series.size >= this.maxSeries && vcpu !== -1) return this.counts(-1);
      c = new Float64Array(this.options.maxBuckets);
      this.series.set(vcpu, c);
    }
    return c;
  }

  private addWhole(tsNs: number, counts: Float64Array): void {
    if (Number.isNaN(this.startNs)) this.startNs = tsNs;
    let i = Math.floor((tsNs - this.startNs) / this.bucketNs);
    if (i < 0) i = 0; // out-of-order lines before the first one
    while (i >= this.options.maxBuckets) {
      this.mergePairs();
      i = Math.floor((tsNs - this.startNs) / this.bucketNs);
    }
    counts[i] = (counts[i] ?? 0) + 1;
    if (i + 1 > this.extent) this.extent = i + 1;
  }

  private mergePairs(): void {
    const n = this.options.maxBuckets;
    for (const c of this.series.values()) {
      for (let i = 0; i < n / 2; i++) c[i] = (c[2 * i] ?? 0) + (c[2 * i + 1] ?? 0);
      c.fill(0, Math.floor(n / 2));
    }
    this.bucketNs *= 2;
    this.extent = Math.ceil(this.extent / 2);
  }

  private addRecent(tsNs: number, counts: Float64Array): void {
    const n = this.options.maxBuckets;
    const abs = Math.floor(tsNs / this.bucketNs);
    if (Number.isNaN(this.startNs)) {
      this.startNs = 0;
      this.extent = abs;
      this.firstAbs = abs;
    }
    if (abs < this.firstAbs) this.firstAbs = Math.max(abs, this.extent - n + 1);
    if (abs > this.extent) {
      // Clear the slots the window moves over.
      const steps = Math.min(abs - this.extent, n);
      for (const c of this.series.values()) {
        for (let k = 1; k <= steps; k++) c[(this.extent + k) % n] = 0;
      }
      this.extent = abs;
    }
    if (abs <= this.extent - n) return; // older than the window
    const slot = abs % n;
    counts[slot] = (counts[slot] ?? 0) + 1;
  }

  snapshot(): ExitTimeline {
    const n = this.options.maxBuckets;
    const vcpus = [...this.series.keys()].sort((a, b) => a - b);
    if (Number.isNaN(this.startNs)) {
      return { startNs: 0, bucketNs: this.bucketNs, mode: this.options.mode, series: [] };
    }
    if (this.options.mode === 'whole') {
      return {
        startNs: this.startNs,
        bucketNs: this.bucketNs,
        mode: 'whole',
        series: vcpus.map((vcpu) => ({
          vcpu,
          counts: Array.from((this.series.get(vcpu) ?? new Float64Array(0)).subarray(0, this.extent)),
        })),
      };
    }
    const first = Math.max(this.firstAbs, this.extent - n + 1);
    return {
      startNs: first * this.bucketNs,
      bucketNs: this.bucketNs,
      mode: 'recent',
      series: vcpus.map((vcpu) => {
        const c = this.series.get(vcpu) ?? new Float64Array(n);
        const counts: number[] = [];
        for (let abs = first; abs <= this.extent; abs++) counts.push(abs < 0 ? 0 : (c[abs % n] ?? 0));
        return { vcpu, counts };
      }),
    };
  }
}
