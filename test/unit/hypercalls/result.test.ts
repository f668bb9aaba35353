import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeHypercallInstruction,
  describeCall,
  describeResult,
  type HypercallContext,
  type KnownHypercall,
  type UnknownHypercall,
} from '../../../adapter/hypercalls';

const VMCALL = new Uint8Array([0x0f, 0x01, 0xc1]);

function call(
  regs: Record<string, bigint>,
  ctx: HypercallContext,
  rip = 0xffffffff81000000n,
): KnownHypercall | UnknownHypercall {
  const site = decodeHypercallInstruction(VMCALL, rip, ctx);
  assert.ok(site !== undefined);
  const c = describeCall(site, regs, ctx);
  assert.ok(c.kind !== 'not-hypercall');
  return c;
}

test('KVM: -1000 is -KVM_ENOSYS', () => {
  const r = describeResult(call({ rax: 42n }, { hint: 'kvm' }), 0xfffffffffffffc18n);
  assert.equal(r.kind, 'error');
  assert.equal(r.code, '-KVM_ENOSYS');
  assert.equal(r.text, '-1000 (-KVM_ENOSYS)');
});

test('KVM: every KVM_E* by name; success; codes outside the table', () => {
  const kick = call({ rax: 5n }, { hint: 'kvm' });
  const neg = (n: bigint): bigint => BigInt.asUintN(64, -n);
  assert.equal(describeResult(kick, neg(1n)).code, '-KVM_EPERM');
  assert.equal(describeResult(kick, neg(7n)).code, '-KVM_E2BIG');
  assert.equal(describeResult(kick, neg(14n)).code, '-KVM_EFAULT');
  assert.equal(describeResult(kick, neg(22n)).code, '-KVM_EINVAL');
  assert.equal(describeResult(kick, neg(95n)).code, '-KVM_EOPNOTSUPP');
  assert.deepEqual(describeResult(kick, 0n), { abi: 'kvm', raw: 0n, kind: 'success', text: '0 (success)' });
  const odd = describeResult(kick, neg(5n));
  assert.equal(odd.kind, 'error');
  assert.equal(odd.code, undefined);
  assert.equal(odd.text, '-5 (not a KVM_E* code)');
});

test('KVM in 32-bit mode: the truncated 0xfffffc18 is still -KVM_ENOSYS', () => {
  const c = call({ eax: 42n }, { hint: 'kvm', bitness: 32 }, 0xc0100000n);
  assert.equal(describeResult(c, 0xfffffc18n).code, '-KVM_ENOSYS');
  // In 64-bit mode the same 32-bit pattern is a positive value, not an error.
  assert.equal(describeResult(call({ rax: 42n }, { hint: 'kvm' }), 0xfffffc18n).kind, 'value');
});

test('KVM_HC_SEND_IPI returns a CPU count', () => {
  const r = describeResult(call({ rax: 10n }, { hint: 'kvm' }), 3n);
  assert.equal(r.kind, 'value');
  assert.equal(r.text, '3 CPUs received the IPI');
});

test('Xen: -errno by XEN_E* name, values as values', () => {
  const c = call({ rax: 17n }, { hint: 'xen' });
  const r = describeResult(c, BigInt.asUintN(64, -22n));
  assert.equal(r.code, '-XEN_EINVAL');
  assert.equal(r.text, '-22 (-XEN_EINVAL)');
  assert.equal(describeResult(c, BigInt.asUintN(64, -38n)).code, '-XEN_ENOSYS');
  assert.equal(describeResult(c, 0x40011n).text, '262161 (0x40011)'); // XENVER_version 4.17
});

test('Hyper-V: HV_STATUS_* and repetitions completed', () => {
  const c = call({ rcx: 0x5cn }, { hint: 'hyperv' });
  const ok = describeResult(c, 0n);
  assert.equal(ok.kind, 'success');
  assert.equal(ok.code, 'HV_STATUS_SUCCESS');
  const denied = describeResult(c, (3n << 32n) | 0x6n);
  assert.equal(denied.kind, 'error');
  assert.equal(denied.code, 'HV_STATUS_ACCESS_DENIED');
  assert.equal(denied.hyperv?.repsCompleted, 3);
  assert.equal(denied.text, 'HV_STATUS_ACCESS_DENIED, 3 repetitions completed');
  assert.equal(describeResult(c, 0x2n).code, 'HV_STATUS_INVALID_HYPERCALL_CODE');
  assert.equal(describeResult(c, 0xfffen).code, 'HV_STATUS 0xfffe');
});

test('VMware: output registers when given', () => {
  const c = call({ rax: 0x564d5868n, rcx: 10n, rdx: 0n }, {});
  assert.equal(describeResult(c, 6n).text, 'EAX 0x6');
  const r = describeResult(c, 6n, { rax: 6n, rbx: 0x564d5868n, rcx: 2n, rdx: 0n, rsi: 0n, rdi: 0n });
  assert.equal(r.text, 'EAX 0x6, EBX 0x564d5868, ECX 0x2, EDX 0x0, ESI 0x0, EDI 0x0');
  assert.equal(r.outputs?.length, 6);
});
