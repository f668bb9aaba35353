// PAE and 32-bit paging (Intel SDM Vol. 3A §4.3, §4.4). Indices computed by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translate, type Translation } from '../../../../adapter/x86/paging/translate';
import { MemoryImage, P, PS, RW, US, XD } from './memoryImage';

const PAE = { cr4: 1n << 5n, efer: 0n };
const PAE_NXE = { cr4: 1n << 5n, efer: 1n << 11n };
const PSE = { cr4: 1n << 4n, efer: 0n };
const NO_PSE = { cr4: 0n, efer: 0n };

function ok(t: Translation) {
  assert.ok(t.ok, t.ok ? '' : t.message);
  return t;
}

// PAE, VA 0xc0201abc: VA>>21 = 0x601 → PDPT index 0x601>>9 = 3, PD index 0x601 & 0x1ff = 1;
// VA>>12 = 0xc0201 → PT index 0x001; offset 0xabc. CR3 = 0x1020: PDPT at 0x1020 (32-byte aligned).
const PAE_VA = 0xc0201abcn;
function paeImage(): MemoryImage {
  return new MemoryImage()
    .set(0x1020n, 3, 0x2000n | P)
    .set(0x2000n, 1, 0x3000n | P | RW)
    .set(0x3000n, 1, 0x12345000n | P | RW | US);
}

void test('PAE: PDPTE from CR3 bits 31:5, 4-KByte page', async () => {
  const t = ok(await translate(paeImage().memory, { cr3: 0x1020n, ...PAE }, PAE_VA));
  assert.equal(t.mode, 'pae');
  assert.deepEqual(
    t.steps.map((s) => [s.level, s.index, s.entryAddress]),
    [
      ['PDPTE', 3, 0x1038n], // 0x1020 + 3 * 8
      ['PDE', 1, 0x2008n],
      ['PTE', 1, 0x3008n],
    ],
  );
  assert.equal(t.physicalAddress, 0x12345abcn);
  // U/S=0 in the PDE; the PDPTE has no R/W or U/S bits.
  assert.deepEqual(t.permissions, { writable: true, user: false, executable: true });
});

void test('PAE: 2-MByte page, XD with NXE', async () => {
  const img = paeImage().set(0x2000n, 1, 0x600000n | P | RW | US | PS | XD);
  const t = ok(await translate(img.memory, { cr3: 0x1020n, ...PAE_NXE }, PAE_VA));
  // VA bits 20:0 = 0x001abc.
  assert.equal(t.physicalAddress, 0x601abcn);
  assert.equal(t.pageSize, 0x200000n);
  assert.deepEqual(t.permissions, { writable: true, user: true, executable: false });
});

void test('PAE: reserved bits (PDPTE R/W, PDE bit 52 which 4-level paging ignores)', async () => {
  const rw = await translate(
    paeImage().set(0x1020n, 3, 0x2000n | P | RW).memory,
    { cr3: 0x1020n, ...PAE },
    PAE_VA,
  );
  assert.ok(!rw.ok);
  assert.deepEqual(rw.fault, { kind: 'reserved-bit', level: 'PDPTE', reservedBits: 0x2n });
  const b52 = paeImage().set(0x2000n, 1, 0x3000n | P | RW | (1n << 52n));
  const t = await translate(b52.memory, { cr3: 0x1020n, ...PAE }, PAE_VA);
  assert.ok(!t.ok);
  assert.deepEqual(t.fault, { kind: 'reserved-bit', level: 'PDE', reservedBits: 1n << 52n });
});

void test('PAE and 32-bit: addresses above 4 GiB are rejected', async () => {
  const t = await translate(paeImage().memory, { cr3: 0x1020n, ...PAE }, 0x100000000n);
  assert.ok(!t.ok);
  assert.deepEqual(t.fault, { kind: 'address-too-wide', width: 32 });
});

// 32-bit, VA 0xc0801234: PD index VA>>22 = 0x302 (770), PT index (VA>>12) & 0x3ff = 0x001, offset 0x234.
const VA32 = 0xc0801234n;
function image32(): MemoryImage {
  return new MemoryImage().set(0x5000n, 770, 0x6000n | P | RW | US, 4).set(0x6000n, 1, 0x9000n | P | US, 4);
}

void test('32-bit paging: 4-byte entries, 4-KByte page', async () => {
  const t = ok(await translate(image32().memory, { cr3: 0x5000n, ...NO_PSE }, VA32));
  assert.equal(t.mode, '32-bit');
  assert.deepEqual(
    t.steps.map((s) => [s.level, s.index, s.entryAddress]),
    [
      ['PDE', 770, 0x5c08n], // 0x5000 + 770 * 4
      ['PTE', 1, 0x6004n],
    ],
  );
  assert.equal(t.physicalAddress, 0x9234n);
  assert.deepEqual(t.permissions, { writable: false, user: true, executable: true });
});

void test('32-bit paging with CR4.PSE: 4-MByte page, PSE-36 high bits', async () => {
  const img = image32().set(0x5000n, 770, 0x01000000n | P | RW | PS, 4);
  const t = ok(await translate(img.memory, { cr3: 0x5000n, ...PSE }, VA32));
  // VA bits 21:0 = 0x001234.
  assert.equal(t.physicalAddress, 0x01001234n);
  assert.equal(t.pageSize, 0x400000n);
  // Bits 20:13 = 3 give physical bits 39:32 = 3.
  const high = image32().set(0x5000n, 770, 0x01000000n | (3n << 13n) | P | PS, 4);
  assert.equal(
    ok(await translate(high.memory, { cr3: 0x5000n, ...PSE }, VA32)).physicalAddress,
    0x301001234n,
  );
  // Bit 21 is reserved.
  const r = await translate(
    image32().set(0x5000n, 770, (1n << 21n) | P | PS, 4).memory,
    { cr3: 0x5000n, ...PSE },
    VA32,
  );
  assert.ok(!r.ok);
  assert.deepEqual(r.fault, { kind: 'reserved-bit', level: 'PDE', reservedBits: 1n << 21n });
});

void test('32-bit paging without CR4.PSE: PS is ignored, the PDE references a page table', async () => {
  const img = image32().set(0x5000n, 770, 0x01000000n | P | RW | PS, 4);
  const t = await translate(img.memory, { cr3: 0x5000n, ...NO_PSE }, VA32);
  assert.ok(!t.ok);
  assert.equal(t.fault.kind === 'memory-error' && t.fault.tableAddress, 0x01000000n);
  assert.equal(t.steps[0]?.entry.role, 'table');
});
