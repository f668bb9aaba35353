// KVM's guests found through gdb expressions (a transcript of what gdb answers), EPT roots, console text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findKvmGuests } from '../../../adapter/hypervisors/kvm/guests';
import { PT_HEADER, pageTableCommand, translateCommand } from '../../../adapter/paging/commands';
import { tableEntries } from '../../../adapter/paging/tables';
import { translateThrough } from '../../../adapter/paging/translation';
import type { PagingRoot } from '../../../adapter/paging/roots';
import { linuxLike, MemoryImage } from '../x86/paging/memoryImage';
import { service, vcpu } from './support';

const HEAD = 0xffffffffc0a10000n;
const VM = 0xffffc90000100000n;
const VCPU0 = 0xffff888004100000n;
const VCPU1 = 0xffff888004180000n;
const NODE = 0xffff888004300000n;

/** gdb's answers, by expression (inside the `(unsigned long long)(...)` the service wraps them in). */
function transcript(vcpus: 'one' | 'two' | 'no-svm'): Map<string, bigint> {
  const x = (v: bigint): string => `0x${v.toString(16)}`;
  const m = new Map<string, bigint>([
    ['&vm_list', HEAD],
    ['&((struct kvm *)0)->vm_list', 0x1000n],
    [`((struct list_head *)${x(HEAD)})->next`, VM + 0x1000n],
    [`((struct list_head *)${x(VM + 0x1000n)})->next`, HEAD],
    [`((struct kvm *)${x(VM)})->online_vcpus.counter`, vcpus === 'two' ? 2n : 1n],
    [`((struct kvm *)${x(VM)})->vcpu_array.xa_head`, vcpus === 'two' ? NODE + 2n : VCPU0],
    [`((struct xa_node *)${x(NODE)})->slots[0]`, VCPU0],
    [`((struct xa_node *)${x(NODE)})->slots[1]`, VCPU1],
    [`((struct kvm *)${x(VM)})->userspace_pid`, 130n],
  ]);
  if (vcpus !== 'no-svm') m.set('&((struct vcpu_svm *)0)->vcpu', 0n);
  for (const [i, v] of [VCPU0, VCPU1].entries()) {
    const vmcb = 0xffff888005000000n + BigInt(i) * 0x1000n;
    m.set(`((struct vcpu_svm *)${x(v)})->vmcb`, vmcb);
    m.set(`((struct kvm_vcpu *)${x(v)})->vcpu_id`, BigInt(i));
    const b = `((struct vmcb *)${x(vmcb)})`;
    m.set(`${b}->control.nested_ctl`, 1n);
    m.set(`${b}->control.nested_cr3`, 0x5fc7000n + BigInt(i) * 0x1000n);
    m.set(`${b}->save.cr0`, 0x80050033n);
    m.set(`${b}->save.cr3`, 0x1000n);
    m.set(`${b}->save.cr4`, 0x20n);
    m.set(`${b}->save.efer`, 0x1500n);
  }
  return m;
}

function evaluator(m: Map<string, bigint>): (e: string) => Promise<string> {
  return (expression) => {
    const inner = /^\(unsigned long long\)\((.*)\)$/.exec(expression)?.[1] ?? expression;
    const v = m.get(inner);
    return v === undefined
      ? Promise.reject(new Error(`No symbol in "${inner}"`))
      : Promise.resolve(v.toString());
  };
}

void test('kvm: one vCPU stored directly in xa_head; its VMCB read', async () => {
  const g = await findKvmGuests(evaluator(transcript('one')));
  assert.deepEqual(g.problems, []);
  assert.equal(g.vcpus.length, 1);
  const [v] = g.vcpus;
  assert.equal(v?.vm, VM);
  assert.equal(v?.pid, 130);
  assert.equal(v?.nestedPaging, true);
  assert.equal(v?.nestedCr3, 0x5fc7000n);
  assert.deepEqual(v?.guest, { cr0: 0x80050033n, cr3: 0x1000n, cr4: 0x20n, efer: 0x1500n });
});

void test('kvm: two vCPUs in an xarray node', async () => {
  const g = await findKvmGuests(evaluator(transcript('two')));
  assert.deepEqual(
    g.vcpus.map((v) => [v.vcpuId, v.vcpu, v.nestedCr3]),
    [
      [0, VCPU0, 0x5fc7000n],
      [1, VCPU1, 0x5fc8000n],
    ],
  );
});

