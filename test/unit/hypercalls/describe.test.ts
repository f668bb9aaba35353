import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeHypercallInstruction,
  describeCall,
  type DecodedHypercall,
  type HypercallContext,
  type HypercallSite,
  type KnownHypercall,
  type UnknownHypercall,
} from '../../../adapter/hypercalls';

const RIP = 0xffffffff81000000n;
const VMCALL = new Uint8Array([0x0f, 0x01, 0xc1]);
const VMMCALL = new Uint8Array([0x0f, 0x01, 0xd9]);
const MAGIC = 0x564d5868n;

function site(bytes: Uint8Array, rip = RIP, ctx: HypercallContext = {}): HypercallSite {
  const s = decodeHypercallInstruction(bytes, rip, ctx);
  assert.ok(s !== undefined, 'expected a hypercall site');
  return s;
}

function known(call: DecodedHypercall): KnownHypercall {
  assert.equal(call.kind, 'known', call.kind === 'not-hypercall' ? call.reason : call.name);
  return call;
}

const argsOf = (call: KnownHypercall | UnknownHypercall): [string, string, bigint | undefined][] =>
  call.args.map((a) => [a.name, a.register, a.value]);

test('KVM_HC_KICK_CPU: arguments by name', () => {
  const call = known(
    describeCall(site(VMCALL), { rax: 5n, rbx: 0n, rcx: 3n, rdx: 0x77n, rsi: 0n }, { hint: 'kvm' }),
  );
  assert.equal(call.abi, 'kvm');
  assert.equal(call.abiReason, 'hint');
  assert.equal(call.name, 'KVM_HC_KICK_CPU');
  assert.equal(call.number, 5n);
  assert.deepEqual(argsOf(call), [
    ['flags', 'rbx', 0n],
    ['apicid', 'rcx', 3n],
  ]);
  assert.deepEqual(call.registers, { rax: 5n, rbx: 0n, rcx: 3n, rdx: 0x77n, rsi: 0n });
  assert.deepEqual(call.notes, []);
});

test('KVM_HC_SCHED_YIELD through a patched vmmcall reads the same', () => {
  const regs = { RAX: 11n, RBX: 2n, RCX: 0n, RDX: 0n, RSI: 0n }; // upper-case names are accepted
  for (const bytes of [VMCALL, VMMCALL]) {
    const call = known(describeCall(site(bytes), regs, { hint: 'kvm' }));
    assert.equal(call.name, 'KVM_HC_SCHED_YIELD');
    assert.deepEqual(argsOf(call), [['dest_apicid', 'rbx', 2n]]);
  }
});

test('without a hint or page a vmcall is assumed KVM, and says so', () => {
  const call = known(describeCall(site(VMCALL), { rax: 10n, rbx: 0b101n, rcx: 0n, rdx: 4n, rsi: 0xfdn }));
  assert.equal(call.name, 'KVM_HC_SEND_IPI');
  assert.equal(call.abiReason, 'default');
  assert.match(call.notes.join(), /assumed to be KVM/);
});

test('an unknown KVM number is shown as unknown with its raw registers', () => {
  const regs = { rax: 0x2an, rbx: 1n, rcx: 2n, rdx: 3n, rsi: 4n, rdi: 5n };
  const call = describeCall(site(VMCALL), regs, { hint: 'kvm' });
  assert.equal(call.kind, 'unknown');
  assert.ok(call.kind === 'unknown');
  assert.equal(call.abi, 'kvm');
  assert.equal(call.number, 0x2an);
  assert.equal(call.name, 'unknown KVM hypercall 0x2a');
  assert.deepEqual(argsOf(call), [
    ['rbx', 'rbx', 1n],
    ['rcx', 'rcx', 2n],
    ['rdx', 'rdx', 3n],
    ['rsi', 'rsi', 4n],
  ]);
  assert.deepEqual(call.registers, { rax: 0x2an, rbx: 1n, rcx: 2n, rdx: 3n, rsi: 4n });
});

