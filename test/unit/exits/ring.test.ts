import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitRing, RingIndex } from '../../../adapter/exits/ring';

const push = (ring: ExitRing, ts: number): void => {
  ring.claim().tsNs = ts;
};

test('a ring keeps the last exits, oldest first, before and after it wraps', () => {
  const ring = new ExitRing(4);
  assert.deepEqual(ring.last(), []);
  for (const ts of [1, 2, 3]) push(ring, ts);
  assert.deepEqual(
    ring.last().map((s) => s.tsNs),
    [1, 2, 3],
  );
  for (const ts of [4, 5, 6]) push(ring, ts);
  assert.deepEqual(
    ring.last().map((s) => s.tsNs),
    [3, 4, 5, 6],
  );
  assert.deepEqual(
    ring.last(2).map((s) => s.tsNs),
    [5, 6],
  );
  assert.equal(ring.total, 6);
});

test('a ring reuses its slots once full (no allocation per exit)', () => {
  const ring = new ExitRing(2);
  const a = ring.claim();
  const b = ring.claim();
  assert.equal(ring.claim(), a);
  assert.equal(ring.claim(), b);
});

test('a claimed slot starts without a duration or info', () => {
  const ring = new ExitRing(1);
  const s = ring.claim();
  s.durationNs = 5;
  s.infoMask = 3;
  const again = ring.claim();
  assert.equal(again.durationNs, -1);
  assert.equal(again.infoMask, 0);
});

test('rings by key are bounded in number', () => {
  const index = new RingIndex(8, 2);
  assert.ok(index.ring(0));
  assert.ok(index.ring(1));
  assert.equal(index.ring(2), undefined);
  assert.equal(index.dropped, 1);
  assert.deepEqual(index.keys(), [0, 1]);
  assert.deepEqual(index.last(7), []);
});
