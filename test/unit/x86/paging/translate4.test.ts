// 4-level and 5-level translations on hand-built tables. Indices and expected addresses are computed
// by hand in the comments (Intel SDM Vol. 3A §4.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PhysicalMemoryError, type PhysicalMemory } from '../../../../adapter/x86/paging/memory';
import { translate, type Translation } from '../../../../adapter/x86/paging/translate';
import { LA57, LONG, LONG_NO_NXE, MemoryImage, P, PS, RW, US, XD } from './memoryImage';

// VA = 255<<39 | 511<<30 | 3<<21 | 5<<12 | 0x123
//    = 0x7f8000000000 + 0x7fc0000000 + 0x600000 + 0x5000 + 0x123 = 0x7fffc0605123
const VA = 0x7fffc0605123n;

function image(): MemoryImage {
  return new MemoryImage()
    .set(0x1000n, 255, 0x2000n | P | RW | US)
    .set(0x2000n, 511, 0x3000n | P | RW | US)
    .set(0x3000n, 3, 0x4000n | P | RW | US)
    .set(0x4000n, 5, 0xabcd000n | P | RW | US | XD);
}

function ok(t: Translation) {
  assert.ok(t.ok, t.ok ? '' : t.message);
  return t;
}

void test('4-level 4-KByte page: steps, physical address, permissions', async () => {
  const t = ok(await translate(image().memory, { cr3: 0x1000n, ...LONG }, VA));
  assert.equal(t.mode, '4-level');
  assert.deepEqual(
    t.steps.map((s) => [s.level, s.index, s.tableAddress]),
    [
      ['PML4E', 255, 0x1000n],
      ['PDPTE', 511, 0x2000n],
      ['PDE', 3, 0x3000n],
      ['PTE', 5, 0x4000n],
    ],
  );
  assert.equal(t.steps[0]?.entryAddress, 0x17f8n); // 0x1000 + 255 * 8
  assert.equal(t.physicalAddress, 0xabcd123n);
  assert.equal(t.pageSize, 0x1000n);
  assert.deepEqual(t.permissions, { writable: true, user: true, executable: false });
});

void test('CR3 flag and PCID bits do not move the PML4', async () => {
  const t = ok(await translate(image().memory, { cr3: 0x1018n, ...LONG }, VA));
  assert.equal(t.physicalAddress, 0xabcd123n);
});

void test('permissions combine over levels: U/S at PDE, R/W at PDPTE, XD at PML4E', async () => {
  const img = image()
    .set(0x1000n, 255, 0x2000n | P | RW | US | XD)
    .set(0x2000n, 511, 0x3000n | P | US)
    .set(0x3000n, 3, 0x4000n | P | RW)
    .set(0x4000n, 5, 0xabcd000n | P | RW | US);
  const t = ok(await translate(img.memory, { cr3: 0x1000n, ...LONG }, VA));
  assert.deepEqual(t.permissions, { writable: false, user: false, executable: false });
});

void test('XD with IA32_EFER.NXE=0 is a reserved bit', async () => {
  const t = await translate(image().memory, { cr3: 0x1000n, ...LONG_NO_NXE }, VA);
  assert.equal(t.ok, false);
  assert.ok(!t.ok);
  assert.deepEqual(t.fault, { kind: 'reserved-bit', level: 'PTE', reservedBits: XD });
  assert.equal(t.steps.length, 4);
});

void test('2-MByte page with PAT (bit 12)', async () => {
  const img = image().set(0x3000n, 3, 0x40000000n | 0x1000n | P | RW | PS);
  const t = ok(await translate(img.memory, { cr3: 0x1000n, ...LONG }, VA));
  // VA bits 20:0 = 0x5123.
  assert.equal(t.physicalAddress, 0x40005123n);
  assert.equal(t.pageSize, 0x200000n);
  assert.equal(t.steps.at(-1)?.entry.pat, true);
  assert.deepEqual(t.permissions, { writable: true, user: false, executable: true });
});

void test('1-GByte page', async () => {
  const img = image().set(0x2000n, 511, 0x80000000n | P | RW | US | PS);
  const t = ok(await translate(img.memory, { cr3: 0x1000n, ...LONG }, VA));
  // VA bits 29:0 = 0x00605123.
  assert.equal(t.physicalAddress, 0x80605123n);
  assert.equal(t.pageSize, 0x40000000n);
  assert.equal(t.steps.length, 2);
});

void test('reserved bits: PS in PML4E, bit 13 of a 2-MByte PDE, address above MAXPHYADDR', async () => {
  const ps = await translate(
    image().set(0x1000n, 255, 0x2000n | P | PS).memory,
    { cr3: 0x1000n, ...LONG },
    VA,
  );
  assert.ok(!ps.ok);
  assert.deepEqual(ps.fault, { kind: 'reserved-bit', level: 'PML4E', reservedBits: 0x80n });
  const big = await translate(
    image().set(0x3000n, 3, 0x40000000n | 0x2000n | P | PS).memory,
    { cr3: 0x1000n, ...LONG },
    VA,
  );
  assert.ok(!big.ok);
  assert.deepEqual(big.fault, { kind: 'reserved-bit', level: 'PDE', reservedBits: 0x2000n });
  const wide = image().set(0x4000n, 5, (1n << 36n) | P);
  const m36 = await translate(wide.memory, { cr3: 0x1000n, ...LONG }, VA, { maxPhyAddr: 36 });
  assert.ok(!m36.ok);
  assert.deepEqual(m36.fault, { kind: 'reserved-bit', level: 'PTE', reservedBits: 1n << 36n });
  // With MAXPHYADDR 52 the same entry is a valid page at 0x1000000000.
  const m52 = ok(await translate(wide.memory, { cr3: 0x1000n, ...LONG }, VA));
  assert.equal(m52.physicalAddress, 0x1000000123n);
});