test('a missing register is reported, not invented', () => {
  const call = known(describeCall(site(VMCALL), { rax: 5n, rbx: 0n }, { hint: 'kvm' }));
  assert.deepEqual(argsOf(call), [
    ['flags', 'rbx', 0n],
    ['apicid', 'rcx', undefined],
  ]);
  assert.deepEqual(call.notes, ['register rcx is not available']);
  const nothing = describeCall(site(VMCALL), {}, { hint: 'kvm' });
  assert.ok(nothing.kind === 'unknown');
  assert.equal(nothing.number, undefined);
  assert.equal(nothing.name, 'unknown KVM hypercall ?');
  assert.equal(nothing.notes[0], 'the register holding the call number is not available');
  assert.deepEqual(nothing.registers, {});
});

test('32-bit KVM guest: eax-style registers, truncated', () => {
  const s = site(VMCALL, 0xc0100000n, { bitness: 32 });
  const call = known(describeCall(s, { eax: 5n, ebx: 0n, ecx: 1n, edx: 0n, esi: 0n }, { hint: 'kvm' }));
  assert.deepEqual(argsOf(call), [
    ['flags', 'ebx', 0n],
    ['apicid', 'ecx', 1n],
  ]);
  assert.deepEqual(call.registers, { eax: 5n, ebx: 0n, ecx: 1n, edx: 0n, esi: 0n });
  const wide = known(
    describeCall(s, { rax: 0xffffffff00000005n, rbx: 0n, rcx: 0x100000001n }, { hint: 'kvm' }),
  );
  assert.equal(wide.number, 5n);
  assert.equal(wide.args[1]?.value, 1n);
});

test('Xen: a call into the hypercall page, arguments in RDI, RSI', () => {
  const ctx = { xenHypercallPage: 0xffffffff81001000n };
  const s = site(new Uint8Array([0xe8, 0x9b, 0x13, 0x00, 0x00]), RIP, ctx); // slot 29
  const call = known(describeCall(s, { rax: 0x1234n, rdi: 1n, rsi: 0xffffc90000001000n }, ctx));
  assert.equal(call.name, '__HYPERVISOR_sched_op');
  assert.equal(call.abiReason, 'xen-hypercall-page');
  assert.equal(call.number, 29n);
  assert.deepEqual(argsOf(call), [
    ['cmd', 'rdi', 1n],
    ['arg', 'rsi', 0xffffc90000001000n],
  ]);
});

test('Xen: the vmcall inside a slot; a RAX that disagrees is noted', () => {
  const ctx = { xenHypercallPage: 0xffffffff81001000n };
  const s = site(VMCALL, 0xffffffff81001000n + 17n * 32n + 5n, ctx);
  const ok = known(describeCall(s, { rax: 17n, rdi: 0n, rsi: 0n }, ctx));
  assert.equal(ok.name, '__HYPERVISOR_xen_version');
  assert.deepEqual(ok.notes, []);
  const odd = known(describeCall(s, { rax: 3n, rdi: 0n, rsi: 0n }, ctx));
  assert.equal(odd.name, '__HYPERVISOR_xen_version');
  assert.deepEqual(odd.notes, ['RAX 0x3 differs from the hypercall-page slot 17']);
});

test('Xen by hint; 32-bit Xen arguments move to EBX, ECX, EDX', () => {
  const call = known(
    describeCall(site(VMCALL), { rax: 18n, rdi: 0n, rsi: 5n, rdx: 0x1000n }, { hint: 'xen' }),
  );
  assert.equal(call.name, '__HYPERVISOR_console_io');
  assert.equal(call.abiReason, 'hint');
  const s32 = site(VMCALL, 0xc0100000n, { bitness: 32 });
  const c32 = known(describeCall(s32, { eax: 18n, ebx: 0n, ecx: 5n, edx: 0x1000n }, { hint: 'xen' }));
  assert.deepEqual(argsOf(c32), [
    ['cmd', 'ebx', 0n],
    ['count', 'ecx', 5n],
    ['buffer', 'edx', 0x1000n],
  ]);
  const unknown = describeCall(site(VMCALL), { rax: 45n, rdi: 1n }, { hint: 'xen' });
  assert.ok(unknown.kind === 'unknown');
  assert.deepEqual(
    unknown.args.map((a) => a.register),
    ['rdi', 'rsi', 'rdx', 'r10', 'r8'],
  );
});

