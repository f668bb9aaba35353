// Self-check of the lab (test/lab): the Debian kernel boots under QEMU TCG, kvm_amd loads, the L2 guest's
// hypercalls reach KVM with the expected results, and the kvm trace events come out of ttyS1.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bootLab, prepareLab, type Lab, type LabManifest } from '../lab/lab';

const TIMEOUT = 240_000; // TCG on a busy 2-core machine: boots in ~5 s idle, far slower when loaded

let manifest: LabManifest;
let lab: Lab | undefined;

before(async () => {
  manifest = await prepareLab();
});

after(async () => {
  await lab?.stop();
});

test('manifest points at existing files', () => {
  for (const f of [manifest.vmlinuz, manifest.vmlinux, manifest.kvmKo, manifest.kvmAmdKo, manifest.initrd]) {
    assert.ok(fs.existsSync(f), f);
  }
  assert.match(manifest.kernelVersion, /^\d+\.\d+\.\d+-\d+-cloud-amd64$/);
  assert.equal(manifest.dwarf.x86cName, 'arch/x86/kvm/x86.c');
  if (manifest.sourceRoot) {
    assert.ok(fs.existsSync(`${manifest.sourceRoot}/${manifest.dwarf.x86cName}`));
  }
});

test('lab boots, runs the L2 hypercall loop and streams kvm trace events', { timeout: TIMEOUT }, async () => {
  const t0 = Date.now();
  lab = await bootLab({ kvm: true, manifest, readyTimeoutMs: TIMEOUT / 2 });
  const tReady = Date.now() - t0;

  assert.ok(lab.console.lines.some((l) => /HVDBG-LAB ready/.test(l)));
  assert.ok(
    lab.kvmText !== undefined && lab.kvmText >= 0xffffffffc0000000n,
    `kvm .text ${String(lab.kvmText)}`,
  );
  assert.ok(lab.kvmAmdText !== undefined && lab.kvmAmdText >= 0xffffffffc0000000n);
  assert.equal(lab.sections['kvm']?.['.text'], lab.kvmText);
  assert.equal(lab.kernelText, 0xffffffff81000000n, 'nokaslr: _text at its link address');
  assert.ok(fs.existsSync(lab.gdbSocket));
  assert.ok(!lab.console.lines.some((l) => /HVDBG-(LAB|KVM) error/.test(l)), 'no errors reported');

  // One result line per hypercall number; KVM's answers: SCHED_YIELD and KICK_CPU 0, unknown -KVM_ENOSYS.
  const expected: [nr: number, ret: number][] = [
    [11, 0],
    [5, 0],
    [0x4711, -1000],
  ];
  for (const [nr, ret] of expected) {
    const m = await lab.console.waitFor(
      new RegExp(`HVDBG-HC seq=\\d+ mode=long nr=${nr} .* ret=(-?\\d+) `),
      60_000,
    );
    assert.equal(Number(m[1]), ret, `ret of hypercall ${nr}`);
  }
  const tFirst = Date.now() - t0;

  await lab.trace.waitFor(/kvm_hypercall: nr 0xb a0 0x0/, 60_000);
  await lab.trace.waitFor(/kvm_hypercall: nr 0x4711 a0 0x1111 a1 0x2222 a2 0x3333 a3 0x4444/, 60_000);
  await lab.trace.waitFor(/kvm_exit: vcpu \d+ reason hypercall rip 0x/, 60_000);
  await lab.trace.waitFor(/kvm_exit: vcpu \d+ reason io /, 60_000);
  console.log(`# lab ready after ${tReady} ms, all three hypercall results after ${tFirst} ms`);

  const pid = lab.qemuPid;
  await lab.stop();
  await lab.stop(); // idempotent
  assert.throws(() => process.kill(pid, 0), 'QEMU is gone');
  assert.ok(!fs.existsSync(lab.dir), 'temp dir removed');
  const ours = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('qemu-system') && l.includes(lab?.dir ?? '\0'));
  assert.deepEqual(ours, [], 'no qemu-system process of this lab left');
});
