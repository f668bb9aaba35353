import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Timeline } from '../../../adapter/exits/timeline';

const MS = 1_000_000;

test('whole: counts per bucket per vCPU; buckets double when the trace outgrows them', () => {
  const t = new Timeline({ mode: 'whole', bucketNs: 10 * MS, maxBuckets: 4 });
  for (const [ms, vcpu] of [
    [0, 0],
    [5, 0],
    [15, 1],
    [39, 0],
  ] as const)
    t.add(1000 * MS + ms * MS, vcpu);
  let s = t.snapshot();
  assert.equal(s.bucketNs, 10 * MS);
  assert.deepEqual(s.series, [
    { vcpu: 0, counts: [2, 0, 0, 1] },
    { vcpu: 1, counts: [0, 1, 0, 0] },
  ]);
  t.add(1000 * MS + 45 * MS, 1); // past 4 buckets of 10 ms: 20 ms buckets
  s = t.snapshot();
  assert.equal(s.bucketNs, 20 * MS);
  assert.equal(s.startNs, 1000 * MS);
  assert.deepEqual(s.series, [
    { vcpu: 0, counts: [2, 1, 0] },
    { vcpu: 1, counts: [1, 0, 1] },
  ]);
  const total = s.series.reduce((n, x) => n + x.counts.reduce((a, b) => a + b, 0), 0);
  assert.equal(total, 5);
});

test('recent: a sliding window of the latest buckets', () => {
  const t = new Timeline({ mode: 'recent', bucketNs: 100 * MS, maxBuckets: 3 });
  t.add(1000 * MS, 0); // bucket 10
  t.add(1150 * MS, 0); // bucket 11
  // The window starts at the first exit, not before.
  assert.deepEqual(t.snapshot().series, [{ vcpu: 0, counts: [1, 1] }]);
  assert.equal(t.snapshot().startNs, 1000 * MS);
  t.add(1420 * MS, 0); // bucket 14: buckets 12..14 remain
  const s = t.snapshot();
  assert.equal(s.startNs, 1200 * MS);
  assert.deepEqual(s.series, [{ vcpu: 0, counts: [0, 0, 1] }]);
  t.add(1000 * MS, 0); // older than the window: not counted
  assert.deepEqual(t.snapshot().series, [{ vcpu: 0, counts: [0, 0, 1] }]);
});

test('series are bounded; further vCPUs count under -1', () => {
  const t = new Timeline({ mode: 'whole', bucketNs: MS, maxBuckets: 4, maxSeries: 2 });
  for (const vcpu of [0, 1, 2, 3]) t.add(0, vcpu);
  assert.deepEqual(
    t.snapshot().series.map((s) => [s.vcpu, s.counts[0]]),
    [
      [-1, 2],
      [0, 1],
      [1, 1],
    ],
  );
});

test('an empty timeline has no series', () => {
  assert.deepEqual(new Timeline({ mode: 'recent', bucketNs: MS, maxBuckets: 4 }).snapshot().series, []);
});
