// Entry decoding by manual name (Intel SDM Vol. 3A Tables 4-4 to 4-20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntry, entryFields, entryFlagString } from '../../../../adapter/x86/paging/entries';
import { pagingModeOf } from '../../../../adapter/x86/paging/mode';

const long = { mode: '4-level', nxe: true, pse: false } as const;

void test('PTE 0x8000000000000867 of a Linux user page', () => {
  // 0x867 = bits 0,1,2,5,6,11: P R/W U/S A D, AVL (11:9) = 0b100.
  const e = decodeEntry(0x8000000000000867n, 'PTE', long);
  assert.equal(entryFlagString(e), 'P R/W U/S A D XD');
  assert.equal(e.address, 0n);
  assert.equal(e.executeDisable, true);
  assert.equal(e.dirty, true);
  assert.equal(e.global, false);
  assert.equal(e.pageBytes, 0x1000n);
  assert.equal(entryFields(e).find((f) => f.name === 'AVL')?.raw, 4n);
  assert.equal(e.reservedBits, 0n);
});

void test('PTE protection key (bits 62:59) and PAT (bit 7)', () => {
  const e = decodeEntry((5n << 59n) | 0x1234000n | 0x80n | 1n, 'PTE', long);
  assert.equal(e.protectionKey, 5);
  assert.equal(e.pat, true);
  assert.equal(e.address, 0x1234000n);
  assert.equal(entryFields(e).find((f) => f.name === 'PK')?.display, 'PK=0x5');
});

void test('2-MByte PDE: PAT is bit 12, address bits 51:21, G', () => {
  const e = decodeEntry(0x40000000n | 0x1000n | 0x1e3n, 'PDE', long);
  // 0x1e3 = bits 0,1,5,6,7,8: P R/W A D PS G.
  assert.equal(e.role, 'large');
  assert.equal(e.pat, true);
  assert.equal(e.global, true);
  assert.equal(e.address, 0x40000000n);
  assert.equal(e.pageBytes, 0x200000n);
  assert.equal(entryFlagString(e), 'P R/W A D PS G PAT');
});

void test('table-referencing entries: no D/G/PAT, PK undefined', () => {
  const e = decodeEntry(0x2000n | 0x67n, 'PML4E', long);
  assert.equal(e.role, 'table');
  assert.equal(e.dirty, false);
  assert.equal(e.protectionKey, undefined);
  assert.equal(e.pageBytes, 0n);
  // Bit 6 is ignored in a PML4E: it is named IGN6, not D.
  assert.equal(entryFlagString(e), 'P R/W U/S A IGN6');
});

void test('not-present entries report no reserved bits', () => {
  assert.equal(decodeEntry(0x80n, 'PML4E', long).reservedBits, 0n);
  assert.equal(decodeEntry(0x81n, 'PML4E', long).reservedBits, 0x80n);
});

void test('PAE PDPTE layout names only P, PWT, PCD, AVL and the address', () => {
  const e = decodeEntry(0x2000n | 0x19n, 'PDPTE', { mode: 'pae', nxe: false, pse: false });
  assert.deepEqual(
    entryFields(e).map((f) => f.name),
    ['P', 'PWT', 'PCD', 'AVL', 'address'],
  );
  assert.equal(entryFlagString(e), 'P PWT PCD');
});

void test('invalid MAXPHYADDR', () => {
  assert.throws(() => decodeEntry(1n, 'PTE', { ...long, maxPhyAddr: 53 }), RangeError);
  assert.throws(() => decodeEntry(1n, 'PTE', { ...long, maxPhyAddr: 0 }), RangeError);
});

void test('pagingModeOf follows SDM Table 4-1', () => {
  const PAE = 1n << 5n;
  const LMA = 1n << 10n;
  assert.equal(pagingModeOf({ cr0: 0x11n, cr3: 0n, cr4: PAE, efer: LMA }), 'none');
  assert.equal(pagingModeOf({ cr3: 0n, cr4: 0n, efer: 0n }), '32-bit');
  assert.equal(pagingModeOf({ cr3: 0n, cr4: PAE, efer: 0n }), 'pae');
  assert.equal(pagingModeOf({ cr0: 0x80000011n, cr3: 0n, cr4: PAE, efer: LMA }), '4-level');
  assert.equal(pagingModeOf({ cr3: 0n, cr4: PAE | (1n << 12n), efer: LMA }), '5-level');
});
