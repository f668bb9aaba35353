import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DurationStats } from '../../../adapter/vmexits/durationStats';
import { ThreadPairing, type DropCounts } from '../../../adapter/vmexits/pairing';
import { RipCounter } from '../../../adapter/vmexits/ripCounter';

void test('DurationStats: Welford values and merging equal adding everything to one', () => {
  const xs = [5, 7, 3, 11, 13, 2, 2, 9];
  const all = new DurationStats();
  const a = new DurationStats();
  const b = new DurationStats();
  xs.forEach((x, i) => {
    all.add(x);
    (i < 3 ? a : b).add(x);
  });
  a.merge(b);
  assert.equal(a.count, all.count);
  assert.equal(a.totalNs, 52);
  assert.equal(a.minNs, 2);
  assert.equal(a.maxNs, 13);
  assert.ok(Math.abs(a.meanNs - 6.5) < 1e-12);
  assert.ok(Math.abs(a.m2 - all.m2) < 1e-9);
  const sd = Math.sqrt(all.m2 / 7);
  assert.ok(Math.abs(all.relStddevPct() - (100 * sd) / Math.sqrt(8) / 6.5) < 1e-9);
  assert.equal(new DurationStats().relStddevPct(), 0);
  const empty = new DurationStats();
  empty.merge(all);
  assert.deepEqual(empty, all);
});

void test('ThreadPairing: in order, out of order within the window, lost entries, overflow', () => {
  const pairs: [number, number, number][] = [];
  const out = (id: number, ns: number, vcpu: number): void => void pairs.push([id, ns, vcpu]);
  const drops: DropCounts = { unpairedExits: 0, orphanEntries: 0 };
  const t = new ThreadPairing(4);
  t.entry(0, 2, out, drops); // start of trace: orphan
  t.exit(10, 1, -1, out, drops);
  t.entry(15, 2, out, drops);
  assert.deepEqual(pairs, [[1, 5, 2]]);
  t.entry(40, 2, out, drops); // arrives before its exit
  t.exit(30, 7, -1, out, drops);
  assert.deepEqual(pairs.at(-1), [7, 10, 2]);
  t.exit(50, 3, 5, out, drops); // entry lost
  t.exit(60, 4, 5, out, drops);
  t.entry(61, -1, out, drops);
  assert.deepEqual(pairs.at(-1), [4, 1, 5]);
  for (let i = 0; i < 6; i++) t.exit(100 + i, 9, 5, out, drops);
  assert.ok(t.pending <= 4);
  t.flush(drops);
  assert.equal(t.pending, 0);
  assert.deepEqual(drops, { unpairedExits: 7, orphanEntries: 1 });
});

void test('RipCounter: exact below capacity, Misra-Gries bounds above it', () => {
  const c = new RipCounter(4);
  for (let i = 0; i < 100; i++) c.add(0xffffffff, 0x81000000, 1);
  for (let i = 0; i < 10; i++) c.add(0, 0x1000, 2);
  c.add(0xffffffff, 0x81000000, 3);
  assert.deepEqual(
    [...c.entries()].sort((a, b) => b[3] - a[3]),
    [
      [0xffffffff, 0x81000000, 1, 100],
      [0, 0x1000, 2, 10],
      [0xffffffff, 0x81000000, 3, 1],
    ],
  );
  assert.equal(c.approximate, false);
  for (let i = 0; i < 20; i++) c.add(0, i, 5); // 20 distinct singletons push past capacity
  assert.equal(c.approximate, true);
  const top = [...c.entries()].sort((a, b) => b[3] - a[3])[0];
  assert.equal(top?.[2], 1);
  assert.ok((top?.[3] ?? 0) >= 100 - 131 / 5);
  assert.ok([...c.entries()].length <= 4);
  assert.throws(() => new RipCounter(0), RangeError);
});
