/**
 * The pure parts of hypercalls in the live session: the guest-side tracker (instruction at RIP from
 * memory, result after the step), KVM's handler view (vcpu->arch.regs), breakpoint conditions, VM-exit
 * naming, the sites scanner, and the rows the Variables view shows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuestHypercallTracker, type GuestStop } from '../../../adapter/hypercalls/guest';
import { formatHypercall, hypercallRows, toHypercallInfo } from '../../../adapter/hypercalls/info';
import {
  describeHandledCall,
  kvmHypercallCondition,
  parseGdbIntegerArray,
  resolveKvmCall,
  resultWritten,
} from '../../../adapter/hypervisors/kvm/handler';
import { describeResult } from '../../../adapter/hypercalls/result';
import { candidateOffsets, collectSites, parseMaintSections } from '../../../adapter/hypercalls/sites';
import { describeVmExit, parseVmcbExit } from '../../../adapter/hypervisors/kvm/vmExit';

const RIP = 0x801bn;
const VMMCALL = [0x0f, 0x01, 0xd9];

function stop(registers: Record<string, bigint>, memory: Map<bigint, number[]>): GuestStop {
  return {
    threadId: 1,
    registers,
    readBytes: (address) => {
      const bytes = memory.get(address);
      return bytes === undefined
        ? Promise.reject(new Error('Cannot access memory'))
        : Promise.resolve(new Uint8Array(bytes));
    },
  };
}

test('guest side: the live vmmcall at RIP is decoded, named, and its result shown at the stop after it', async () => {
  const tracker = new GuestHypercallTracker();
  const memory = new Map([[RIP, [...VMMCALL, 0xe6, 0x10]]]);
  const at = await tracker.analyse(stop({ rip: RIP, rax: 11n, rbx: 3n, efer: 0xd01n }, memory));
  assert.ok('call' in at);
  assert.equal(at.call.name, 'KVM_HC_SCHED_YIELD');
  assert.equal(at.call.site.text, 'vmmcall');
  assert.deepEqual(
    at.call.args.map((a) => [a.name, a.register, a.value]),
    [['dest_apicid', 'rbx', 3n]],
  );
  assert.equal(at.result, undefined);
  const after = await tracker.analyse(stop({ rip: RIP + 3n, rax: BigInt.asUintN(64, -1000n) }, memory));
  assert.ok('call' in after);
  assert.equal(after.result?.code, '-KVM_ENOSYS');
  assert.equal(after.result?.text, '-1000 (-KVM_ENOSYS)');
});

test('guest side: an unknown number keeps its raw registers; unreadable memory and other code say why', async () => {
  const tracker = new GuestHypercallTracker();
  const memory = new Map([[RIP, [0x0f, 0x01, 0xc1]]]);
  const at = await tracker.analyse(
    stop({ rip: RIP, rax: 0x4711n, rbx: 0x1111n, rcx: 0x2222n, rdx: 0x3333n, rsi: 0x4444n }, memory),
  );
  assert.ok('call' in at);
  assert.equal(at.call.kind, 'unknown');
  assert.equal(at.call.site.text, 'vmcall');
  assert.deepEqual(
    at.call.args.map((a) => a.value),
    [0x1111n, 0x2222n, 0x3333n, 0x4444n],
  );
  const unreadable = await tracker.analyse(stop({ rip: 0x9000n }, memory));
  assert.match('none' in unreadable ? unreadable.none : '', /not readable: Cannot access memory/);
  const plain = await tracker.analyse(stop({ rip: 0x9000n }, new Map([[0x9000n, [0x90]]])));
  assert.match('none' in plain ? plain.none : '', /no hypercall instruction/);
});

test('hypervisor side: vcpu->arch.regs as gdb prints it gives nr, a0..a3 and, once RAX is dirty, the result', () => {
  const regs = parseGdbIntegerArray(
    '{18193, 8738, 13107, 4369, 61440, 0, 17476, 18193, 0 <repeats 8 times>, 32859}',
  );
  assert.equal(regs.length, 17);
  const cache = { regs, efer: 0x500n, regsDirty: 0n };
  assert.equal(resultWritten(cache), false);
  const call = describeHandledCall(cache, regs[0] ?? 0n);
  assert.equal(call.kind, 'unknown');
  assert.deepEqual(call.registers, { rax: 0x4711n, rbx: 0x1111n, rcx: 0x2222n, rdx: 0x3333n, rsi: 0x4444n });
  assert.equal(call.site.address, 0x805bn);
  const written = { ...cache, regsDirty: 1n, regs: [BigInt.asUintN(64, -1000n), ...regs.slice(1)] };
  assert.equal(resultWritten(written), true);
  assert.equal(describeResult(call, written.regs[0] ?? 0n).code, '-KVM_ENOSYS');
  // A 32-bit guest (EFER.LMA clear): KVM truncates the number to 32 bits.
  const narrow = describeHandledCall(
    { regs: [0x1_0000_000bn, 0n, 0n, 7n], efer: 0n, regsDirty: 0n },
    0x1_0000_000bn,
  );
  assert.equal(narrow.name, 'KVM_HC_SCHED_YIELD');
  assert.equal(narrow.args[0]?.register, 'ebx');
});

test('hypercall breakpoints: names, numbers and conditions', () => {
  assert.deepEqual(resolveKvmCall('KVM_HC_SCHED_YIELD'), { number: 11, name: 'KVM_HC_SCHED_YIELD' });
  assert.deepEqual(resolveKvmCall('sched_yield'), { number: 11, name: 'KVM_HC_SCHED_YIELD' });
  assert.deepEqual(resolveKvmCall(5), { number: 5, name: 'KVM_HC_KICK_CPU' });
  assert.deepEqual(resolveKvmCall('0x4711'), { number: 0x4711 });
  assert.match(JSON.stringify(resolveKvmCall('NOPE')), /not a KVM hypercall name or number .*SCHED_YIELD/);
  assert.match(JSON.stringify(resolveKvmCall(-1)), /non-negative/);
  assert.equal(
    kvmHypercallCondition(11),
    '(vcpu->arch.regs[0] & 0xffffffff) == 0xb && ((vcpu->arch.regs[0] >> 32) == 0 || (vcpu->arch.efer & 0x400) == 0)',
  );
  assert.equal(kvmHypercallCondition(0x1_0000_0000), 'vcpu->arch.regs[0] == 0x100000000');
});

test('VM exits: SVM 0x81 is VMMCALL, VMX 18 is VMCALL, an SVM IOIO exit decodes its port', () => {
  const frame = { function: 'kvm_emulate_hypercall', level: 0 };
  const svm = describeVmExit('svm', 0x81, 0n, 0n, 'vmcb', frame);
  assert.equal(svm.name, 'VMMCALL');
  assert.equal(svm.traceName, 'hypercall');
  assert.equal(svm.code, '0x81');
  assert.equal(describeVmExit('vmx', 18, 0n, undefined, 'vmx', frame).name, 'VMCALL');
  const io = describeVmExit('svm', 0x7b, 0x100010n, 0x8020n, 'vmcb', frame);
  assert.match(io.infoText ?? '', /0x10/);
  assert.equal(describeVmExit('svm', 0x7777, 0n, 0n, 'vmcb', frame).name, '0x7777');
  const vmcb = new Uint8Array(24);
  vmcb.set([0x81, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0x10, 0, 0, 0, 0, 0, 0x20, 0x80]);
  assert.deepEqual(parseVmcbExit(vmcb), { code: 0x81, info1: 0x100010n, info2: 0x8020n });
  assert.throws(() => parseVmcbExit(new Uint8Array(3)), /not readable \(3 of 24 bytes\)/);
});

test('sites: gdb sections, byte candidates, and the sweep that rejects a pattern inside another instruction', async () => {
  const parsed = parseMaintSections(
    "Exec file: `/x/vmlinux', file type elf64-x86-64.\n" +
      ' [0]      0xffffffff81000000->0xffffffff81e01ef2 at 0x00200000: .text ALLOC LOAD CODE HAS_CONTENTS\n' +
      "Object file: `/x/kvm.ko', file type elf64-x86-64.\n" +
      ' [1]      0xffffffffc0206000->0xffffffffc0260000 at 0x00000040: .text ALLOC LOAD CODE\n',
  );
  assert.equal(parsed.file, '/x/vmlinux');
  assert.deepEqual(parsed.sections, [
    { name: '.text', start: 0xffffffff81000000n, end: 0xffffffff81e01ef2n, fileOffset: 0x200000 },
  ]);
  const base = 0xffffffff81000000n;
  // f: 0 push rbp; 1 mov eax, 0xd9010f (bytes b8 0f 01 d9 00: a false vmmcall); 6 vmcall; 9 ret.
  const text = new Uint8Array([0x55, 0xb8, 0x0f, 0x01, 0xd9, 0x00, 0x0f, 0x01, 0xc1, 0xc3]);
  assert.deepEqual(candidateOffsets(text, base), [2, 6]);
  const groups = await collectSites(text, base, {
    resolve: (a) => Promise.resolve({ function: 'f', offset: Number(a - base) }),
    readGuest: () => Promise.resolve(new Uint8Array(VMMCALL)),
  });
  assert.deepEqual(
    groups.map((g) => [g.function, g.sites.map((s) => [s.address, s.elfInstruction, s.instruction])]),
    [['f', [['0xffffffff81000006', 'vmcall', 'vmmcall']]]],
  );
});

test('the Hypercall scope and hv hypercall show every argument and the result', async () => {
  const tracker = new GuestHypercallTracker();
  const memory = new Map([[RIP, VMMCALL]]);
  const at = await tracker.analyse(stop({ rip: RIP, rax: 11n, rbx: 0n }, memory));
  assert.ok('call' in at);
  const info = toHypercallInfo(at.call, {
    side: 'guest',
    withInstruction: true,
    result: { decoded: describeResult(at.call, 0n), from: 'rax' },
  });
  const rows = new Map(hypercallRows(info).map((r) => [r.name, r.value]));
  assert.equal(rows.get('call'), 'KVM_HC_SCHED_YIELD');
  assert.equal(rows.get('dest_apicid'), '0x0 (rbx)');
  assert.equal(rows.get('result'), '0 (success)');
  assert.equal(rows.get('instruction'), 'vmmcall at 0x801b');
  assert.match(formatHypercall(info), /KVM_HC_SCHED_YIELD \(KVM, number 0xb in rax\)/);
});
