// The vCPU report of a lab wait that gives up (test/lab/vcpuReport.ts), on output recorded from a real
// hang of the lab (MTTCG, both vCPUs looping on a stale int3 in __schedule), and the step names of waits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labStepOf, type LabManifest } from '../../lab/lab';
import { formatVcpus, parseGdbVcpus, parseInfoRegistersSummary, stubClients } from '../../lab/vcpuReport';

const manifest = {
  sourceRoot: '/cache/linux-source-6.1',
  dwarf: { buildPrefix: '/build/reproducible-path/linux-6.1.192' },
} as unknown as LabManifest;

// The gdb script's output (thread apply all runs from the highest thread down).
const GDB = `HVDBG-VCPU 1 rip=0xffffffff81a10d9b eflags=0x46
#0  0xffffffff81a10d9b in arch_static_branch (...) at arch/x86/include/asm/jump_label.h:27
#1  fire_sched_out_preempt_notifiers (...) at kernel/sched/core.c:4840
#2  prepare_task_switch (...) at kernel/sched/core.c:5068
#3  context_switch (...) at kernel/sched/core.c:5208
#4  __schedule (...) at kernel/sched/core.c:6584
#5  0xffffffff81a1154a in schedule () at kernel/sched/core.c:6660
#6  0x0000000000000000 in ?? ()
HVDBG-VCPU 0 rip=0xffffffff81c00ba0 eflags=0x46
#0  asm_exc_int3 () at /build/reproducible-path/linux-6.1.192/arch/x86/include/asm/idtentry.h:606
#1  0xffffffff81a10d9c in arch_static_branch (...) at arch/x86/include/asm/jump_label.h:27
[Inferior 1 (process 1) detached]
`;

const REGS = `CPU#0
RAX=ffffffff82a1b998 RBX=ff1100001f031980 RCX=0000000000000000 RDX=00000001ffb64760
RIP=ffffffff81c00ba0 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
CPU#1
RIP=ffffffff81a17a0b RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1
`;

void test('gdb output: one state per vCPU, sorted, frames without the 0x0 end marker', () => {
  const cpus = parseGdbVcpus(GDB);
  assert.deepEqual(
    cpus.map((c) => [c.cpu, c.rip, c.rflags, c.frames.length]),
    [
      [0, 0xffffffff81c00ba0n, 0x46n, 2],
      [1, 0xffffffff81a10d9bn, 0x46n, 6],
    ],
  );
});

void test('the report names each vCPU with RIP, IF and its innermost frames, sources relative', () => {
  const text = formatVcpus(parseGdbVcpus(GDB), manifest);
  const lines = text.split('\n');
  assert.equal(lines[0], 'vCPUs (2):');
  assert.equal(
    lines[1],
    '  vCPU 0: RIP 0xffffffff81c00ba0, IF=0 in asm_exc_int3 (arch/x86/include/asm/idtentry.h:606) ← ' +
      'arch_static_branch (arch/x86/include/asm/jump_label.h:27)',
  );
  assert.match(
    lines[2] ?? '',
    /^ {2}vCPU 1: RIP 0xffffffff81a10d9b, IF=0 in arch_static_branch .* ← fire_sched_out_preempt_notifiers \(kernel\/sched\/core\.c:4840\) ← /,
  );
  assert.ok(text.includes('  vCPU 1 stack:\n    #0  0xffffffff81a10d9b in arch_static_branch'));
});

void test('info registers -a: RIP, RFLAGS and HLT per CPU (the report without gdb)', () => {
  const cpus = parseInfoRegistersSummary(REGS);
  assert.deepEqual(
    cpus.map((c) => [c.cpu, c.rip, c.rflags, c.halted]),
    [
      [0, 0xffffffff81c00ba0n, 0x46n, false],
      [1, 0xffffffff81a17a0bn, 0x246n, true],
    ],
  );
  assert.match(
    formatVcpus(cpus, manifest, 'from info registers -a'),
    /vCPU 1: RIP 0xffffffff81a17a0b, IF=1, halted$/m,
  );
});

void test('a wait is named by the lab step its fixed line stands for', () => {
  assert.match(labStepOf(/HVDBG-LAB ready/, 'console (ttyS0)'), /^boot: /);
  assert.match(labStepOf(/HVDBG-HC .*nr=/, 'console (ttyS0)'), /KVM program's hypercall lines/);
  assert.match(labStepOf(/HVDBG-KVM done/, 'console (ttyS0)'), /KVM program's end/);
  assert.match(labStepOf(/kvm_hypercall: nr 0xb/, 'trace (ttyS1)'), /kvm trace events/);
  assert.equal(labStepOf(/^\/ # $/, 'console (ttyS0)'), 'a line matching /^\\/ # $/ on console (ttyS0)');
});

void test('a debugger holding the stub shows as a connected socket on its path in /proc/net/unix', () => {
  const table = [
    'Num       RefCount Protocol Flags    Type St Inode Path',
    '000000005dfa41f3: 00000002 00000000 00010000 0001 01 139926 /tmp/hvdbg-lab-x/gdb.sock',
    '00000000d4795aad: 00000003 00000000 00000000 0001 03 140169',
  ].join('\n');
  assert.equal(stubClients('/tmp/hvdbg-lab-x/gdb.sock', table), 0, 'only the listener');
  const attached = `${table}\n00000000aa95aad: 00000003 00000000 00000000 0001 03 140170 /tmp/hvdbg-lab-x/gdb.sock`;
  assert.equal(stubClients('/tmp/hvdbg-lab-x/gdb.sock', attached), 1);
  assert.equal(stubClients('/tmp/hvdbg-lab-y/gdb.sock', attached), 0);
});
