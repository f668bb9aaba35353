// EPT (Intel SDM Vol. 3C "EPT Translation Mechanism") and AMD NPT (AMD APM Vol. 2 §15.25).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEptEntry, eptEntryFields } from '../../../../adapter/x86/paging/ept';
import { decodeNptEntry, translateEpt, translateNpt } from '../../../../adapter/x86/paging/nested';
import { MemoryImage, P, RW, US } from './memoryImage';

// EPTP: root 0x1000, page-walk length - 1 = 3 (bits 5:3), WB (6), A/D enable (bit 6).
const EPTP = 0x1000n | (3n << 3n) | 6n | (1n << 6n);
// GPA 0x12345678: PML4 0, PDPT 0, PD 0x12345678>>21 = 0x91, PT 0x12345 & 0x1ff = 0x145, offset 0x678.
const GPA = 0x12345678n;
const RWX = 7n;

function ept(): MemoryImage {
  return new MemoryImage()
    .set(0x1000n, 0, 0x2000n | RWX)
    .set(0x2000n, 0, 0x3000n | RWX)
    .set(0x3000n, 0x91, 0x4000n | RWX)
    .set(0x4000n, 0x145, 0xabcde000n | 3n | (6n << 3n) | 0x40n); // R W, WB, IPAT
}

void test('EPT 4-level walk: host physical, combined rights, memory type', async () => {
  const t = await translateEpt(ept().memory, { eptp: EPTP }, GPA);
  assert.ok(t.ok);
  assert.equal(t.hostPhysical, 0xabcde678n);
  assert.equal(t.pageSize, 0x1000n);
  assert.deepEqual(t.permissions, { read: true, write: true, execute: false, userExecute: false });
  assert.equal(t.memoryType, 6);
  assert.equal(t.ignorePat, true);
  assert.deepEqual(
    t.steps.map((s) => [s.level, s.index]),
    [
      ['PML4E', 0],
      ['PDPTE', 0],
      ['PDE', 0x91],
      ['PTE', 0x145],
    ],
  );
});

void test('EPT 2-MByte page', async () => {
  const img = ept().set(0x3000n, 0x91, 0x40000000n | RWX | 0x80n | (6n << 3n));
  const t = await translateEpt(img.memory, { eptp: EPTP }, GPA);
  assert.ok(t.ok);
  // GPA bits 20:0 = 0x145678.
  assert.equal(t.hostPhysical, 0x40145678n);
  assert.equal(t.pageSize, 0x200000n);
});

void test('EPT violations and misconfigurations', async () => {
  const missing = await translateEpt(ept().set(0x4000n, 0x145, 0n).memory, { eptp: EPTP }, GPA);
  assert.ok(!missing.ok);
  assert.deepEqual(missing.fault, { kind: 'ept-violation', level: 'PTE' });
  const wo = await translateEpt(ept().set(0x4000n, 0x145, 0x5000n | 2n).memory, { eptp: EPTP }, GPA);
  assert.ok(!wo.ok);
  assert.deepEqual(wo.fault, {
    kind: 'ept-misconfiguration',
    level: 'PTE',
    reason: 'write access without read access',
  });
  const mt = await translateEpt(
    ept().set(0x4000n, 0x145, 0x5000n | 1n | (2n << 3n)).memory,
    { eptp: EPTP },
    GPA,
  );
  assert.ok(!mt.ok);
  assert.equal(mt.fault.kind === 'ept-misconfiguration' && mt.fault.reason, 'reserved memory type 2');
  const rsv = await translateEpt(ept().set(0x1000n, 0, 0x2000n | RWX | 8n).memory, { eptp: EPTP }, GPA);
  assert.ok(!rsv.ok);
  assert.deepEqual(rsv.fault, {
    kind: 'ept-misconfiguration',
    level: 'PML4E',
    reason: 'reserved bit(s) 0x8 set',
  });
});

void test('EPT: bad EPTP, too-wide GPA, unreadable table', async () => {
  const bad = await translateEpt(ept().memory, { eptp: 0x1000n | (1n << 3n) }, GPA);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.fault, { kind: 'invalid-eptp', pageWalkLength: 2 });
  const wide = await translateEpt(ept().memory, { eptp: EPTP }, 1n << 48n);
  assert.ok(!wide.ok);
  assert.deepEqual(wide.fault, { kind: 'address-too-wide', width: 48 });
  const gone = await translateEpt(ept().memory, { eptp: 0x9000n | (3n << 3n) }, GPA);
  assert.ok(!gone.ok);
  assert.equal(gone.fault.kind, 'memory-error');
});

void test('EPT entry fields and mode-based execute control', () => {
  const pte = decodeEptEntry(0x400n | 0x5000n, 'PTE');
  assert.equal(pte.present, false);
  const mbec = decodeEptEntry(0x400n | 0x5000n, 'PTE', { modeBasedExecute: true });
  assert.equal(mbec.present, true);
  assert.equal(mbec.userExecute, true);
  assert.equal(mbec.execute, false);
  assert.deepEqual(
    eptEntryFields(mbec).map((f) => f.name),
    ['R', 'W', 'X', 'MT', 'IPAT', 'A', 'D', 'XU', 'address', 'VGP', 'PW', 'SSS', 'SPP', 'SVE'],
  );
  const wb = eptEntryFields(decodeEptEntry(0x5000n | 0x31n, 'PTE')).find((f) => f.name === 'MT');
  assert.equal(wb?.meaning, 'WB');
});

// gPA 0x800000001000: bit 47 set (a valid gPA, though not a canonical linear address): PML4 256, PT 1.
const NGPA = 0x800000001000n;
function npt(pdFlags = P | RW | US): MemoryImage {
  return new MemoryImage()
    .set(0x1000n, 256, 0x2000n | P | RW | US)
    .set(0x2000n, 0, 0x3000n | P | RW | US)
    .set(0x3000n, 0, 0x4000n | pdFlags)
    .set(0x4000n, 1, 0x7000n | P | RW | US);
}

void test('NPT: long-mode walk of a guest-physical address', async () => {
  const t = await translateNpt(npt().memory, { ncr3: 0x1000n, nxe: true }, NGPA + 0x10n);
  assert.ok(t.ok);
  assert.equal(t.physicalAddress, 0x7010n);
  assert.equal(t.virtualAddress, NGPA + 0x10n);
  assert.equal(t.userViolation, undefined);
});

void test('NPT: U/S=0 at any level is flagged; too-wide gPA', async () => {
  const t = await translateNpt(npt(P | RW).memory, { ncr3: 0x1000n, nxe: true }, NGPA);
  assert.equal(t.userViolation, 'PDE');
  const wide = await translateNpt(npt().memory, { ncr3: 0x1000n, nxe: true }, 1n << 48n);
  assert.ok(!wide.ok);
  assert.deepEqual(wide.fault, { kind: 'address-too-wide', width: 48 });
  assert.equal(decodeNptEntry(0x2003n, 'PML4E', { nxe: true }).userViolation, true);
  assert.equal(decodeNptEntry(0x2007n, 'PML4E', { nxe: true }).userViolation, false);
});