void test('not present at PDE', async () => {
  const t = await translate(image().set(0x3000n, 3, 0x4000n).memory, { cr3: 0x1000n, ...LONG }, VA);
  assert.ok(!t.ok);
  assert.deepEqual(t.fault, { kind: 'not-present', level: 'PDE' });
  assert.equal(t.message, 'not present at PDE');
  assert.equal(t.steps.length, 3);
});

void test('non-canonical addresses for 48-bit and 57-bit linear addresses', async () => {
  const mem = image().memory;
  const t = await translate(mem, { cr3: 0x1000n, ...LONG }, 0x0000800000000000n);
  assert.ok(!t.ok);
  assert.deepEqual(t.fault, { kind: 'non-canonical', width: 48 });
  assert.equal(t.steps.length, 0);
  const t57 = await translate(mem, { cr3: 0x1000n, ...LA57 }, 0x0100000000000000n);
  assert.ok(!t57.ok);
  assert.deepEqual(t57.fault, { kind: 'non-canonical', width: 57 });
});

void test('upper-half address: Linux direct map 0xffff888000001000 uses PML4 index 273', async () => {
  // 0x888000000000 >> 39 = 0x111 = 273.
  const img = new MemoryImage()
    .set(0x1000n, 273, 0x2000n | P | RW)
    .set(0x2000n, 0, 0x3000n | P | RW)
    .set(0x3000n, 0, 0x4000n | P | RW)
    .set(0x4000n, 1, 0x1000n | P | RW);
  const t = ok(await translate(img.memory, { cr3: 0x1000n, ...LONG }, 0xffff888000001008n));
  assert.equal(t.physicalAddress, 0x1008n);
});

void test('5-level paging: PML5 index 1', async () => {
  // VA = 1<<48 | 5<<12 | 0x10: canonical for 57 bits (bit 56 = 0).
  const img = new MemoryImage()
    .set(0x1000n, 1, 0x2000n | P | RW)
    .set(0x2000n, 0, 0x3000n | P | RW)
    .set(0x3000n, 0, 0x4000n | P | RW)
    .set(0x4000n, 0, 0x5000n | P | RW)
    .set(0x5000n, 5, 0x7000n | P | RW);
  const t = ok(await translate(img.memory, { cr3: 0x1000n, ...LA57 }, (1n << 48n) | 0x5010n));
  assert.equal(t.mode, '5-level');
  assert.deepEqual(
    t.steps.map((s) => s.level),
    ['PML5E', 'PML4E', 'PDPTE', 'PDE', 'PTE'],
  );
  assert.equal(t.physicalAddress, 0x7010n);
  // Under 4-level paging, the same address is non-canonical.
  const t4 = await translate(img.memory, { cr3: 0x1000n, ...LONG }, (1n << 48n) | 0x5010n);
  assert.equal(t4.ok, false);
});

void test('tables outside memory and failing reads are reported, not thrown', async () => {
  const missing = await translate(
    image().set(0x3000n, 3, 0x99000n | P).memory,
    { cr3: 0x1000n, ...LONG },
    VA,
  );
  assert.ok(!missing.ok);
  assert.equal(missing.fault.kind, 'memory-error');
  assert.deepEqual(
    missing.fault.kind === 'memory-error' && [
      missing.fault.level,
      missing.fault.tableAddress,
      missing.fault.reason,
    ],
    ['PTE', 0x99000n, 'outside-memory'],
  );
  const noRoot = await translate(image().memory, { cr3: 0x55000n, ...LONG }, VA);
  assert.ok(!noRoot.ok);
  assert.equal(noRoot.fault.kind === 'memory-error' && noRoot.fault.level, 'PML4E');
  const broken: PhysicalMemory = { readTable: () => Promise.reject(new Error('gdb timeout')) };
  const t = await translate(broken, { cr3: 0x1000n, ...LONG }, VA);
  assert.ok(!t.ok);
  assert.equal(t.fault.kind === 'memory-error' && t.fault.reason, 'unreadable');
  assert.match(t.message, /gdb timeout/);
  const short: PhysicalMemory = { readTable: () => Promise.resolve(new Uint8Array(16)) };
  const s = await translate(short, { cr3: 0x1000n, ...LONG }, VA);
  assert.ok(!s.ok);
  assert.match(s.message, /short read/);
  assert.ok(new PhysicalMemoryError('x', 0n) instanceof Error);
});

void test('CR0.PG=0: identity', async () => {
  const t = ok(await translate(image().memory, { cr0: 0x11n, cr3: 0x1000n, ...LONG }, 0x1234n));
  assert.equal(t.mode, 'none');
  assert.equal(t.physicalAddress, 0x1234n);
});
