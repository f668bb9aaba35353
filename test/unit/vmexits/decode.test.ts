import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEptViolation,
  decodeExitInfo,
  decodeInterruptionInfo,
  decodeNestedPageFault,
  decodeSvmCrAccess,
  decodeSvmIo,
  decodeVmxCrAccess,
  decodeVmxIo,
  decodeVmxMsr,
} from '../../../adapter/vmexits/decode';

void test('VMX I/O qualification: port, size, direction, string, rep, immediate', () => {
  assert.deepEqual(decodeVmxIo(0x3f80000n), {
    kind: 'io',
    port: 0x3f8,
    size: 1,
    direction: 'out',
    string: false,
    rep: false,
    immediate: false,
    addressSize: null,
    nextRip: null,
  });
  const ins = decodeVmxIo((0x1f0n << 16n) | 0x39n); // size 2 (1), IN, string, rep
  assert.equal(ins.port, 0x1f0);
  assert.equal(ins.size, 2);
  assert.equal(ins.direction, 'in');
  assert.equal(ins.string, true);
  assert.equal(ins.rep, true);
  assert.equal(decodeVmxIo(0x700043n).size, 4);
  assert.equal(decodeVmxIo(0x700043n).immediate, true);
  assert.equal(decodeVmxIo(0x2n).size, 0);
});

void test('SVM IOIO EXITINFO1: port, size, type, string, rep, address size, next RIP', () => {
  const out = decodeSvmIo(0x00700210n, 0xffffffff8104c5a6n);
  assert.equal(out.port, 0x70);
  assert.equal(out.size, 1);
  assert.equal(out.direction, 'out');
  assert.equal(out.string, false);
  assert.equal(out.addressSize, null);
  assert.equal(out.nextRip, 0xffffffff8104c5a6n);
  const rep = decodeSvmIo((0x1f0n << 16n) | 0x20dn); // A64, REP, STR, IN
  assert.equal(rep.direction, 'in');
  assert.equal(rep.string, true);
  assert.equal(rep.rep, true);
  assert.equal(rep.addressSize, 64);
  assert.equal(decodeSvmIo(0x40n).size, 4);
  assert.equal(decodeSvmIo(0x20n).size, 2);
});

void test('EPT violation qualification bits', () => {
  const v = decodeEptViolation(0x181n);
  assert.deepEqual(v.access, { read: true, write: false, fetch: false });
  assert.deepEqual(v.allowed, { read: false, write: false, execute: false, userExecute: false });
  assert.equal(v.linearAddressValid, true);
  assert.equal(v.translatedAccess, true);
  const w = decodeEptViolation(0x1abn | (1n << 12n) | (1n << 16n));
  assert.equal(w.access.write, true);
  assert.equal(w.allowed.read, true);
  assert.equal(w.allowed.execute, true);
  assert.equal(w.nmiUnblocking, true);
  assert.equal(w.asynchronous, true);
  assert.equal(decodeEptViolation(0x100n).translatedAccess, false);
});

void test('NPF EXITINFO1 bits and GPA', () => {
  const f = decodeNestedPageFault(0x100000006n, 0xfee00300n);
  assert.equal(f.present, false);
  assert.equal(f.write, true);
  assert.equal(f.user, true);
  assert.equal(f.finalTranslation, true);
  assert.equal(f.guestPageTables, false);
  assert.equal(f.gpa, 0xfee00300n);
  const g = decodeNestedPageFault((1n << 33n) | (1n << 31n) | 0x11n);
  assert.equal(g.guestPageTables, true);
  assert.equal(g.rmp, true);
  assert.equal(g.fetch, true);
  assert.equal(g.present, true);
  assert.equal(g.gpa, null);
});

void test('CR access and MSR', () => {
  assert.deepEqual(decodeVmxCrAccess(0x303n), {
    kind: 'cr',
    cr: 3,
    access: 'mov-to-cr',
    gpr: 'rbx',
    lmswData: null,
    lmswMemory: false,
  });
  assert.equal(decodeVmxCrAccess(0x14n).access, 'mov-from-cr');
  assert.equal(decodeVmxCrAccess(0x20n).access, 'clts');
  const lmsw = decodeVmxCrAccess(0x000b0070n);
  assert.equal(lmsw.access, 'lmsw');
  assert.equal(lmsw.lmswData, 0xb);
  assert.equal(lmsw.lmswMemory, true);
  assert.equal(decodeSvmCrAccess(3, 0x8000000000000007n).gpr, 'rdi');
  assert.equal(decodeSvmCrAccess(3, 0n).access, 'other');
  assert.deepEqual(decodeVmxMsr(85, 0x6e0n), { kind: 'msr', write: true, msr: 0x6e0 });
  assert.deepEqual(decodeVmxMsr(31, 0n), { kind: 'msr', write: false, msr: null });
});

void test('decodeExitInfo dispatches by ISA and reason code', () => {
  assert.equal(decodeExitInfo({ isa: 'vmx', code: 30, info1: 0x3f80000n, info2: 0n })?.kind, 'io');
  assert.equal(decodeExitInfo({ isa: 'vmx', code: 48, info1: 0x181n, info2: 0n })?.kind, 'ept-violation');
  assert.equal(decodeExitInfo({ isa: 'vmx', code: 28, info1: 3n, info2: 0n })?.kind, 'cr');
  assert.equal(decodeExitInfo({ isa: 'vmx', code: 32, info1: 0n, info2: 0n })?.kind, 'msr');
  assert.equal(decodeExitInfo({ isa: 'svm', code: 0x7b, info1: 0x700210n, info2: 1n })?.kind, 'io');
  assert.equal(decodeExitInfo({ isa: 'svm', code: 0x400, info1: 6n, info2: 1n })?.kind, 'npf');
  assert.equal(decodeExitInfo({ isa: 'svm', code: 0x7c, info1: 1n, info2: 0n })?.kind, 'msr');
  assert.equal(decodeExitInfo({ isa: 'svm', code: 0x13, info1: 0n, info2: 0n })?.kind, 'cr');
  assert.equal(decodeExitInfo({ isa: 'vmx', code: 12, info1: 0n, info2: 0n }), null);
  assert.equal(decodeExitInfo({ isa: 'unknown', code: 30, info1: 0n, info2: 0n }), null);
  assert.equal(decodeExitInfo({ isa: 'vmx', code: 30, info1: null, info2: null }), null);
});

void test('interruption information', () => {
  assert.deepEqual(decodeInterruptionInfo('vmx', 0x80000b0e), {
    valid: true,
    vector: 14,
    type: 'hardware exception',
    errorCodeValid: true,
    nmiUnblocking: false,
  });
  assert.equal(decodeInterruptionInfo('vmx', 0x800000ec).type, 'external interrupt');
  assert.equal(decodeInterruptionInfo('svm', 0x80000202).type, 'NMI');
  assert.equal(decodeInterruptionInfo('svm', 0).valid, false);
});
