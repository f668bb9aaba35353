// Enumeration of mappings over hand-built tables; expected addresses computed by hand in comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectWalk, walk, type WalkItem } from '../../../../adapter/x86/paging/walk';
import { LONG, linuxLike, MemoryImage, P, PS, RW, US } from './memoryImage';

const CTX = { cr3: 0x1000n, ...LONG };

function brief(items: WalkItem[]): string[] {
  return items.map((i) => {
    const va = i.virtualStart;
    const extra =
      i.kind === 'leaf'
        ? ` ${i.size.toString(16)}->${i.physicalStart.toString(16)}`
        : i.kind === 'truncated'
          ? ` ${i.reason}`
          : '';
    return `${i.kind} ${va.toString(16)}${extra}`;
  });
}

async function items(it: AsyncGenerator<WalkItem, unknown>): Promise<WalkItem[]> {
  const out: WalkItem[] = [];
  for await (const i of it) out.push(i);
  return out;
}

void test('4-level walk: leaves in ascending order, recursive PML4E reported, no re-reads', async () => {
  const r = await collectWalk(linuxLike().memory, CTX);
  assert.deepEqual(brief(r.mappings), [
    'leaf 0 200000->200000',
    'leaf 200000 1000->400000',
    'leaf 201000 1000->401000',
    'leaf 202000 1000->500000',
    'leaf 203000 1000->501000',
    'leaf ffffffff80000000 40000000->40000000', // 511<<39 | 510<<30, sign-extended from bit 47
  ]);
  assert.deepEqual(r.recursive, [
    {
      kind: 'recursive',
      virtualStart: 0xffffff0000000000n, // 510<<39 = 0xff0000000000, sign-extended
      size: 1n << 39n,
      level: 'PML4E',
      entryAddress: 0x1ff0n, // 0x1000 + 510 * 8
      targetTable: 0x1000n,
      targetLevel: 'PML4E',
    },
  ]);
  assert.equal(r.tableReads, 5);
  assert.equal(r.leaves, 6);
  assert.equal(r.truncated, false);
  assert.deepEqual(r.mappings[0]?.permissions, { writable: true, user: true, executable: true });
  assert.deepEqual(r.mappings[4]?.permissions, { writable: false, user: true, executable: true });
  assert.deepEqual(r.mappings[5]?.permissions, { writable: true, user: false, executable: true });
  assert.equal(r.mappings[5]?.entry.global, true);
});

void test('recursive: follow walks the self-map as hardware would, still reading each table once', async () => {
  const r = await collectWalk(linuxLike().memory, CTX, { recursive: 'follow' });
  assert.equal(r.recursive.length, 0);
  assert.equal(r.tableReads, 5);
  // 510/510/510/510: 0xff0000000000 + 0x7f80000000 + 0x3fc00000 + 0x1fe000 → the PML4 itself.
  const self = r.mappings.find((m) => m.virtualStart === 0xffffff7fbfdfe000n);
  assert.equal(self?.physicalStart, 0x1000n);
  assert.equal(self?.size, 0x1000n);
  for (let i = 1; i < r.mappings.length; i++) {
    assert.ok((r.mappings[i - 1]?.virtualStart ?? 0n) < (r.mappings[i]?.virtualStart ?? 0n), 'ascending');
  }
});

