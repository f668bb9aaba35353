import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigurationError, validateArguments } from '../../../adapter/protocol/config';

test('a minimal attach configuration is valid', () => {
  assert.equal(validateArguments('attach', { target: 'localhost:1234' }).target, 'localhost:1234');
  assert.equal(validateArguments('attach', { target: 'unix:/tmp/g.sock' }).target, 'unix:/tmp/g.sock');
});

test('errors name the attribute', () => {
  const cases: [unknown, RegExp][] = [
    [{}, /"target" is required/],
    [{ target: 'localhost' }, /"target" must match pattern/],
    [{ target: 'unix:relative' }, /"target" must match pattern/],
    [{ target: 'localhost:1', stopOnAttach: 1 }, /"stopOnAttach" must be boolean/],
    [
      { target: 'localhost:1', breakpointType: 'magic' },
      /"breakpointType" must be one of hardware, software/,
    ],
    [{ target: 'localhost:1', symbolFiles: [{ address: '0x1' }] }, /"symbolFiles\.0\.path" is required/],
    [
      { target: 'localhost:1', symbolFiles: [{ path: 'k.ko', address: 'abc' }] },
      /"symbolFiles\.0\.address" must match/,
    ],
    [
      { target: 'localhost:1', symbolFiles: [{ path: 'k.ko', sections: { 'a;b': '0x1' } }] },
      /symbolFiles\.0\.sections/,
    ],
    [{ target: 'localhost:1', connectTimeout: 5 }, /"connectTimeout" must be >= 100/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => validateArguments('attach', args),
      (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test('launch needs qemu.args as an array of strings, never a shell string', () => {
  assert.throws(
    () => validateArguments('launch', { qemu: { args: '-m 512 -kernel bzImage' } }),
    /"qemu\.args" must be array/,
  );
  assert.throws(() => validateArguments('launch', {}), /"qemu" is required/);
  assert.throws(
    () => validateArguments('launch', { qemu: { args: [], shell: true } }),
    /"qemu\.shell" is not a known attribute/,
  );
  assert.deepEqual(validateArguments('launch', { qemu: { args: ['-m', '512'] } }).qemu.args, ['-m', '512']);
});