void test('kvm: missing kvm.ko or kvm-amd.ko symbols become problems naming the fix', async () => {
  const none = await findKvmGuests(() =>
    Promise.reject(new Error('No symbol "vm_list" in current context.')),
  );
  assert.deepEqual(none.vcpus, []);
  assert.match(none.problems[0] ?? '', /kvm.ko are not loaded .*symbolFiles/);
  const noSvm = await findKvmGuests(evaluator(transcript('no-svm')));
  assert.deepEqual(noSvm.vcpus, []);
  assert.match(noSvm.problems[0] ?? '', /struct vcpu_svm is unknown \(add kvm-amd.ko/);
  // A corrupt list that never comes back to its head is cut.
  const loop = transcript('one');
  loop.set(`((struct list_head *)0x${(VM + 0x1000n).toString(16)})->next`, VM + 0x1000n);
  const cut = await findKvmGuests(evaluator(loop));
  assert.match(cut.problems.at(-1) ?? '', /more than 64 entries/);
});

void test('EPT root: entries with R/W/X and memory type, a misconfiguration, a translation', async () => {
  const image = new MemoryImage()
    .set(0x200000n, 0, 0x201000n | 7n)
    .set(0x201000n, 0, 0x202000n | 7n)
    .set(0x202000n, 1, 0x40000000n | 7n | (6n << 3n) | 0x80n) // 2 MiB, WB
    .set(0x202000n, 2, 0x2n); // write without read
  const root: PagingRoot = {
    info: { id: 'ept', label: 'EPT', kind: 'nested', mode: 'ept', cr3: '0x20001e', description: '' },
    format: { kind: 'ept', ept: { eptp: 0x200000n | (3n << 3n) | 6n } },
  };
  const pd = await tableEntries(
    root,
    { rootId: 'ept', depth: 2, table: 0x202000n, linearBase: 0n },
    image.memory,
  );
  assert.deepEqual(
    pd.entries.map((e) => [e.index, e.kind, e.flags, e.problem]),
    [
      [1, 'page', 'R W X MT=WB PS', undefined],
      [2, 'table', 'W', 'EPT misconfiguration: write access without read access'],
    ],
  );
  assert.equal(pd.entries[0]?.fields.find((f) => f.name === 'MT')?.description, 'EPT memory type (WB)');
  const t = await translateThrough(root, image.memory, 0x212345n);
  assert.equal(t.physical, '0x40012345');
  assert.equal(t.permissions, 'rwx');
  const v = await translateThrough(root, image.memory, 0x600000n);
  assert.equal(v.fault, 'EPT violation: not present at PDE');
});

void test('console: hv pt lines and hv translate levels', async () => {
  const { service: s } = service(linuxLike().memory, [vcpu(0x1000n)]);
  const current = (): Promise<number> => Promise.resolve(1);
  const pt = await pageTableCommand(s, current).run(['!w'], undefined);
  const lines = pt.split('\n');
  // Ends are exclusive, as in info mem, /proc/PID/maps and ptdump; the header says so.
  assert.equal(lines[0], PT_HEADER);
  assert.match(lines[0] ?? '', /end exclusive/);
  assert.equal(lines[1], '0000000000203000-0000000000204000 0000000000501000 0000000000001000 ur-x   4K');
  assert.equal((lines[1] ?? '').indexOf('ur-x'), (lines[0] ?? '').indexOf('PERM'));
  assert.match(lines[2] ?? '', /^1 ranges; 6 leaves, 5 tables, 5 packets, 20480 bytes, [\d.]+ ms$/);
  const warn = await pageTableCommand(s, current).run(['0-200000', '--warn'], undefined);
  assert.match(
    warn.split('\n')[1] ?? '',
    /^0000000000000000-0000000000200000 0000000000200000 0000000000200000 urwx   2M  ! W\+X$/,
  );
  await assert.rejects(pageTableCommand(s, current).run(['bogus'], undefined), /'bogus' is not a filter/);
  const tr = await translateCommand(s, current).run(['0x203123'], undefined);
  assert.deepEqual(tr.split('\n'), [
    '0x203123 -> 0x501123 (4K page, ur-x)  phys:0x501123',
    '  PML4E[0]   table 0x1000 = 0x2007 P RW US -> 0x2000',
    '  PDPTE[0]   table 0x2000 = 0x3007 P RW US -> 0x3000',
    '  PDE[1]     table 0x3000 = 0x4007 P RW US -> 0x4000',
    '  PTE[3]     table 0x4000 = 0x501005 P US -> 0x501000',
  ]);
  const nc = await translateCommand(s, current).run(['0x800000000000'], undefined);
  assert.equal(nc, '0x800000000000 does not translate: non-canonical address (48-bit linear addresses)');
  const other = await translateCommand(s, current).run(['0x203000', 'cr3=0x1000'], undefined);
  assert.match(other, /-> 0x501000/);
  await assert.rejects(translateCommand(s, current).run([], undefined), /usage: hv translate/);
});
