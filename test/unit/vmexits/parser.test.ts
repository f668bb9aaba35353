import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EntryEvent, ExitEvent, TraceEvent } from '../../../adapter/vmexits/events';
import { parseTraceText } from '../../../adapter/vmexits/parser';
import { fixture } from './fixtures';

function only<K extends TraceEvent['kind']>(evs: TraceEvent[], kind: K): Extract<TraceEvent, { kind: K }>[] {
  return evs.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
}

void test('Linux 6.1 SVM ftrace: every field of kvm_exit, kvm_entry and the companion events', () => {
  const evs = parseTraceText(fixture('ftrace-6.1-svm.txt'));
  assert.equal(only(evs, 'unparsed').length, 0);
  const exits = only(evs, 'exit');
  assert.equal(exits.length, 14);
  const io = exits.find((e) => e.reason === 'io');
  assert.deepEqual(io, {
    lineNo: 25,
    comm: 'CPU 0/KVM',
    pid: 4242,
    tgid: null,
    cpu: 1,
    tsNs: 812_101_080_000,
    kind: 'exit',
    vcpu: 0,
    reason: 'io',
    code: 0x7b,
    isa: 'svm',
    flags: 0,
    rip: 0xffffffff8104c5a4n,
    info1: 0x700210n,
    info2: 0xffffffff8104c5a6n,
    intrInfo: 0,
    errorCode: 0,
    layout: 'extended',
  } satisfies ExitEvent);
  assert.equal(exits.find((e) => e.code === 0x4e)?.reason, 'PF excp');
  const entry = only(evs, 'entry')[0];
  assert.deepEqual(entry, {
    lineNo: 13,
    comm: 'CPU 0/KVM',
    pid: 4242,
    tgid: null,
    cpu: 1,
    tsNs: 812_100_000_000,
    kind: 'entry',
    vcpu: 0,
    rip: 0xffffffff81a3f1cen,
    immediateExit: false,
    guestMode: false,
  } satisfies EntryEvent);
  const [hc] = only(evs, 'hypercall');
  assert.equal(hc?.nr, 0xbn);
  assert.equal(hc?.a3, 0n);
  const pio = only(evs, 'pio');
  assert.deepEqual(
    pio.map((p) => [p.write, p.port, p.size, p.count, p.val]),
    [
      [true, 0x70, 1, 1, 0x8f],
      [true, 0x3f8, 1, 1, 0x41],
    ],
  );
  const [mmio] = only(evs, 'mmio');
  assert.deepEqual([mmio?.access, mmio?.len, mmio?.gpa, mmio?.val], ['write', 4, 0xfee00300n, 0x40041n]);
  const [msr] = only(evs, 'msr');
  assert.deepEqual([msr?.write, msr?.msr, msr?.data, msr?.gp], [true, 0x6e0, 0x2a9e8c41f0en, false]);
  const [ue] = only(evs, 'userspace_exit');
  assert.deepEqual([ue?.reason, ue?.code], ['KVM_EXIT_IO', 2]);
  assert.deepEqual(
    only(evs, 'other').map((o) => o.name),
    ['kvm_cpuid'],
  );
});

void test('VMX 6.x: page fault, cr, entry markers, failed VM-entry flag, hex reason', () => {
  const evs = parseTraceText(fixture('ftrace-6.x-vmx.txt'));
  assert.equal(only(evs, 'unparsed').length, 0);
  const [pf] = only(evs, 'page_fault');
  assert.deepEqual(
    [pf?.vcpu, pf?.rip, pf?.address, pf?.errorCode],
    [0, 0xffffffff8102d3c6n, 0xfed00000n, 0x181n],
  );
  const [cr] = only(evs, 'cr');
  assert.deepEqual([cr?.write, cr?.cr, cr?.val], [true, 3, 0x10a4b000n]);
  const entries = only(evs, 'entry');
  assert.equal(entries.filter((e) => e.immediateExit).length, 1);
  assert.equal(entries.find((e) => e.immediateExit)?.rip, 0xffffffff8155e2b4n);
  const exits = only(evs, 'exit');
  const failed = exits.find((e) => e.reason === 'INVALID_STATE');
  assert.equal(failed?.flags, 0x80000000);
  assert.equal(failed?.code, 33);
  const nmi = exits.find((e) => e.reason === 'EXCEPTION_NMI');
  assert.deepEqual([nmi?.intrInfo, nmi?.errorCode], [0x80000b0e, 6]);
  const hex = exits.find((e) => e.reason === '0x41');
  assert.deepEqual([hex?.isa, hex?.code], ['unknown', 0x41]);
});

