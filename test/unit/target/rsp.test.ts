/** RSP framing, the relay's reply cache, and QEMU's memory tree (adapter/target). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseMemoryTree } from '../../../adapter/target/physicalMemory';
import {
  checksumMatches,
  decodeBody,
  encodePacket,
  frameOf,
  isResumeRequest,
  isStopReply,
  RspScanner,
  type RspUnit,
} from '../../../adapter/target/rsp/packet';
import { ReplyCache } from '../../../adapter/target/rsp/replyCache';
import { repoRoot } from '../../lab/lab';

function packets(units: RspUnit[]): string[] {
  return units.flatMap((u) => (u.kind === 'packet' ? [decodeBody(u.body).toString('latin1')] : [u.kind]));
}

describe('RSP framing', () => {
  test('packets carry the modulo-256 checksum the gdb manual gives', () => {
    assert.equal(encodePacket('g').toString('latin1'), '$g#67');
    assert.equal(encodePacket('qfThreadInfo').toString('latin1'), '$qfThreadInfo#bb');
    assert.equal(encodePacket('').toString('latin1'), '$#00');
  });

  test('reserved bytes are escaped and come back unescaped', () => {
    const framed = encodePacket(Buffer.from('X1000,4:$#}*', 'latin1'));
    assert.equal(framed.toString('latin1').slice(0, 17), '$X1000,4:}\x04}\x03}]}\x0a');
    const [unit] = new RspScanner().push(framed);
    assert.ok(unit?.kind === 'packet');
    assert.ok(checksumMatches(unit.body, unit.sum));
    assert.equal(decodeBody(unit.body).toString('latin1'), 'X1000,4:$#}*');
  });

  test('run-length encoded replies are expanded', () => {
    // "0* " is '0' repeated 1 + (0x20 - 29) = 4 times in all (gdb manual, "Binary Data").
    assert.equal(decodeBody(Buffer.from('0* ', 'latin1')).toString('latin1'), '0000');
    assert.equal(decodeBody(Buffer.from('ab*"c', 'latin1')).toString('latin1'), 'abbbbbbc');
  });

  test('the scanner finds acks, interrupts and packets across chunk boundaries', () => {
    const scanner = new RspScanner();
    const stream = Buffer.from('+$T05thread:p01.01;#06\x03-$OK#9a', 'latin1');
    const seen: RspUnit[] = [];
    for (let i = 0; i < stream.length; i += 3) seen.push(...scanner.push(stream.subarray(i, i + 3)));
    assert.deepEqual(packets(seen), ['ack', 'T05thread:p01.01;', 'interrupt', 'nack', 'OK']);
    assert.equal(scanner.partial, undefined);
    assert.deepEqual(Buffer.concat(seen.map(frameOf)), stream);
  });

  test('a bad checksum is noticed', () => {
    const [unit] = new RspScanner().push(Buffer.from('$OK#00', 'latin1'));
    assert.ok(unit?.kind === 'packet');
    assert.equal(checksumMatches(unit.body, unit.sum), false);
  });

  test('stop replies and resuming requests are told apart', () => {
    for (const reply of ['S05', 'T05thread:p01.02;', 'W00', 'X09', 'N'])
      assert.ok(isStopReply(Buffer.from(reply)));
    for (const reply of ['OK', 'E14', '', 'l', 'm1', 'O4142']) assert.ok(!isStopReply(Buffer.from(reply)));
    for (const request of ['c', 's', 'C05', 'S05', 'vCont;s:p1.1', 'vCont;c'])
      assert.ok(isResumeRequest(Buffer.from(request)));
    for (const request of ['vCont?', 'g', 'm1000,4', 'qC', '?'])
      assert.ok(!isResumeRequest(Buffer.from(request)));
  });
});

describe('the relay reply cache', () => {
  const framed = (body: string): Buffer => encodePacket(body);
  function answer(cache: ReplyCache, request: string, reply: string): void {
    assert.equal(cache.lookup(request), undefined, `${request} answered from the cache`);
    cache.record(request, Buffer.from(reply), () => framed(reply));
  }

  test('a repeated memory read of the same stop is answered locally, until the guest resumes', () => {
    const cache = new ReplyCache();
    answer(cache, 'mffffffff81000000,1', 'cc');
    assert.deepEqual(cache.lookup('mffffffff81000000,1'), framed('cc'));
    assert.equal(cache.lookup('mffffffff81000000,2'), undefined);
    cache.resumed();
    assert.equal(cache.lookup('mffffffff81000000,1'), undefined);
  });

  test('errors are not remembered; writes, register changes and thread switches forget memory', () => {
    const cache = new ReplyCache();
    answer(cache, 'm0,4', 'E14');
    assert.equal(cache.lookup('m0,4'), undefined);
    for (const invalidating of [
      'M1000,1:90',
      'X1000,1:x',
      'P10=00',
      'Hgp1.2',
      'Z0,1000,1',
      'z0,1000,1',
      'Qqemu.PhyMemMode:1',
      'qRcmd,696e666f',
    ]) {
      answer(cache, 'm1000,4', '01020304');
      assert.ok(cache.lookup('m1000,4') !== undefined);
      assert.equal(cache.lookup(invalidating), undefined);
      assert.equal(cache.lookup('m1000,4'), undefined, `memory kept after ${invalidating}`);
    }
  });

  test('the thread list is kept across stops, and dropped after a monitor command or an unknown thread', () => {
    const cache = new ReplyCache();
    answer(cache, 'qfThreadInfo', 'mp01.01');
    answer(cache, 'qsThreadInfo', 'mp01.02');
    answer(cache, 'qsThreadInfo', 'l');
    cache.resumed();
    cache.stopped('T05thread:p01.02;');
    assert.deepEqual(cache.lookup('qfThreadInfo'), framed('mp01.01'));
    assert.deepEqual(cache.lookup('qsThreadInfo'), framed('mp01.02'));
    assert.deepEqual(cache.lookup('qsThreadInfo'), framed('l'));
    assert.equal(cache.hits, 3);
    // a hot-added vCPU stops: the list is asked again
    cache.stopped('T05thread:p01.03;');
    assert.equal(cache.lookup('qfThreadInfo'), undefined);
    answer(cache, 'qsThreadInfo', 'mp01.03');
    answer(cache, 'qsThreadInfo', 'l');
    assert.ok(cache.lookup('qfThreadInfo') !== undefined);
    assert.equal(cache.lookup('qRcmd,64657669636520616464'), undefined);
    assert.equal(cache.lookup('qfThreadInfo'), undefined);
  });
});

describe("QEMU's memory tree", () => {
  test('RAM and ROM of address space "memory" are found, devices are not', () => {
    const text = readFileSync(join(repoRoot(), 'test/fixtures/qemu-7.2-info-mtree-f.txt'), 'utf8');
    const regions = parseMemoryTree(text);
    const ram = regions.filter((r) => r.kind === 'ram');
    assert.deepEqual(
      ram.map((r) => [r.start, r.end]),
      [
        [0x0n, 0xc2fffn],
        [0xe8000n, 0xeffffn],
        [0x100000n, 0x1fffffffn],
      ],
    );
    assert.ok(regions.some((r) => r.kind === 'rom' && r.name === 'pc.bios' && r.end === 0xffffffffn));
    assert.ok(!regions.some((r) => r.start <= 0xfee00000n && 0xfee00000n <= r.end), 'the APIC is a device');
  });
});
