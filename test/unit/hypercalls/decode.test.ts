import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHypercallInstruction } from '../../../adapter/hypercalls';

const RIP = 0xffffffff81000000n;
const XEN_PAGE = 0xffffffff81001000n;
const b = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);

test('vmcall (0f 01 c1) and vmmcall (0f 01 d9) are traps', () => {
  const vmcall = decodeHypercallInstruction(b(0x0f, 0x01, 0xc1, 0xc3), RIP);
  assert.equal(vmcall?.kind, 'trap');
  assert.equal(vmcall.kind === 'trap' && vmcall.instruction, 'vmcall');
  assert.equal(vmcall.length, 3);
  assert.equal(vmcall.address, RIP);
  assert.deepEqual([...vmcall.bytes], [0x0f, 0x01, 0xc1]);
  assert.equal(vmcall.text, 'vmcall');
  const vmmcall = decodeHypercallInstruction(b(0x0f, 0x01, 0xd9), RIP);
  assert.equal(vmmcall?.kind === 'trap' && vmmcall.instruction, 'vmmcall');
});

test('port I/O through DX is a backdoor candidate: in eax,dx (ed), out dx,eax (ef), rep insb, rep outsb', () => {
  const cases: readonly [Uint8Array, string, string][] = [
    [b(0xed), 'in', 'in eax,dx'],
    [b(0xef), 'out', 'out dx,eax'],
    [b(0xf3, 0x6c), 'rep insb', 'rep insb [rdi],dx'],
    [b(0xf3, 0x6e), 'rep outsb', 'rep outsb dx,[rsi]'],
  ];
  for (const [bytes, instruction, text] of cases) {
    const site = decodeHypercallInstruction(bytes, RIP);
    assert.equal(site?.kind, 'port-io', text);
    assert.equal(site.kind === 'port-io' && site.instruction, instruction);
    assert.equal(site.text, text);
    assert.equal(site.length, bytes.length);
  }
});

test('other port I/O and ordinary instructions are not sites', () => {
  for (const bytes of [
    b(0xec), // in al,dx
    b(0xe5, 0x60), // in eax,0x60
    b(0x6c), // insb without rep
    b(0x90), // nop
    b(0xcd, 0x80), // int 0x80
    b(0x0f, 0x05), // syscall outside a Xen page
    b(0xe8, 0x00, 0x00, 0x00, 0x00), // call to the next instruction
    b(0xff, 0xd0), // call rax with no page known
    b(0xf3, 0x0f, 0x01, 0xd9), // vmgexit (SEV-ES GHCB protocol)
    b(0x0f, 0x01), // truncated
    b(),
  ]) {
    assert.equal(decodeHypercallInstruction(bytes, RIP), undefined, Buffer.from(bytes).toString('hex'));
  }
});

test('a call rel32 into the Xen hypercall page gives the slot as the number', () => {
  // sched_op is slot 29: target = page + 29*32 = 0xffffffff810013a0; rel32 = target - (RIP + 5) = 0x139b.
  const site = decodeHypercallInstruction(b(0xe8, 0x9b, 0x13, 0x00, 0x00), RIP, {
    xenHypercallPage: XEN_PAGE,
  });
  assert.equal(site?.kind, 'page-call');
  assert.ok(site.kind === 'page-call');
  assert.equal(site.abi, 'xen');
  assert.equal(site.target, 0xffffffff810013a0n);
  assert.equal(site.number, 29);
  assert.equal(site.via, 'direct');
  // One byte past the slot start (rel32 0x139c) is not a slot; a call outside the page is nothing.
  assert.equal(
    decodeHypercallInstruction(b(0xe8, 0x9c, 0x13, 0x00, 0x00), RIP, { xenHypercallPage: XEN_PAGE }),
    undefined,
  );
  assert.equal(decodeHypercallInstruction(b(0xe8, 0x9b, 0x13, 0x00, 0x00), RIP), undefined);
});

