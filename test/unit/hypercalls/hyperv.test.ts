import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHypervInput, decodeHypervResult } from '../../../adapter/hypercalls';

test('input value: call code 15:0, fast 16, variable header 26:17, nested 31, rep count 43:32, rep start 59:48', () => {
  // 0x5c | 1<<16 | 2<<17 | 1<<31 = 0x8005005c; 5<<32 = 0x5_0000_0000; 3<<48 = 0x3_0000_0000_0000.
  assert.deepEqual(decodeHypervInput(0x000300058005005cn), {
    callCode: 0x5c,
    fast: true,
    variableHeaderSize: 2,
    nested: true,
    repCount: 5,
    repStartIndex: 3,
    reservedBitsSet: false,
  });
  assert.deepEqual(decodeHypervInput(0x0002n), {
    callCode: 2,
    fast: false,
    variableHeaderSize: 0,
    nested: false,
    repCount: 0,
    repStartIndex: 0,
    reservedBitsSet: false,
  });
  // Largest fields: rep count 0xfff (bits 43:32), rep start 0xfff (bits 59:48).
  const max = decodeHypervInput(0x0fff0fff0000ffffn);
  assert.equal(max.callCode, 0xffff);
  assert.equal(max.repCount, 0xfff);
  assert.equal(max.repStartIndex, 0xfff);
  assert.equal(max.reservedBitsSet, false);
});

test('input value: reserved bits 30:27, 47:44, 63:60', () => {
  for (const bit of [27n, 30n, 44n, 47n, 60n, 63n]) {
    assert.equal(decodeHypervInput(1n << bit).reservedBitsSet, true, `bit ${bit}`);
  }
  for (const bit of [16n, 26n, 31n, 43n, 59n]) {
    assert.equal(decodeHypervInput(1n << bit).reservedBitsSet, false, `bit ${bit}`);
  }
});

test('result value: status 15:0, reps completed 43:32', () => {
  assert.deepEqual(decodeHypervResult((7n << 32n) | 0x13n), {
    status: 0x13,
    statusName: 'HV_STATUS_INSUFFICIENT_BUFFERS',
    repsCompleted: 7,
  });
  assert.deepEqual(decodeHypervResult(0x1234n), { status: 0x1234, statusName: undefined, repsCompleted: 0 });
});
