import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decode,
  defineLayout,
  formatSummary,
  parseFieldValue,
  withField,
} from '../../../adapter/x86/bitfields';
import { dr7Layout } from '../../../adapter/x86/debugRegisters';
import { segmentSelectorLayout } from '../../../adapter/x86/segmentSelector';

void test('defineLayout rejects bad layouts and sorts fields', () => {
  assert.throws(
    () => defineLayout('X', 8, 's', [{ name: 'A', lsb: 7, width: 2, description: '' }]),
    RangeError,
  );
  assert.throws(
    () => defineLayout('X', 8, 's', [{ name: 'A', lsb: 0, width: 0, description: '' }]),
    RangeError,
  );
  assert.throws(
    () =>
      defineLayout('X', 8, 's', [
        { name: 'A', lsb: 0, width: 2, description: '' },
        { name: 'B', lsb: 1, width: 1, description: '' },
      ]),
    /overlaps/,
  );
  assert.throws(
    () =>
      defineLayout('X', 8, 's', [
        { name: 'A', lsb: 0, width: 1, description: '' },
        { name: 'A', lsb: 1, width: 1, description: '' },
      ]),
    /duplicate/,
  );
  const l = defineLayout('X', 8, 's', [
    { name: 'B', lsb: 4, width: 1, description: '' },
    { name: 'A', lsb: 0, width: 1, description: '' },
  ]);
  assert.deepEqual(
    l.fields.map((f) => f.name),
    ['A', 'B'],
  );
});

void test('parseFieldValue accepts decimal, hex, binary, true/false', () => {
  assert.equal(parseFieldValue('1'), 1n);
  assert.equal(parseFieldValue('0x1f'), 31n);
  assert.equal(parseFieldValue('0X1F'), 31n);
  assert.equal(parseFieldValue('0b101'), 5n);
  assert.equal(parseFieldValue(' TRUE '), 1n);
  assert.equal(parseFieldValue('false'), 0n);
  assert.equal(parseFieldValue('0xffff_ffff'), 0xffffffffn);
  for (const bad of ['', '-1', 'abc', '0x', '1.5', 'yes']) {
    assert.throws(() => parseFieldValue(bad), SyntaxError, bad);
  }
});

void test('segment selectors: Linux __USER_CS 0x33, __KERNEL_CS 0x10, an LDT selector', () => {
  // 0x33 = 0b110011: RPL=3, TI=0, Index=6.
  assert.deepEqual(
    decode(segmentSelectorLayout, 0x33n).map((d) => d.display),
    ['RPL=3', 'TI=0', 'Index=6'],
  );
  assert.deepEqual(
    decode(segmentSelectorLayout, 0x10n).map((d) => d.display),
    ['RPL=0', 'TI=0', 'Index=2'],
  );
  // 0x0f = 0b1111: RPL=3, TI=1 (LDT), Index=1.
  const ldt = decode(segmentSelectorLayout, 0x0fn);
  assert.equal(ldt[1]?.meaning, 'LDT');
  assert.equal(ldt[2]?.raw, 1n);
  assert.equal(withField(segmentSelectorLayout, 0x10n, 'RPL', 3n), 0x13n);
});

void test('DR7: reset value and a 4-byte write watchpoint in slot 0', () => {
  assert.equal(formatSummary(dr7Layout, 0x400n), '[]');
  // L0 (bit 0) + reserved bit 10 + R/W0=01 (bits 17:16) + LEN0=11 (bits 19:18) = 0xd0401.
  const v = 0xd0401n;
  assert.equal(formatSummary(dr7Layout, v), '[L0 R/W0=1 LEN0=3]');
  const rw0 = decode(dr7Layout, v).find((d) => d.name === 'R/W0');
  const len0 = decode(dr7Layout, v).find((d) => d.name === 'LEN0');
  assert.equal(rw0?.meaning, 'data writes');
  assert.equal(len0?.meaning, '4 bytes');
  assert.equal(withField(dr7Layout, v, 'G3', 1n), v | 0x80n);
});
