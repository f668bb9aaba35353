import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRange, mergeRanges, permissionString } from '../../../../adapter/x86/paging/ranges';
import { collectWalk } from '../../../../adapter/x86/paging/walk';
import { LONG, linuxLike } from './memoryImage';

const rw = { writable: true, user: true, executable: true };

void test('QEMU info mem merging: virtual contiguity and same U/S, R/W', async () => {
  const { mappings } = await collectWalk(linuxLike().memory, { cr3: 0x1000n, ...LONG });
  const ranges = mergeRanges(mappings);
  assert.deepEqual(
    ranges.map((r) => formatRange(r)),
    [
      '0000000000000000-0000000000203000 0000000000203000 urw',
      '0000000000203000-0000000000204000 0000000000001000 ur-',
      'ffffffff80000000-ffffffffc0000000 0000000040000000 -rw',
    ],
  );
  assert.equal(ranges[0]?.mappings, 4);
  assert.equal(ranges[0]?.physicalStart, 0x200000n);
  // 0x200000..0x402000 then 0x500000: not physically contiguous.
  assert.equal(ranges[0]?.physicallyContiguous, false);
});

void test('physical-contiguity mode splits where the physical address jumps', async () => {
  const { mappings } = await collectWalk(linuxLike().memory, { cr3: 0x1000n, ...LONG });
  const ranges = mergeRanges(mappings, { requirePhysicalContiguity: true });
  assert.deepEqual(
    ranges.map((r) => [r.virtualStart, r.size, r.physicalStart, r.physicallyContiguous]),
    [
      [0n, 0x202000n, 0x200000n, true],
      [0x202000n, 0x1000n, 0x500000n, true],
      [0x203000n, 0x1000n, 0x501000n, true],
      [0xffffffff80000000n, 0x40000000n, 0x40000000n, true],
    ],
  );
});

void test('execute permission is ignored unless asked; gaps split ranges; input order does not matter', () => {
  const leaves = [
    {
      virtualStart: 0x2000n,
      physicalStart: 0x9000n,
      size: 0x1000n,
      permissions: { ...rw, executable: false },
    },
    { virtualStart: 0x1000n, physicalStart: 0x8000n, size: 0x1000n, permissions: rw },
    { virtualStart: 0x4000n, physicalStart: 0xa000n, size: 0x1000n, permissions: rw },
  ];
  assert.deepEqual(
    mergeRanges(leaves).map((r) => [r.virtualStart, r.virtualEnd]),
    [
      [0x1000n, 0x3000n],
      [0x4000n, 0x5000n],
    ],
  );
  assert.deepEqual(
    mergeRanges(leaves, { compareExecute: true }).map((r) => formatRange(r, true)),
    [
      '0000000000001000-0000000000002000 0000000000001000 urwx',
      '0000000000002000-0000000000003000 0000000000001000 urw-',
      '0000000000004000-0000000000005000 0000000000001000 urwx',
    ],
  );
  assert.deepEqual(mergeRanges([]), []);
});

void test('permissionString', () => {
  assert.equal(permissionString({ writable: true, user: false, executable: true }), '-rw');
  assert.equal(permissionString({ writable: false, user: true, executable: false }, true), 'ur--');
});
