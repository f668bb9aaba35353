/** The hypercall and paravirt views' pure parts (no VS Code): rows for calls, exits, sites and pv_ops. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  HypercallInfo,
  HypercallSiteInfo,
  VmExitInfo,
} from '../../../adapter/protocol/hypercallRequests';
import type { ParavirtSlot } from '../../../adapter/protocol/kernelRequests';
import {
  argumentText,
  hypercallText,
  parseHypercallCall,
  resultText,
  siteBreakpointName,
  siteText,
  symbolText,
  vmExitText,
} from '../../../extension/views/hypercallsFormat';
import { groupSlots, slotGroup, slotText } from '../../../extension/views/paravirtFormat';

const yieldCall: HypercallInfo = {
  side: 'guest',
  abi: 'kvm',
  abiTitle: 'KVM',
  abiReason: 'hint',
  kind: 'known',
  name: 'KVM_HC_SCHED_YIELD',
  number: '0xb',
  numberRegister: 'rax',
  args: [
    { name: 'dest_apicid', register: 'rbx', value: '0x1', description: 'APIC ID of the vCPU to yield to' },
  ],
  registers: { rax: '0xb', rbx: '0x1' },
  instruction: { text: 'vmmcall', address: '0xffffffff81071234', bytes: '0f01d9' },
  notes: [],
  source: 'include/uapi/linux/kvm_para.h',
};

test('a hypercall at the stop: name, ABI, number, where; arguments by name; the result', () => {
  assert.deepEqual(hypercallText(yieldCall), {
    label: 'KVM_HC_SCHED_YIELD',
    description: 'KVM · nr 0xb (rax) · guest side: vmmcall at 0xffffffff81071234',
  });
  const inKvm: HypercallInfo = { ...yieldCall, side: 'hypervisor', guestRip: '0x1005' };
  assert.equal(hypercallText(inKvm).description, 'KVM · nr 0xb (rax) · in the hypervisor, guest RIP 0x1005');
  const firstArg = yieldCall.args[0];
  assert.ok(firstArg !== undefined);
  assert.deepEqual(argumentText(firstArg), {
    label: 'dest_apicid = 0x1',
    description: 'rbx · APIC ID of the vCPU to yield to',
  });
  assert.equal(argumentText({ name: 'rcx', register: 'rcx', description: '' }).label, 'rcx = unreadable');
  assert.equal(resultText(yieldCall).label, 'result: not yet');
  assert.match(resultText(yieldCall).description, /step over/);
  const done: HypercallInfo = {
    ...yieldCall,
    result: {
      raw: '0xfffffffffffffc18',
      kind: 'error',
      code: '-KVM_ENOSYS',
      text: '-1000 (-KVM_ENOSYS)',
      from: 'rax',
    },
  };
  assert.deepEqual(resultText(done), {
    label: 'result: -1000 (-KVM_ENOSYS)',
    description: 'error · 0xfffffffffffffc18 from rax',
  });
});

test('the VM exit being handled', () => {
  const exit: VmExitInfo = {
    isa: 'svm',
    code: '0x81',
    name: 'vmmcall',
    description: 'VMMCALL instruction',
    info1: '0x0',
    info2: '0x0',
    from: '((struct vcpu_svm *)vcpu)->vmcb->control',
    frame: { function: 'kvm_emulate_hypercall', level: 0 },
  };
  const text = vmExitText(exit);
  assert.equal(text.label, 'VM exit: vmmcall (0x81)');
  assert.equal(text.description, 'SVM · info1 0x0 · info2 0x0');
  assert.match(text.tooltip, /^EXITCODE 0x81: vmmcall\nVMMCALL instruction\nEXITINFO1 0x0\nEXITINFO2 0x0\n/);
  assert.equal(vmExitText({ ...exit, infoText: 'port 0x5658 in' }).description, 'SVM · port 0x5658 in');
});

test('hypercall sites: live instruction against the ELF’s, source line, breakpoint location', () => {
  const site: HypercallSiteInfo = {
    address: '0xffffffff81071234',
    instruction: 'vmmcall',
    elfInstruction: 'vmcall',
    abi: 'kvm',
    symbol: { function: 'kvm_hypercall1', offset: 4, file: 'arch/x86/include/asm/kvm_para.h', line: 34 },
  };
  assert.deepEqual(siteText(site), {
    label: '0xffffffff81071234',
    description: 'vmmcall (ELF: vmcall) · kvm_para.h:34',
  });
  assert.equal(siteText({ ...site, instruction: 'vmcall' }).description, 'vmcall · kvm_para.h:34');
  assert.equal(
    siteText({ ...site, liveError: 'unreadable', symbol: { none: 'no symbol' } }).description,
    'vmcall (live bytes unreadable)',
  );
  assert.equal(symbolText(site.symbol), 'kvm_hypercall1+4 · kvm_para.h:34');
  assert.equal(symbolText({ none: 'no symbol' }), 'no symbol');
  assert.equal(siteBreakpointName(site.address), '*0xffffffff81071234');
});

test('hypercall breakpoints as typed', () => {
  assert.equal(parseHypercallCall(' KVM_HC_SCHED_YIELD '), 'KVM_HC_SCHED_YIELD');
  assert.equal(parseHypercallCall('sched_yield'), 'SCHED_YIELD');
  assert.equal(parseHypercallCall('11'), 11);
  assert.equal(parseHypercallCall('0x4711'), 0x4711);
  assert.equal(parseHypercallCall(''), undefined);
  assert.equal(parseHypercallCall('rm -rf'), undefined);
  assert.equal(parseHypercallCall('0x1ffffffffffffffff'), undefined);
});

test('pv_ops slots grouped by member, native or paravirtualized', () => {
  const slots: ParavirtSlot[] = [
    { slot: 'cpu.io_delay', address: '0xffffffff81064a30', target: 'kvm_io_delay', kind: 'paravirt' },
    { slot: 'cpu.cpuid', address: '0xffffffff81001000', target: 'native_cpuid', kind: 'native' },
    { slot: 'mmu.write_cr3', address: '0xffffffff81002000', target: 'native_write_cr3', kind: 'native' },
    { slot: 'lock.wait', address: '0x0', kind: 'null' },
  ];
  const groups = groupSlots(slots);
  assert.deepEqual(
    groups.map((g) => [g.name, g.slots.length, g.paravirt]),
    [
      ['cpu', 2, 1],
      ['mmu', 1, 0],
      ['lock', 1, 0],
    ],
  );
  assert.equal(slotGroup('weird'), 'other');
  const first = slots[0];
  const last = slots[3];
  assert.ok(first !== undefined && last !== undefined);
  assert.deepEqual(slotText(first), {
    label: 'io_delay',
    description: 'kvm_io_delay · paravirtualized',
    tooltip: 'pv_ops.cpu.io_delay = 0xffffffff81064a30 <kvm_io_delay>\nparavirtualized',
  });
  assert.equal(slotText(last).description, '0x0 · empty (0)');
});