test('Hyper-V: the input value names the call and its fields', () => {
  const page = 0xffffffffc0000000n;
  const ctx = { hypervHypercallPage: page };
  // HvCallNotifyLongSpinWait (0x0008) | fast (bit 16) = 0x10008; RDX the spin count.
  const call = known(
    describeCall(site(VMCALL, page, ctx), { rax: 0n, rcx: 0x10008n, rdx: 0x1000n, r8: 0n }, ctx),
  );
  assert.equal(call.name, 'HvCallNotifyLongSpinWait');
  assert.equal(call.abiReason, 'hyperv-hypercall-page');
  assert.equal(call.number, 8n);
  assert.equal(call.hyperv?.fast, true);
  assert.deepEqual(argsOf(call), [
    ['control', 'rcx', 0x10008n],
    ['input', 'rdx', 0x1000n],
    ['output', 'r8', 0n],
  ]);
  assert.match(call.args[1]?.description ?? '', /spin-wait count/);
});

test('Hyper-V by hint, 32-bit register pairs, unknown call code', () => {
  const s32 = site(VMCALL, 0xc0100000n, { bitness: 32 });
  // EDX:EAX = 0x00000001_0000005c: HvCallPostMessage with rep count 1; EBX:ECX input GPA, EDI:ESI output.
  const regs = { eax: 0x5cn, edx: 1n, ebx: 0n, ecx: 0x2000n, edi: 0n, esi: 0x3000n };
  const call = known(describeCall(s32, regs, { hint: 'hyperv' }));
  assert.equal(call.name, 'HvCallPostMessage');
  assert.equal(call.hyperv?.repCount, 1);
  assert.deepEqual(argsOf(call), [
    ['control', 'edx:eax', 0x10000005cn],
    ['input', 'ebx:ecx', 0x2000n],
    ['output', 'edi:esi', 0x3000n],
  ]);
  const unknown = describeCall(site(VMCALL), { rcx: 0x7777n, rdx: 1n, r8: 2n }, { hint: 'hyperv' });
  assert.ok(unknown.kind === 'unknown');
  assert.equal(unknown.name, 'unknown Hyper-V hypercall 0x7777');
  assert.deepEqual(unknown.registers, { rcx: 0x7777n, rdx: 1n, r8: 2n });
});

test('Hyper-V call [hv_hypercall_pg] and call rax into the page', () => {
  const page = 0xffffffffc0000000n;
  const ctx = { hypervHypercallPage: page, hypervHypercallPointer: 0xffffffff82000000n };
  const viaPointer = site(new Uint8Array([0xff, 0x15, 0xfa, 0xff, 0xff, 0x00]), RIP, ctx);
  assert.equal(known(describeCall(viaPointer, { rcx: 0x5dn }, ctx)).name, 'HvCallSignalEvent');
  const viaRax = site(new Uint8Array([0xff, 0xd0]), RIP, ctx);
  assert.equal(
    known(describeCall(viaRax, { rax: page, rcx: 0x2n }, ctx)).name,
    'HvCallFlushVirtualAddressSpace',
  );
  const elsewhere = describeCall(viaRax, { rax: 0xffffffff81234560n }, ctx);
  assert.deepEqual(
    elsewhere.kind === 'not-hypercall' && elsewhere.reason,
    'call target 0xffffffff81234560 is not a hypercall page slot',
  );
});

