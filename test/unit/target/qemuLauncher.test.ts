import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  conflictingArgument,
  hardenUserNetwork,
  launchQemu,
  QemuLaunchError,
} from '../../../adapter/target/qemuLauncher';

test('user-mode networks get restrict=on and host forwards bound to 127.0.0.1', () => {
  assert.deepEqual(
    hardenUserNetwork(['-netdev', 'user,id=n0,hostfwd=tcp::2222-:22', '-device', 'virtio-net,netdev=n0']),
    ['-netdev', 'user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22,restrict=on', '-device', 'virtio-net,netdev=n0'],
  );
  assert.deepEqual(hardenUserNetwork(['-nic', 'user']), ['-nic', 'user,restrict=on']);
  assert.deepEqual(hardenUserNetwork(['-nic', 'user,restrict=off']), ['-nic', 'user,restrict=off']);
  assert.deepEqual(hardenUserNetwork(['-append', 'user,x']), ['-append', 'user,x']);
});

test('a gdbstub of the user conflicts with ours', () => {
  assert.equal(conflictingArgument(['-s']), '-s');
  assert.equal(conflictingArgument(['-gdb', 'tcp::1']), '-gdb');
  assert.equal(conflictingArgument(['-m', '512']), undefined);
});

test('a QEMU that exits at once is reported with its stderr', async () => {
  await assert.rejects(
    launchQemu({ path: 'qemu-system-x86_64', args: ['-no-such-option'], readyTimeoutMs: 10000 }),
    (error: unknown) => {
      assert.ok(error instanceof QemuLaunchError);
      assert.match(error.message, /QEMU exited with code 1.*-no-such-option/s);
      return true;
    },
  );
});

test('a QEMU binary that is not there is reported by its path', async () => {
  await assert.rejects(
    launchQemu({ path: '/nonexistent/qemu', args: [], readyTimeoutMs: 5000 }),
    /could not start.*\/nonexistent\/qemu/s,
  );
});
