import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalize,
  hex16,
  isCanonical,
  lowerHalfEnd,
  upperHalfStart,
} from '../../../../adapter/x86/paging/canonical';

void test('48-bit canonical addresses', () => {
  assert.equal(isCanonical(0x00007fffffffffffn, 48), true);
  assert.equal(isCanonical(0x0000800000000000n, 48), false);
  assert.equal(isCanonical(0xffff800000000000n, 48), true);
  assert.equal(isCanonical(0xfffe800000000000n, 48), false);
  assert.equal(isCanonical(-1n, 48), false);
  assert.equal(isCanonical(1n << 64n, 48), false);
  assert.equal(canonicalize(0x800000000000n, 48), 0xffff800000000000n);
  assert.equal(lowerHalfEnd(48), 0x00007fffffffffffn);
  assert.equal(upperHalfStart(48), 0xffff800000000000n);
});

void test('57-bit canonical addresses (LA57)', () => {
  assert.equal(isCanonical(0x0000800000000000n, 57), true);
  assert.equal(isCanonical(0x00ffffffffffffffn, 57), true); // bit 56 = 0
  assert.equal(isCanonical(0x0100000000000000n, 57), false); // bit 56 = 1, bits 63:57 = 0
  assert.equal(isCanonical(0xff00000000000000n, 57), true);
  assert.equal(lowerHalfEnd(57), 0x00ffffffffffffffn);
  assert.equal(upperHalfStart(57), 0xff00000000000000n);
  assert.equal(hex16(0x400000n), '0000000000400000');
});