void test('limits: table reads, leaves, table visits', async () => {
  const reads = walk(linuxLike().memory, CTX, { maxTableReads: 2 });
  assert.deepEqual(brief(await items(reads)), ['truncated 0 max-table-reads']);
  const r = await collectWalk(linuxLike().memory, CTX, { maxTableReads: 2 });
  assert.equal(r.truncated, true);
  assert.equal(r.tableReads, 2);
  const leaves = await collectWalk(linuxLike().memory, CTX, { maxLeaves: 2 });
  assert.equal(leaves.mappings.length, 2);
  assert.deepEqual(leaves.truncatedBy, { kind: 'truncated', reason: 'max-leaves', virtualStart: 0x201000n });
  // Fan-in: all 512 PDEs reference the same page table, which maps one page.
  const fan = new MemoryImage()
    .set(0x1000n, 0, 0x2000n | P)
    .set(0x2000n, 0, 0x3000n | P)
    .set(0x4000n, 0, 0x9000n | P);
  for (let i = 0; i < 512; i++) fan.set(0x3000n, i, 0x4000n | P);
  const all = await collectWalk(fan.memory, CTX);
  assert.equal(all.mappings.length, 512);
  assert.equal(all.mappings[511]?.virtualStart, 511n << 21n);
  assert.equal(all.tableReads, 4);
  assert.equal(all.tableVisits, 515);
  const few = await collectWalk(fan.memory, CTX, { maxTableVisits: 10 });
  // Visits: PML4, PDPT, PD, then 7 of the page table.
  assert.equal(few.mappings.length, 7);
  assert.equal(few.truncatedBy?.reason, 'max-table-visits');
});

void test('range restricts the walk and its reads', async () => {
  const upper = await collectWalk(linuxLike().memory, CTX, {
    range: { start: 0xffff800000000000n, end: 1n << 64n },
  });
  assert.deepEqual(brief(upper.mappings), ['leaf ffffffff80000000 40000000->40000000']);
  assert.equal(upper.recursive.length, 1);
  assert.equal(upper.tableReads, 2);
  const mid = await collectWalk(linuxLike().memory, CTX, { range: { start: 0x201000n, end: 0x203000n } });
  assert.deepEqual(
    mid.mappings.map((m) => m.virtualStart),
    [0x201000n, 0x202000n],
  );
});

void test('unreadable tables and reserved bits become fault items; the walk goes on', async () => {
  const img = linuxLike()
    .set(0x1000n, 1, 0x77000n | P)
    .set(0x1000n, 2, 0x2000n | P | PS);
  const r = await collectWalk(img.memory, CTX);
  assert.deepEqual(brief(r.faults), ['fault 8000000000', 'fault 10000000000']); // 1<<39, 2<<39
  assert.equal(r.faults[0]?.size, 1n << 39n);
  assert.deepEqual(
    r.faults[0]?.fault.kind === 'memory-error' && [r.faults[0].fault.level, r.faults[0].fault.tableAddress],
    ['PDPTE', 0x77000n],
  );
  assert.deepEqual(r.faults[1]?.fault, { kind: 'reserved-bit', level: 'PML4E', reservedBits: 0x80n });
  assert.equal(r.mappings.length, 6);
  const none = await collectWalk(img.memory, { cr3: 0x99000n, ...LONG });
  assert.equal(none.faults[0]?.size, 1n << 48n);
});

void test('PAE and 32-bit walks', async () => {
  const pae = new MemoryImage()
    .set(0x1020n, 3, 0x2000n | P)
    .set(0x2000n, 1, 0x3000n | P | RW)
    .set(0x3000n, 1, 0x12345000n | P | RW | US);
  const r = await collectWalk(pae.memory, { cr3: 0x1020n, cr4: 1n << 5n, efer: 0n });
  // PDPT 3, PD 1, PT 1: 3<<30 | 1<<21 | 1<<12 = 0xc0201000.
  assert.deepEqual(brief(r.mappings), ['leaf c0201000 1000->12345000']);
  const flat = new MemoryImage()
    .set(0x5000n, 0, 0x400000n | P | RW | PS, 4)
    .set(0x5000n, 770, 0x6000n | P | RW | US, 4)
    .set(0x6000n, 1, 0x9000n | P | US, 4);
  const r32 = await collectWalk(flat.memory, { cr3: 0x5000n, cr4: 1n << 4n, efer: 0n });
  // 770<<22 | 1<<12 = 0xc0801000.
  assert.deepEqual(brief(r32.mappings), ['leaf 0 400000->400000', 'leaf c0801000 1000->9000']);
});

void test('CR0.PG=0: nothing to walk', async () => {
  const r = await collectWalk(linuxLike().memory, { ...CTX, cr0: 0x11n });
  assert.equal(r.mappings.length, 0);
  assert.equal(r.tableReads, 0);
});