test('VMware: in eax,dx is the backdoor only with the port and the magic', () => {
  const inSite = site(new Uint8Array([0xed]));
  const call = known(describeCall(inSite, { rax: MAGIC, rbx: 0xffffffffn, rcx: 10n, rdx: 0x5658n }));
  assert.equal(call.abi, 'vmware-backdoor');
  assert.equal(call.abiReason, 'vmware-magic');
  assert.equal(call.name, 'BDOOR_CMD_GETVERSION');
  assert.equal(call.highBandwidth, false);
  assert.deepEqual(argsOf(call), [
    ['magic', 'eax', MAGIC],
    ['arg', 'ebx', 0xffffffffn],
    ['command', 'ecx', 10n],
    ['port', 'edx', 0x5658n],
  ]);
  // The command is ECX & 0xffff: a sub-command in the high half does not change it.
  assert.equal(
    known(describeCall(inSite, { rax: MAGIC, rcx: 0x0001001en, rdx: 0x5658n })).name,
    'BDOOR_CMD_MESSAGE',
  );
  const wrongPort = describeCall(inSite, { rax: MAGIC, rcx: 10n, rdx: 0x60n });
  assert.equal(wrongPort.kind, 'not-hypercall');
  assert.match(wrongPort.kind === 'not-hypercall' ? wrongPort.reason : '', /DX 0x60/);
  assert.equal(describeCall(inSite, { rax: 0n, rcx: 10n, rdx: 0x5658n }).kind, 'not-hypercall');
  const unknownCmd = describeCall(inSite, { rax: MAGIC, rcx: 21n, rdx: 0x5658n });
  assert.ok(unknownCmd.kind === 'unknown');
  assert.equal(unknownCmd.name, 'unknown VMware backdoor command 0x15');
});

test('VMware high bandwidth: rep insb on 0x5659 takes the command from EBX', () => {
  const call = known(
    describeCall(site(new Uint8Array([0xf3, 0x6c])), {
      rax: MAGIC,
      rbx: 0n,
      rcx: 64n,
      rdx: 0x00035659n,
      rsi: 0n,
      rdi: 0x1000n,
      rbp: 0xabcn,
    }),
  );
  assert.equal(call.name, 'BDOORHB_CMD_MESSAGE');
  assert.equal(call.highBandwidth, true);
  assert.equal(call.number, 0n);
  assert.deepEqual(
    call.args.map((a) => a.name),
    ['magic', 'command', 'size', 'port', 'source', 'destination', 'cookie'],
  );
});

test('VMware vmcall form: the magic wins over the hint', () => {
  const call = known(describeCall(site(VMMCALL), { rax: MAGIC, rcx: 45n, rdx: 0n }, { hint: 'kvm' }));
  assert.equal(call.name, 'BDOOR_CMD_GETHZ');
  assert.equal(call.abiReason, 'vmware-magic');
  assert.equal(call.highBandwidth, false);
});

test('lguest: int 0x1f, number in EAX', () => {
  const s = site(new Uint8Array([0xcd, 0x1f]), 0xc0100000n, { bitness: 32 });
  const call = known(
    describeCall(s, { eax: 14n, ebx: 0xc1000000n, ecx: 0x8048000n, edx: 0x1234067n, esi: 0n }),
  );
  assert.equal(call.name, 'LHCALL_SET_PTE');
  assert.equal(call.abiReason, 'instruction');
  assert.equal(call.entry.removedIn, '4.14');
  assert.deepEqual(
    call.args.map((a) => a.name),
    ['pgdir', 'vaddr', 'pte', 'pte_high'],
  );
});

test('VMI: the ROM entry selects the call', () => {
  const ctx = { bitness: 32 as const, vmiTargets: new Map([[0xfffe0100n, 35]]) };
  const s = site(new Uint8Array([0xe8, 0xfb, 0x00, 0xee, 0x3f]), 0xc0100000n, ctx);
  const call = known(describeCall(s, { eax: 0n }, ctx));
  assert.equal(call.name, 'VMI_CALL_Halt');
  assert.equal(call.abiReason, 'vmi-rom');
  assert.equal(call.entry.removedIn, '2.6.37');
});
