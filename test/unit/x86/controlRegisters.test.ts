// Expected values below are derived by hand from the manuals' bit positions (Intel SDM Vol. 3A §2.5,
// AMD APM Vol. 2 §3.1.7, SDM Vol. 1 §3.4.3), not from the implementation's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, formatSummary, undefinedBits, withField, type Layout } from '../../../adapter/x86/bitfields';
import {
  controlRegisterLayouts,
  cr0Layout,
  cr3Layout,
  cr4Layout,
  eferLayout,
  layoutForRegister,
} from '../../../adapter/x86/controlRegisters';
import { rflagsLayout } from '../../../adapter/x86/rflags';

function field(layout: Layout, value: bigint, name: string) {
  const f = decode(layout, value).find((d) => d.name === name);
  assert.ok(f, `no field ${name}`);
  return f;
}

void test('CR0 of a Linux x86-64 guest: 0x80050033', () => {
  // 0x33 = bits 0,1,4,5; 0x50000 = bits 16,18; 0x80000000 = bit 31.
  assert.equal(formatSummary(cr0Layout, 0x80050033n), '[PE MP ET NE WP AM PG]');
  assert.equal(field(cr0Layout, 0x80050033n, 'PG').display, 'PG=1');
  assert.equal(field(cr0Layout, 0x80050033n, 'CD').display, 'CD=0');
  assert.equal(undefinedBits(cr0Layout, 0x80050033n), 0n);
});

void test('CR0 bit positions follow SDM Figure 2-7', () => {
  const expected = { PE: 0, MP: 1, EM: 2, TS: 3, ET: 4, NE: 5, WP: 16, AM: 18, NW: 29, CD: 30, PG: 31 };
  assert.deepEqual(Object.fromEntries(cr0Layout.fields.map((f) => [f.name, f.lsb])), expected);
});

void test('CR4 bit positions follow SDM §2.5', () => {
  const expected = {
    VME: 0,
    PVI: 1,
    TSD: 2,
    DE: 3,
    PSE: 4,
    PAE: 5,
    MCE: 6,
    PGE: 7,
    PCE: 8,
    OSFXSR: 9,
    OSXMMEXCPT: 10,
    UMIP: 11,
    LA57: 12,
    VMXE: 13,
    SMXE: 14,
    FSGSBASE: 16,
    PCIDE: 17,
    OSXSAVE: 18,
    KL: 19,
    SMEP: 20,
    SMAP: 21,
    PKE: 22,
    CET: 23,
    PKS: 24,
    UINTR: 25,
    LASS: 27,
    LAM_SUP: 28,
    FRED: 32,
  };
  assert.deepEqual(Object.fromEntries(cr4Layout.fields.map((f) => [f.name, f.lsb])), expected);
});

void test('CR4 0x3506f0 (no PCID) and 0x370ef0 (PCID, UMIP)', () => {
  // 0x3506f0: nibble1=f (4-7), nibble2=6 (9,10), nibble4=5 (16,18), nibble5=3 (20,21).
  assert.equal(
    formatSummary(cr4Layout, 0x3506f0n),
    '[PSE PAE MCE PGE OSFXSR OSXMMEXCPT FSGSBASE OSXSAVE SMEP SMAP]',
  );
  // 0x370ef0: nibble2=e (9,10,11), nibble4=7 (16,17,18).
  assert.equal(
    formatSummary(cr4Layout, 0x370ef0n),
    '[PSE PAE MCE PGE OSFXSR OSXMMEXCPT UMIP FSGSBASE PCIDE OSXSAVE SMEP SMAP]',
  );
});

void test('CR4 with LA57, PKE and FRED (bit 32)', () => {
  const v = (1n << 5n) | (1n << 7n) | (1n << 12n) | (1n << 22n) | (1n << 32n);
  assert.equal(v, 0x1004010a0n);
  assert.equal(formatSummary(cr4Layout, v), '[PAE PGE LA57 PKE FRED]');
});

void test('EFER 0xd01 and 0x1d01', () => {
  assert.equal(formatSummary(eferLayout, 0xd01n), '[SCE LME LMA NXE]');
  assert.equal(formatSummary(eferLayout, 0x1d01n), '[SCE LME LMA NXE SVME]');
  assert.equal(undefinedBits(eferLayout, 0x1d01n), 0n);
  // bit 1 and bit 16 are reserved in EFER; bit 8 is LME.
  assert.equal(undefinedBits(eferLayout, 0x10102n), 0x10002n);
});

void test('RFLAGS 0x246: PF ZF IF, IOPL=0, reserved bit 1 not summarised', () => {
  assert.equal(formatSummary(rflagsLayout, 0x246n), '[PF ZF IF]');
  assert.equal(field(rflagsLayout, 0x246n, 'IOPL').display, 'IOPL=0');
  assert.equal(field(rflagsLayout, 0x246n, 'IOPL').meaning, 'ring 0');
  assert.equal(field(rflagsLayout, 0x246n, '1').reserved, true);
  assert.equal(field(rflagsLayout, 0x246n, '1').raw, 1n);
});

