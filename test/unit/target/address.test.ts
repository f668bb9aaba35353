import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gdbRemoteArgument, parseStubAddress } from '../../../adapter/target/address';

test('host:port and unix:/path targets', () => {
  assert.deepEqual(parseStubAddress('localhost:1234'), { kind: 'tcp', host: 'localhost', port: 1234 });
  assert.deepEqual(parseStubAddress(':1234'), { kind: 'tcp', host: 'localhost', port: 1234 });
  assert.deepEqual(parseStubAddress('[::1]:1234'), { kind: 'tcp', host: '[::1]', port: 1234 });
  assert.deepEqual(parseStubAddress('unix:/tmp/g.sock'), { kind: 'unix', path: '/tmp/g.sock' });
  assert.equal(gdbRemoteArgument({ kind: 'unix', path: '/tmp/g.sock' }), '/tmp/g.sock');
  assert.equal(gdbRemoteArgument({ kind: 'tcp', host: '127.0.0.1', port: 1 }), '127.0.0.1:1');
});

test('bad targets explain the expected shape', () => {
  for (const bad of [
    'localhost',
    'localhost:0',
    'localhost:70000',
    'unix:g.sock',
    'unix:/tmp/a b',
    'a:b:c',
  ]) {
    const parsed = parseStubAddress(bad);
    assert.ok('error' in parsed, bad);
    assert.match(parsed.error, /expected "host:port"|absolute socket path/);
  }
});
