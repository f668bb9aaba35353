import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SVM_EXIT_REASONS,
  VMX_EXIT_REASONS,
  exitReason,
  exitReasonByName,
  readReasonText,
  svmExitReason,
  vmxExitReason,
} from '../../../adapter/vmexits/reasons';

void test('tables have unique codes per ISA and unique names and aliases overall', () => {
  for (const table of [VMX_EXIT_REASONS, SVM_EXIT_REASONS]) {
    const codes = table.map((r) => r.code);
    assert.equal(new Set(codes).size, codes.length);
  }
  const names = [...VMX_EXIT_REASONS, ...SVM_EXIT_REASONS].flatMap((r) => [r.name, ...r.aliases]);
  assert.equal(new Set(names).size, names.length);
});

void test('VMX table covers the SDM basic exit reasons 0-85 except the unassigned ones', () => {
  const missing = [];
  for (let c = 0; c <= 85; c++) if (vmxExitReason(c) === undefined) missing.push(c);
  assert.deepEqual(missing, [35, 38, 42, 71, 82, 83]);
});

void test('names are what KVM prints', () => {
  assert.equal(vmxExitReason(48)?.name, 'EPT_VIOLATION');
  assert.equal(vmxExitReason(30)?.name, 'IO_INSTRUCTION');
  assert.equal(vmxExitReason(7)?.name, 'INTERRUPT_WINDOW');
  assert.equal(vmxExitReason(0x80000021)?.name, 'INVALID_STATE');
  assert.equal(svmExitReason(0x81)?.name, 'hypercall');
  assert.equal(svmExitReason(0x7b)?.name, 'io');
  assert.equal(svmExitReason(0x400)?.name, 'npf');
  assert.equal(svmExitReason(0x4e)?.name, 'PF excp');
  assert.equal(svmExitReason(0x69)?.name, 'read_rt');
  assert.equal(svmExitReason(-1)?.name, 'invalid_guest_state');
  assert.equal(exitReason('svm', 0xa6)?.name, 'idle-halt');
  assert.equal(svmExitReason(0x8e)?.kvmNamed, false);
  assert.equal(vmxExitReason(11)?.kvmNamed, false);
  assert.equal(exitReasonByName('PENDING_INTERRUPT')?.code, 7);
  assert.equal(exitReasonByName('EXIT_IOIO')?.code, 0x7b);
  assert.equal(exitReasonByName('EXIT_EXCP_PF')?.code, 0x4e);
  assert.equal(exitReasonByName('EXIT_ERR')?.code, 0xffffffff);
});

void test('readReasonText handles names, flags, hex codes, plugin spellings and garbage', () => {
  assert.deepEqual(readReasonText('EPT_VIOLATION'), {
    name: 'EPT_VIOLATION',
    isa: 'vmx',
    code: 48,
    info: vmxExitReason(48),
    flags: 0,
  });
  const failed = readReasonText('INVALID_STATE FAILED_VMENTRY');
  assert.equal(failed?.name, 'INVALID_STATE');
  assert.equal(failed?.flags, 0x80000000);
  assert.equal(readReasonText('EXCEPTION_NMI 0x8000000')?.flags, 0x8000000);
  assert.equal(readReasonText('PF excp')?.code, 0x4e);
  assert.equal(readReasonText('EXIT_NPF')?.name, 'npf');
  assert.deepEqual(readReasonText('0x4c'), {
    name: '0x4c',
    isa: 'unknown',
    code: 0x4c,
    info: null,
    flags: 0,
  });
  assert.deepEqual(readReasonText('UNKNOWN (166)'), {
    name: 'UNKNOWN (166)',
    isa: 'unknown',
    code: 166,
    info: null,
    flags: 0,
  });
  assert.equal(readReasonText('NEW_REASON')?.isa, 'vmx');
  assert.equal(readReasonText('new_reason')?.isa, 'svm');
  for (const bad of ['', ' ', 'HLT BOGUS', 'h\u0001t', '0x', '-x', 'a'.repeat(80)]) {
    assert.equal(readReasonText(bad), null, JSON.stringify(bad));
  }
});