void test('RFLAGS 0x3202: IF with IOPL=3', () => {
  assert.equal(formatSummary(rflagsLayout, 0x3202n), '[IF IOPL=3]');
  assert.equal(field(rflagsLayout, 0x3202n, 'IOPL').raw, 3n);
  assert.equal(field(rflagsLayout, 0x3202n, 'IOPL').meaning, 'ring 3');
});

void test('CR3 with PCIDE=0: PWT, PCD and base', () => {
  const l = cr3Layout(false);
  assert.equal(formatSummary(l, 0x10a5018n), '[PWT PCD base=0x10a5000]');
  const base = field(l, 0x10a5018n, 'base');
  assert.equal(base.raw, 0x10a5n);
  assert.equal(base.value, 0x10a5000n);
  assert.equal(base.display, 'base=0x10a5000');
  assert.equal(
    decode(l, 0x10a5018n).some((d) => d.name === 'PCID'),
    false,
  );
});

void test('CR3 with PCIDE=1: PCID and base', () => {
  const l = cr3Layout(true);
  assert.equal(field(l, 0x10a5005n, 'PCID').display, 'PCID=0x5');
  assert.equal(field(l, 0x10a5000n, 'PCID').display, 'PCID=0x0');
  assert.equal(formatSummary(l, 0x10a5018n), '[PCID=0x18 base=0x10a5000]');
  assert.equal(formatSummary(l, (1n << 63n) | 0x1000n), '[base=0x1000 NOFLUSH]');
});

void test('CR3 LAM bits and bits above MAXPHYADDR 52', () => {
  assert.equal(formatSummary(cr3Layout(false), (1n << 61n) | 0x1000n), '[base=0x1000 LAM_U57]');
  assert.equal(formatSummary(cr3Layout(true), (1n << 62n) | 0x2001n), '[PCID=0x1 base=0x2000 LAM_U48]');
  assert.equal(
    undefinedBits(cr3Layout(false), (1n << 63n) | (1n << 52n) | 0x1000n),
    (1n << 63n) | (1n << 52n),
  );
});

void test('layoutForRegister maps gdb names, cr3 by CR4.PCIDE', () => {
  assert.equal(layoutForRegister('cr0', {}), cr0Layout);
  assert.equal(layoutForRegister('EFLAGS', {}), rflagsLayout);
  assert.equal(layoutForRegister('efer', {}), eferLayout);
  assert.equal(layoutForRegister('cr3', { cr4: 0x370ef0n }), cr3Layout(true));
  assert.equal(layoutForRegister('cr3', { cr4: 0x3506f0n }), cr3Layout(false));
  assert.equal(layoutForRegister('cr3', {}), cr3Layout(false));
  assert.equal(layoutForRegister('cs', {}), controlRegisterLayouts.segmentSelector);
  assert.equal(layoutForRegister('cr2', {}), undefined);
  assert.equal(layoutForRegister('rip', {}), undefined);
});

void test('withField round-trips on control registers', () => {
  assert.equal(withField(cr0Layout, 0x80050033n, 'PG', 0n), 0x00050033n);
  assert.equal(withField(cr0Layout, 0x80050033n, 'WP', 0n), 0x80040033n);
  assert.equal(withField(cr0Layout, 0x80040033n, 'WP', 1n), 0x80050033n);
  assert.equal(withField(rflagsLayout, 0x246n, 'IOPL', 3n), 0x3246n);
  assert.equal(withField(cr3Layout(true), 0x1005n, 'base', 0x2000n), 0x2005n);
  assert.equal(withField(cr3Layout(true), 0x1005n, 'PCID', 0xfffn), 0x1fffn);
  assert.equal(withField(cr4Layout, 0n, 'FRED', 1n), 1n << 32n);
});

void test('withField errors', () => {
  assert.throws(() => withField(rflagsLayout, 0x246n, 'IOPL', 4n), {
    name: 'RangeError',
    message: /IOPL: 4 does not fit in 2 bits \(bits 13:12\)/,
  });
  assert.throws(() => withField(cr0Layout, 0n, 'XX', 1n), {
    name: 'RangeError',
    message: /no field named 'XX'/,
  });
  assert.throws(() => withField(cr0Layout, 0n, 'PG', 2n), RangeError);
  assert.throws(() => withField(cr0Layout, 0n, 'PG', -1n), RangeError);
  assert.throws(() => withField(cr3Layout(true), 0n, 'PCID', 0x1000n), RangeError);
  assert.throws(() => withField(cr3Layout(false), 0n, 'base', 0x2001n), { message: /not aligned/ });
  assert.throws(() => withField(cr3Layout(false), 0n, 'base', 1n << 52n), { message: /does not fit/ });
});