void test('older layouts: 5.4 (vcpu, info), 3.10 (no vcpu), 2.6 (no info)', () => {
  const v54 = only(parseTraceText(fixture('ftrace-5.4-vmx.txt')), 'exit');
  assert.equal(v54.length, 7);
  assert.ok(v54.every((e) => e.layout === 'vcpu' && e.vcpu !== null && e.intrInfo === null));
  const ext = v54.find((e) => e.reason === 'EXTERNAL_INTERRUPT');
  assert.deepEqual([ext?.info1, ext?.info2], [0n, 0x800000efn]);
  const e54 = only(parseTraceText(fixture('ftrace-5.4-vmx.txt')), 'entry');
  assert.ok(e54.every((e) => e.rip === null));
  const v310 = parseTraceText(fixture('ftrace-3.10-vmx.txt'));
  const x310 = only(v310, 'exit');
  assert.ok(x310.every((e) => e.layout === 'legacy' && e.vcpu === null));
  assert.equal(x310.find((e) => e.code === 7)?.reason, 'INTERRUPT_WINDOW');
  const [pf] = only(v310, 'page_fault');
  assert.deepEqual([pf?.vcpu, pf?.rip, pf?.address, pf?.errorCode], [null, null, 0xfee000b0n, 0x182n]);
  const v26 = parseTraceText(fixture('ftrace-2.6-svm.txt'));
  const x26 = only(v26, 'exit');
  assert.ok(x26.every((e) => e.info1 === null && e.info2 === null));
  assert.equal(x26[0]?.rip, 0xc0103d2en);
  assert.equal(only(v26, 'pio')[0]?.val, null);
});

void test('prefix variants: tgid column, trace-cmd padding and plugin text, perf pid/tid and 9 decimals', () => {
  const tg = parseTraceText(fixture('ftrace-tgid.txt'));
  assert.deepEqual(
    tg.map((e) => (e.kind === 'exit' || e.kind === 'entry' ? [e.pid, e.tgid, e.cpu] : null)),
    [
      [4242, 4230, 1],
      [4242, null, 1],
    ],
  );
  const tc = parseTraceText(fixture('trace-cmd-report.txt'));
  assert.equal(only(tc, 'unparsed').length, 0);
  assert.deepEqual(
    only(tc, 'exit').map((e) => e.reason),
    ['npf', 'io', 'hypercall', 'hlt', 'UNKNOWN (166)', 'PF excp'],
  );
  const hlt = only(tc, 'exit').find((e) => e.reason === 'hlt');
  assert.deepEqual([hlt?.rip, hlt?.info1, hlt?.info2], [0xffffffff81a3f1cen, 0n, 0n]);
  assert.deepEqual(
    only(tc, 'entry').map((e) => e.vcpu),
    [0, 1, 1, 0, 1, 0],
  );
  assert.deepEqual(
    only(tc, 'lost').map((l) => [l.cpu, l.count]),
    [
      [2, 112],
      [3, null],
    ],
  );
  const ps = parseTraceText(fixture('perf-script.txt'));
  assert.equal(only(ps, 'unparsed').length, 0);
  const px = only(ps, 'exit');
  assert.deepEqual(
    px.map((e) => [e.comm, e.pid, e.cpu, e.tsNs, e.layout]),
    [
      ['CPU 0/KVM', 8820, 1, 9_180_100_000_000, 'extended'],
      ['CPU 1/KVM', 8821, 3, 9_180_100_100_000, 'legacy'],
      ['CPU 0/KVM', 8820, 1, 9_180_100_200_000, 'legacy'],
      ['CPU 0/KVM', 8820, 1, 9_180_100_300_123, 'extended'],
    ],
  );
});
