import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findHypercallSites, hintFromCpuidSignature, hintFromPvInfoName } from '../../../adapter/hypercalls';

test('a linear sweep finds every hypercall site in order', () => {
  const base = 0xffffffff81000000n;
  // 0: push rbp; 1: mov eax, 11; 6: vmcall; 9: vmmcall; c: mov dx, 0x5658; 10: in eax, dx;
  // 11: call rel32 to page+29*32 (target 0xffffffff810013a0, next 0x16, rel 0x138a); 16: call rax; 18: ret.
  const code = new Uint8Array([
    0x55, 0xb8, 0x0b, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xc1, 0x0f, 0x01, 0xd9, 0x66, 0xba, 0x58, 0x56, 0xed,
    0xe8, 0x8a, 0x13, 0x00, 0x00, 0xff, 0xd0, 0xc3,
  ]);
  const sites = findHypercallSites(code, base, { xenHypercallPage: 0xffffffff81001000n });
  assert.deepEqual(
    sites.map((s) => [Number(s.address - base), s.instruction, s.site.kind]),
    [
      [6, 'vmcall', 'trap'],
      [9, 'vmmcall', 'trap'],
      [0x10, 'in eax,dx', 'port-io'],
      [0x11, 'call 0FFFFFFFF810013A0h', 'page-call'],
    ],
  );
  const call = sites[3]?.site;
  assert.equal(call?.kind === 'page-call' ? call.number : undefined, 29);
});

test('an empty or site-free buffer gives nothing; undecodable bytes do not stop the sweep', () => {
  assert.deepEqual(findHypercallSites(new Uint8Array(), 0n), []);
  assert.deepEqual(findHypercallSites(new Uint8Array([0x90, 0x90, 0xc3]), 0n), []);
  // 0: ud2; 2: 06 (push es, invalid in 64-bit mode); the sweep resumes at 3 and finds the vmcall there.
  const sites = findHypercallSites(new Uint8Array([0x0f, 0x0b, 0x06, 0x0f, 0x01, 0xc1]), 0x1000n);
  assert.deepEqual(
    sites.map((s) => [s.address, s.instruction]),
    [[0x1003n, 'vmcall']],
  );
});

test('linear sweep caveat: bytes inside an instruction are not sites', () => {
  // b8 0f 01 c1 00 is mov eax, 0xc1010f: the vmcall bytes are its immediate. From one byte later they decode.
  const code = new Uint8Array([0xb8, 0x0f, 0x01, 0xc1, 0x00]);
  assert.deepEqual(findHypercallSites(code, 0x1000n), []);
  assert.deepEqual(
    findHypercallSites(code.subarray(1), 0x1001n).map((s) => s.address),
    [0x1001n],
  );
});

test('hypervisor hints from pv_info.name and the CPUID signature', () => {
  assert.equal(hintFromPvInfoName('KVM'), 'kvm');
  assert.equal(hintFromPvInfoName('Xen HVM'), 'xen');
  assert.equal(hintFromPvInfoName('Xen PVH'), 'xen');
  assert.equal(hintFromPvInfoName('Xen'), 'xen');
  assert.equal(hintFromPvInfoName('Hyper-V'), 'hyperv');
  assert.equal(hintFromPvInfoName('VMware hypervisor'), 'vmware');
  assert.equal(hintFromPvInfoName('bare hardware'), undefined);
  assert.equal(hintFromCpuidSignature('KVMKVMKVM\0\0\0'), 'kvm');
  assert.equal(hintFromCpuidSignature('XenVMMXenVMM'), 'xen');
  assert.equal(hintFromCpuidSignature('Microsoft Hv'), 'hyperv');
  assert.equal(hintFromCpuidSignature('VMwareVMware'), 'vmware');
  assert.equal(hintFromCpuidSignature('TCGTCGTCGTCG'), undefined);
});
