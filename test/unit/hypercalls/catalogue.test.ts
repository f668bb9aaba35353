import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ABI_INFO,
  HYPERCALL_ABIS,
  HYPERCALL_CATALOGUE,
  VMWARE_BACKDOOR_HB_COMMANDS,
  findHypercall,
  findVmwareHbCommand,
  type HypercallAbi,
  type HypercallEntry,
} from '../../../adapter/hypercalls';

function checkTable(abi: HypercallAbi, entries: readonly HypercallEntry[]): void {
  const info = ABI_INFO[abi];
  const numbers = new Set<number>();
  const names = new Set<string>();
  for (const e of entries) {
    const where = `${abi} ${e.name}`;
    assert.equal(e.abi, abi, where);
    assert.ok(Number.isSafeInteger(e.number) && e.number >= 0, `${where}: number ${e.number}`);
    assert.ok(!numbers.has(e.number), `${where}: duplicate number ${e.number}`);
    assert.ok(!names.has(e.name), `${where}: duplicate name`);
    numbers.add(e.number);
    names.add(e.name);
    assert.ok(
      info.namePrefixes.some((p) => e.name.startsWith(p) && e.name.length > p.length),
      `${where}: prefix ${info.namePrefixes.join('|')}`,
    );
    for (const field of ['returns', 'description', 'source'] as const) {
      assert.ok(e[field].trim().length > 0, `${where}: empty ${field}`);
    }
    const argNames = new Set<string>();
    for (const a of e.args) {
      assert.ok(info.argumentRegisters.includes(a.register), `${where}: ${a.name} in ${a.register}`);
      assert.match(a.name, /^[A-Za-z_][A-Za-z0-9_]*$/, `${where}: argument name ${a.name}`);
      assert.ok(!argNames.has(a.name), `${where}: duplicate argument ${a.name}`);
      assert.ok(a.description.trim().length > 0, `${where}: ${a.name} has no description`);
      argNames.add(a.name);
    }
    assert.equal(e.removedIn, info.removedIn, `${where}: removedIn`);
  }
}

test('every catalogue entry has the shape of its ABI', () => {
  for (const abi of HYPERCALL_ABIS) checkTable(abi, HYPERCALL_CATALOGUE[abi]);
  checkTable('vmware-backdoor', VMWARE_BACKDOOR_HB_COMMANDS);
});

test('every ABI has a description and a table', () => {
  assert.deepEqual(Object.keys(HYPERCALL_CATALOGUE).sort(), [...HYPERCALL_ABIS].sort());
  for (const abi of HYPERCALL_ABIS) {
    assert.equal(ABI_INFO[abi].abi, abi);
    assert.ok(HYPERCALL_CATALOGUE[abi].length > 0, abi);
  }
});

test('entry counts per ABI', () => {
  const counts = Object.fromEntries(HYPERCALL_ABIS.map((abi) => [abi, HYPERCALL_CATALOGUE[abi].length]));
  // KVM_HC_* 1-12; Xen 0-42 without 11, plus 48 and 49; VMware: the defined BDOOR_CMD_* of backdoor_def.h.
  assert.deepEqual(counts, { kvm: 12, xen: 44, hyperv: 66, 'vmware-backdoor': 88, lguest: 17, vmi: 55 });
  assert.equal(VMWARE_BACKDOOR_HB_COMMANDS.length, 2);
});

test('the historical ABIs say when Linux removed them', () => {
  assert.equal(ABI_INFO.lguest.removedIn, '4.14');
  assert.equal(ABI_INFO.vmi.removedIn, '2.6.37');
  for (const abi of ['kvm', 'xen', 'hyperv', 'vmware-backdoor'] as const)
    assert.equal(ABI_INFO[abi].removedIn, undefined);
});

test('numbers match their sources', () => {
  const expect: readonly [HypercallAbi, number, string][] = [
    ['kvm', 1, 'KVM_HC_VAPIC_POLL_IRQ'],
    ['kvm', 5, 'KVM_HC_KICK_CPU'],
    ['kvm', 9, 'KVM_HC_CLOCK_PAIRING'],
    ['kvm', 10, 'KVM_HC_SEND_IPI'],
    ['kvm', 11, 'KVM_HC_SCHED_YIELD'],
    ['kvm', 12, 'KVM_HC_MAP_GPA_RANGE'],
    ['xen', 0, '__HYPERVISOR_set_trap_table'],
    ['xen', 12, '__HYPERVISOR_memory_op'],
    ['xen', 29, '__HYPERVISOR_sched_op'],
    ['xen', 32, '__HYPERVISOR_event_channel_op'],
    ['xen', 34, '__HYPERVISOR_hvm_op'],
    ['xen', 42, '__HYPERVISOR_hypfs_op'],
    ['xen', 48, '__HYPERVISOR_mca'],
    ['hyperv', 0x0002, 'HvCallFlushVirtualAddressSpace'],
    ['hyperv', 0x0008, 'HvCallNotifyLongSpinWait'],
    ['hyperv', 0x000b, 'HvCallSendSyntheticClusterIpi'],
    ['hyperv', 0x005c, 'HvCallPostMessage'],
    ['hyperv', 0x005d, 'HvCallSignalEvent'],
    ['hyperv', 0x8001, 'HvExtCallQueryCapabilities'],
    ['vmware-backdoor', 10, 'BDOOR_CMD_GETVERSION'],
    ['vmware-backdoor', 23, 'BDOOR_CMD_GETTIME'],
    ['vmware-backdoor', 30, 'BDOOR_CMD_MESSAGE'],
    ['vmware-backdoor', 45, 'BDOOR_CMD_GETHZ'],
    ['lguest', 0, 'LHCALL_FLUSH_ASYNC'],
    ['lguest', 19, 'LHCALL_SEND_INTERRUPTS'],
    ['vmi', 35, 'VMI_CALL_Halt'],
    ['vmi', 73, 'VMI_CALL_SetLazyMode'],
  ];
  for (const [abi, number, name] of expect)
    assert.equal(findHypercall(abi, number)?.name, name, `${abi} ${number}`);
  assert.equal(findHypercall('xen', 11), undefined, 'Xen 11 is unused');
  assert.equal(findHypercall('kvm', 0), undefined);
  assert.equal(findHypercall('kvm', 13n), undefined);
  assert.equal(findHypercall('kvm', 1n << 64n), undefined);
  assert.equal(findHypercall('kvm', -1), undefined);
  assert.equal(findVmwareHbCommand(0)?.name, 'BDOORHB_CMD_MESSAGE');
});

test('KVM argument names follow hypercalls.rst', () => {
  const args = (n: number): string[] =>
    findHypercall('kvm', n)?.args.map((a) => `${a.name}@${a.register}`) ?? [];
  assert.deepEqual(args(5), ['flags@rbx', 'apicid@rcx']);
  assert.deepEqual(args(10), ['ipi_bitmap_low@rbx', 'ipi_bitmap_high@rcx', 'min@rdx', 'icr@rsi']);
  assert.deepEqual(args(11), ['dest_apicid@rbx']);
  assert.deepEqual(args(12), ['gpa@rbx', 'npages@rcx', 'attrs@rdx']);
});

test('Xen arguments use RDI, RSI, RDX, R10, R8 in order', () => {
  const argo = findHypercall('xen', 39);
  assert.deepEqual(
    argo?.args.map((a) => a.register),
    ['rdi', 'rsi', 'rdx', 'r10', 'r8'],
  );
});
