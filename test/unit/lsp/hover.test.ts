// Hover decodes a line: expected values are worked out by hand from the bits (comments), not from the decoders.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from './client';

let client: TestClient;
before(async () => {
  client = await TestClient.start();
});
after(() => client.close());

test('an SVM NPF exit: reason, vCPU, RIP, and the EXITINFO1 bits', async () => {
  const uri = await client.openFixture('ftrace-6.1-svm.txt');
  // info1 0x1_0000_0004: bit 0 P = 0 (not present), bit 1 W = 0 (read), bit 2 U = 1 (user), bit 32 = final translation.
  const h = (await client.hover(uri, 'reason npf rip 0xffffffff81234567')) ?? '';
  assert.match(h, /\*\*kvm_exit\*\* `npf` — Nested page fault \(SVM exit code 0x400\)/);
  assert.match(
    h,
    /vCPU 1 · guest RIP `0xffffffff81234567` · host CPU 0 · thread `CPU 1\/KVM` \(4243\) · 812\.100800 s/,
  );
  assert.match(
    h,
    /\*\*Nested page fault\*\*: user-mode read, page not present · during the final guest-physical translation · GPA `0x1a2b000`/,
  );
  assert.doesNotMatch(h, /guest's page tables/);
  // info1 0x1_0000_0006: W = 1 as well.
  const w = (await client.hover(uri, 'reason npf rip 0xffffffff81654321')) ?? '';
  assert.match(w, /user-mode write, page not present/);
  assert.match(w, /GPA `0xfee00300`/);
});

test('I/O exits: SVM IOIO EXITINFO1 and VMX qualifications', async () => {
  const svm = await client.openFixture('ftrace-6.1-svm.txt');
  // 0x0070_0210: port 31:16 = 0x70, bit 0 TYPE = 0 (OUT), bit 4 SZ8 (1 byte), bit 9 A64 (only for string I/O).
  const h = (await client.hover(svm, 'reason io rip 0xffffffff8104c5a4')) ?? '';
  assert.match(h, /`io` — IN or OUT accessing protected port \(IOIO\) \(SVM exit code 0x7b\)/);
  assert.match(h, /\*\*I\/O\*\*: OUT, 1 byte, port 0x70 \(CMOS\/RTC index\) · next RIP `0xffffffff8104c5a6`/);
  assert.doesNotMatch(h, /addresses/);

  const vmx = await client.openFixture('ftrace-6.x-vmx.txt');
  // 0x03f8_0000: port 0x3f8, bits 2:0 = 0 (1 byte), bit 3 = 0 (OUT), bit 4/5 = 0, bit 6 = 0 (port in DX).
  const v = (await client.hover(vmx, 'reason IO_INSTRUCTION')) ?? '';
  assert.match(v, /\(VMX basic exit reason 30\)/);
  assert.match(v, /\*\*I\/O\*\*: OUT, 1 byte, port 0x3f8 \(COM1 data\) · port in DX/);

  const old = await client.openFixture('ftrace-3.10-vmx.txt');
  // `info 1f70008 0`: port 0x1f7, bit 3 = 1 (IN), 1 byte; no vCPU on the line, the thread's kvm_entry says 0.
  await client.diagnostics(old);
  const o = (await client.hover(old, 'reason IO_INSTRUCTION')) ?? '';
  assert.match(o, /\*\*I\/O\*\*: IN, 1 byte, port 0x1f7 \(ATA primary status\/command\) · port in DX/);
  assert.match(o, /vCPU 0 \(from the thread's kvm_entry\)/);
});

test('an EPT violation and a #PF exception exit', async () => {
  const uri = await client.openFixture('ftrace-6.x-vmx.txt');
  // 0x181: bit 0 read access; bits 3-5 = 0 (EPT entry not present); bit 7 linear valid; bit 8 translated access.
  const h = (await client.hover(uri, 'reason EPT_VIOLATION')) ?? '';
  assert.match(
    h,
    /\*\*EPT violation\*\*: read access · the guest-physical page is not mapped \(EPT entry not present\) · guest-linear address valid, access to the translated address/,
  );
  // intr_info 0x80000b0e: valid, vector 0x0e = 14, type bits 10:8 = 3 (hardware exception), bit 11 error code valid;
  // error code 6 = W | U, P clear; for #PF the qualification is the linear address.
  const pf = (await client.hover(uri, 'reason EXCEPTION_NMI')) ?? '';
  assert.match(pf, /Exit interruption: vector 14 \(#PF page fault\), hardware exception, error code 0x6/);
  assert.match(
    pf,
    /Page fault\*\* at guest-linear address `0x7f1c2e400000`: user-mode write, page not present/,
  );
  // intr_info 0x800000ec: vector 0xec, type 0 (external interrupt).
  const irq = (await client.hover(uri, 'reason EXTERNAL_INTERRUPT')) ?? '';
  assert.match(irq, /vector 0xec, external interrupt/);
  const failed = (await client.hover(uri, 'FAILED_VMENTRY')) ?? '';
  assert.match(failed, /VM-entry failure/);
});

test('hypercalls: KVM_HC_* names, arguments, unknown numbers', async () => {
  const svm = await client.openFixture('ftrace-6.1-svm.txt');
  const y = (await client.hover(svm, 'kvm_hypercall: nr 0xb')) ?? '';
  assert.match(y, /`KVM_HC_SCHED_YIELD` \(nr 11\)/);
  assert.match(y, /a0 `0x0` dest_apicid \(rbx\): APIC ID of the preempted IPI target/);
  assert.match(y, /a1 `0x0` \(unused\)/);
  const vmx = await client.openFixture('ftrace-6.x-vmx.txt');
  const k = (await client.hover(vmx, 'kvm_hypercall: nr 0x5')) ?? '';
  assert.match(k, /`KVM_HC_KICK_CPU` \(nr 5\)/);
  assert.match(k, /a1 `0x1` apicid \(rcx\): APIC ID of the vCPU to wake/);
  const tc = await client.openFixture('trace-cmd-report.txt');
  assert.match((await client.hover(tc, 'nr 0x1 a0')) ?? '', /`KVM_HC_VAPIC_POLL_IRQ` \(nr 1\)/);
  const line =
    '       CPU 0/KVM-4242    [001] .....   812.101201: kvm_hypercall: nr 0x99 a0 0x1 a1 0x2 a2 0x3 a3 0x4';
  const u = await client.open('unknown-hc.kvmtrace', `${line}\n`);
  const uh = (await client.hover(u, 'nr 0x99')) ?? '';
  assert.match(uh, /unknown hypercall number `0x99`/);
  assert.match(uh, /a3 `0x4`/);
});

test('companion events, and the symbol-file hint on lines with a RIP', async () => {
  const uri = await client.openFixture('ftrace-6.x-vmx.txt');
  assert.match(
    (await client.hover(uri, 'msr_write 6e0')) ?? '',
    /WRMSR `0x6e0` \(IA32_TSC_DEADLINE\) = `0x2b13e9c8a10`/,
  );
  const cr = (await client.hover(uri, 'cr_write 3')) ?? '';
  assert.match(cr, /write CR3 = `0x10a4b000`/);
  assert.match(
    (await client.hover(uri, 'pio_write at 0x3f8')) ?? '',
    /OUT \(write\) of 1 byte, port `0x3f8` \(COM1 data\), value `0xa`/,
  );
  assert.match((await client.hover(uri, 'mmio read len 4')) ?? '', /read of 4 bytes at GPA `0xfed00000`/);
  const exit = (await client.hover(uri, 'reason HLT')) ?? '';
  assert.match(exit, /hvdbg\.traces\.symbolFile/);
  assert.doesNotMatch((await client.hover(uri, 'msr_write 6e0')) ?? '', /symbolFile/);
  assert.equal(await client.hover(uri, '# tracer'), null);
});