test('a call rel32 in 32-bit code into the Xen page', () => {
  // 32-bit: RIP 0xc1000000, page 0xc1001000, slot 17 (xen_version) = 0xc1001220; rel32 = 0x1220 - 5 = 0x121b.
  const site = decodeHypercallInstruction(b(0xe8, 0x1b, 0x12, 0x00, 0x00), 0xc1000000n, {
    xenHypercallPage: 0xc1001000n,
    bitness: 32,
  });
  assert.ok(site?.kind === 'page-call');
  assert.equal(site.number, 17);
  assert.equal(site.bitness, 32);
});

test('vmcall, syscall and int 0x82 inside the Xen page know their slot', () => {
  const inSlot = XEN_PAGE + 24n * 32n + 5n; // after "mov $24, %eax" in slot 24 (vcpu_op)
  const ctx = { xenHypercallPage: XEN_PAGE };
  for (const [bytes, instruction] of [
    [b(0x0f, 0x01, 0xc1), 'vmcall'],
    [b(0x0f, 0x05), 'syscall'],
    [b(0xcd, 0x82), 'int 0x82'],
  ] as const) {
    const site = decodeHypercallInstruction(bytes, inSlot, ctx);
    assert.ok(site?.kind === 'trap', instruction);
    assert.equal(site.instruction, instruction);
    assert.deepEqual(site.page, { abi: 'xen', slot: 24 });
  }
});

test('Hyper-V: a direct call to the page, call [hv_hypercall_pg], call reg', () => {
  const page = 0xffffffffc0000000n;
  const pointer = 0xffffffff82000000n;
  const ctx = { hypervHypercallPage: page, hypervHypercallPointer: pointer };
  // call [rip+disp32]: disp = pointer - (RIP + 6) = 0x82000000 - 0x81000006 = 0x00fffffa.
  const viaPointer = decodeHypercallInstruction(b(0xff, 0x15, 0xfa, 0xff, 0xff, 0x00), RIP, ctx);
  assert.ok(viaPointer?.kind === 'page-call');
  assert.equal(viaPointer.abi, 'hyperv');
  assert.equal(viaPointer.via, 'pointer');
  assert.equal(viaPointer.target, page);
  // call rel32 from 0xffffffffbffffff0: target - (rip + 5) = 0x0b.
  const direct = decodeHypercallInstruction(b(0xe8, 0x0b, 0x00, 0x00, 0x00), 0xffffffffbffffff0n, ctx);
  assert.ok(direct?.kind === 'page-call');
  assert.equal(direct.abi, 'hyperv');
  assert.equal(direct.via, 'direct');
  const reg = decodeHypercallInstruction(b(0xff, 0xd0), RIP, ctx);
  assert.ok(reg?.kind === 'register-call');
  assert.equal(reg.register, 'rax');
  // The vmcall inside the page.
  const inPage = decodeHypercallInstruction(b(0x0f, 0x01, 0xc1), page, ctx);
  assert.ok(inPage?.kind === 'trap');
  assert.deepEqual(inPage.page, { abi: 'hyperv' });
});

test('int 0x1f (cd 1f) is lguest trap', () => {
  const site = decodeHypercallInstruction(b(0xcd, 0x1f), 0xc0100000n, { bitness: 32 });
  assert.ok(site?.kind === 'trap');
  assert.equal(site.instruction, 'int 0x1f');
});

test('a call into a VMI ROM entry names its VMI_CALL number', () => {
  // RIP 0xc0100000, ROM entry 0xfffe0100 for VMI_CALL_Halt (35): rel32 = 0xfffe0100 - 0xc0100005 = 0x3fee00fb.
  const ctx = { bitness: 32 as const, vmiTargets: new Map([[0xfffe0100n, 35]]) };
  const site = decodeHypercallInstruction(b(0xe8, 0xfb, 0x00, 0xee, 0x3f), 0xc0100000n, ctx);
  assert.ok(site?.kind === 'page-call');
  assert.equal(site.abi, 'vmi');
  assert.equal(site.number, 35);
});
