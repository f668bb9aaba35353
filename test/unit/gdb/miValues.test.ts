import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MIShapeError,
  optInt,
  quoteMI,
  reqString,
  stringList,
  tupleList,
  type MITuple,
} from '../../../adapter/gdb/miValues';
import { ignoreCountOf } from '../../../adapter/debugger/breakpoints';

// Shapes as gdb-js parses real gdb 13 output (-stack-list-frames, -data-list-register-names).
const frames: MITuple = {
  stack: [
    {
      name: 'frame',
      value: { level: '0', addr: '0xffffffff81a17a0b', func: 'native_safe_halt', line: '52' },
    },
    { name: 'frame', value: { level: '1', addr: '0xffffffff8103c09d', func: 'arch_safe_halt' } },
  ],
};

test('lists of results and of values unwrap to their tuples', () => {
  const list = tupleList(frames, 'stack');
  assert.equal(list.length, 2);
  assert.equal(list[0] && reqString(list[0], 'func'), 'native_safe_halt');
  assert.equal(list[0] && optInt(list[0], 'line'), 52);
  assert.equal(list[1] && optInt(list[1], 'line'), undefined);
  assert.deepEqual(tupleList({ threads: [{ id: '1' }] }, 'threads'), [{ id: '1' }]);
  assert.deepEqual(stringList({ 'register-names': ['rax', '', 'rbx'] }, 'register-names'), [
    'rax',
    '',
    'rbx',
  ]);
});

test('wrong shapes fail loudly, naming the field', () => {
  assert.throws(
    () => reqString({}, 'addr'),
    (e: unknown) => e instanceof MIShapeError && /'addr' is missing/.test(e.message),
  );
  assert.throws(() => tupleList({ stack: 'x' }, 'stack'), /'stack' is not a list/);
});

test('MI quoting escapes quotes, backslashes and newlines', () => {
  assert.equal(quoteMI('a "b" \\c\nd'), '"a \\"b\\" \\\\c\\nd"');
});

test('hit counts become gdb ignore counts', () => {
  assert.equal(ignoreCountOf(undefined), undefined);
  assert.equal(ignoreCountOf('1'), 0);
  assert.equal(ignoreCountOf('5'), 4);
  assert.equal(ignoreCountOf('>= 3'), 2);
  assert.throws(() => ignoreCountOf('% 2'), /not supported/);
});
