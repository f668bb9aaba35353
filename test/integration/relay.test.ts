/**
 * hvdbg's own link to the gdbstub (adapter/target/rsp) on the lab: guest-physical reads through QEMU's
 * physical-memory mode agree with QEMU's monitor, the mode is never left on behind gdb's back (and a mode
 * the user set stays set), device memory is refused, a running guest is never touched, and a stub without
 * the mode is read through the Linux direct map.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../lab/lab';
import { attach, labAttachConfig, repl, request, startClient } from './support/session';

/** QEMU's `xp /Ngx addr` output (`0000000001000000: 0x... 0x...`) as little-endian bytes. */
function xpBytes(text: string): Buffer {
  const values = [...text.matchAll(/0x([0-9a-f]{16})/g)].map((m) => m[1] ?? '');
  assert.ok(values.length > 0, `no words in ${text}`);
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => out.writeBigUInt64LE(BigInt(`0x${v}`), i * 8));
  return out;
}

async function readPhysical(dc: DebugClient, address: bigint, count: number) {
  const response = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
    memoryReference: `phys:0x${address.toString(16)}`,
    count,
  });
  const body = response.body;
  assert.ok(body !== undefined);
  return { data: Buffer.from(body.data ?? '', 'base64'), unreadable: body.unreadableBytes ?? 0 };
}

/**
 * A stand-in for a plain RSP stub: passes everything to QEMU's stub but answers `qqemu.PhyMemMode` and
 * `qRcmd` with the empty reply ("not supported"), as a stub without QEMU's extras does.
 */
function plainStubProxy(target: string): Promise<{ server: Server; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), 'hvdbg-plain-')), 'stub.sock');
  const server = createServer((client) => {
    const stub = createConnection({ path: target });
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (;;) {
        const m = /\$([^#]*)#[0-9a-f]{2}/.exec(pending);
        const plain = m === null ? pending : pending.slice(0, m.index);
        if (plain !== '') stub.write(Buffer.from(plain, 'latin1'));
        if (m === null) {
          pending = '';
          return;
        }
        pending = pending.slice(m.index + m[0].length);
        const body = m[1] ?? '';
        if (body.startsWith('qqemu.PhyMemMode') || body.startsWith('qRcmd,')) client.write('+$#00');
        else stub.write(Buffer.from(m[0], 'latin1'));
      }
    });
    stub.on('data', (chunk: Buffer) => client.write(chunk));
    stub.on('close', () => client.destroy());
    client.on('close', () => stub.destroy());
    client.on('error', () => undefined);
    stub.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, path })));
}

describe('the RSP relay and guest physical memory', { timeout: 240000 }, () => {
  let lab: Lab;
  let kernelPhys = 0n;
  let kernelBytes = Buffer.alloc(0);

  before(async () => {
    lab = await bootLab({ kvm: false, la57: false });
  });
  after(async () => {
    await lab.stop();
  });

  test('physical reads equal the monitor, and the physical mode is put back', async () => {
    const dc = await startClient();
    try {
      await attach(dc, labAttachConfig(lab));
      // The kernel's first text page, physically (nokaslr: phys_base is 0, _text at 16 MiB).
      kernelPhys = 0x1000000n;
      const xp = await repl(dc, `monitor xp /64gx 0x${kernelPhys.toString(16)}`);
      const expected = xpBytes(xp);
      assert.equal(expected.length, 512);
      const { data } = await readPhysical(dc, kernelPhys, 512);
      assert.deepEqual(data, expected);
      kernelBytes = data;
      // A whole 4-KiB page (two `m` packets for QEMU 7.2) across a page of RAM at 1 MiB.
      const page = await readPhysical(dc, 0x100000n, 4096);
      assert.equal(page.data.length, 4096);
      assert.deepEqual(page.data.subarray(0, 512), xpBytes(await repl(dc, 'monitor xp /64gx 0x100000')));
      // gdb still reads virtual memory: the stub is back in virtual mode.
      assert.match(await repl(dc, 'maint packet qqemu.PhyMemMode'), /received: "0"/);
      assert.match(await repl(dc, 'x/2xg $rsp'), /0x[0-9a-f]+:\s+0x[0-9a-f]+\s+0x[0-9a-f]+/);
      // A mode the user set stays set.
      await repl(dc, 'maint packet Qqemu.PhyMemMode:1');
      assert.deepEqual((await readPhysical(dc, kernelPhys, 512)).data, expected);
      assert.match(await repl(dc, 'maint packet qqemu.PhyMemMode'), /received: "1"/);
      await repl(dc, 'maint packet Qqemu.PhyMemMode:0');
      // Device memory (the local APIC) is not read: it could trigger the device.
      const apic = await readPhysical(dc, 0xfee00000n, 16);
      assert.equal(apic.unreadable, 16);
      assert.equal(apic.data.length, 0);
      // While the guest runs, nothing is sent to the stub (QEMU would stop the guest to listen).
      await dc.continueRequest({ threadId: 1 });
      const running = await readPhysical(dc, kernelPhys, 16);
      assert.equal(running.unreadable, 16);
      const stopped = dc.waitForEvent('stopped', 3000).then(
        () => true,
        () => false,
      );
      assert.equal(await stopped, false, 'the guest stopped by itself after a read while running');
      await dc.pauseRequest({ threadId: 1 });
      await dc.waitForEvent('stopped');
      assert.deepEqual((await readPhysical(dc, kernelPhys, 512)).data, expected);
      await dc.disconnectRequest({});
    } finally {
      await dc.stop();
    }
  });

  test('a stub without a physical mode is read through the Linux direct map', async () => {
    assert.ok(kernelBytes.length === 512, 'runs after the first test');
    const proxy = await plainStubProxy(lab.gdbSocket);
    const dc = await startClient();
    try {
      await attach(dc, labAttachConfig(lab, { target: `unix:${proxy.path}` }));
      const { data } = await readPhysical(dc, kernelPhys, 512);
      assert.deepEqual(data, kernelBytes);
      await dc.disconnectRequest({});
    } finally {
      await dc.stop();
      proxy.server.close();
    }
  });
});
