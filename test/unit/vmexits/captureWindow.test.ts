/**
 * A capture window that opens on an exit before its thread's first entry: trace-cmd's report cannot name
 * that exit's vCPU (its kvm plugin omits it), the kernel's text does. Lines in the formats of the lab's
 * captures (test/fixtures/traces/captures).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromFirstEntries } from '../../lab/captureCheck';
import { refStats } from '../../lab/traceReference';

const TEXT = [
  '   kvm-hypercall-127     [000] .....     5.371901: kvm_exit: vcpu 0 reason io rip 0x801e info1 0x0000000000100210 info2 0x0000000000008020 intr_info 0x00000000 error_code 0x00000000',
  '   kvm-hypercall-127     [000] d..1.     5.371911: kvm_entry: vcpu 0, rip 0x8062',
  '   kvm-hypercall-127     [000] .....     5.371971: kvm_exit: vcpu 0 reason hypercall rip 0x801b info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
  '   kvm-hypercall-127     [000] d..1.     5.372037: kvm_entry: vcpu 0, rip 0x801e',
].join('\n');

const REPORT = [
  '   kvm-hypercall-127   [000]     5.371901: kvm_exit:             reason EXIT_IOIO rip 0x801e info 100210 8020',
  '   kvm-hypercall-127   [000]     5.371911: kvm_entry:             vcpu 0 rip 0x8062',
  '   kvm-hypercall-127   [000]     5.371971: kvm_exit:             reason EXIT_VMMCALL rip 0x801b info 0 0',
  '   kvm-hypercall-127   [000]     5.372037: kvm_entry:             vcpu 0 rip 0x801e',
].join('\n');

test('the two views disagree on the vCPU of an exit before the first entry', () => {
  assert.ok(refStats(REPORT).vcpus.has(-1));
  assert.ok(!refStats(TEXT).vcpus.has(-1));
});

test('cut where every thread has entered, both views agree', () => {
  const cut = fromFirstEntries(TEXT, REPORT);
  assert.equal(cut.text.split('\n').length, 3);
  assert.equal(cut.report.split('\n').length, 3);
  assert.deepEqual(refStats(cut.report), refStats(cut.text));
  assert.deepEqual([...refStats(cut.report).vcpus.keys()], [0]);
});
