import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { stubOwner, tcpListenInodes, unixSocketInodes } from '../../../adapter/exits/stubOwner';
import { tempDir } from './support';

test('the process serving a unix-socket gdbstub is found through /proc', async (t) => {
  const path = join(tempDir(t), 'gdb.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => server.close());
  assert.equal(await stubOwner({ kind: 'unix', path }), process.pid);
  assert.equal(await stubOwner({ kind: 'unix', path: `${path}.none` }), undefined);
});

test('the process serving a TCP gdbstub is found through /proc', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  assert.equal(await stubOwner({ kind: 'tcp', host: 'localhost', port }), process.pid);
});

test('/proc/net tables', () => {
  const unix = [
    'Num       RefCount Protocol Flags    Type St Inode Path',
    '0000000000000000: 00000002 00000000 00010000 0001 01 4242 /tmp/g.sock',
    '0000000000000000: 00000003 00000000 00000000 0001 03 4343 /tmp/g.sock',
  ].join('\n');
  assert.deepEqual(unixSocketInodes(unix, '/tmp/g.sock'), [4242]);
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:04D2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0',
    '   1: 0100007F:04D2 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0',
  ].join('\n');
  assert.deepEqual(tcpListenInodes(tcp, 1234), [777]);
});
