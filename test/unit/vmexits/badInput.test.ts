import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceEvent } from '../../../adapter/vmexits/events';
import { TraceParser, parseTraceText } from '../../../adapter/vmexits/parser';
import { fixture } from './fixtures';

function only<K extends TraceEvent['kind']>(evs: TraceEvent[], kind: K): Extract<TraceEvent, { kind: K }>[] {
  return evs.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
}

void test('bad input: each line is an event, a lost marker, skipped, or unparsed with a reason', () => {
  const p = new TraceParser(() => undefined);
  p.push(fixture('bad-input.txt'));
  p.end();
  const evs = parseTraceText(fixture('bad-input.txt'));
  const c = p.counts;
  assert.equal(c.lines, 19);
  assert.equal(c.events + c.unparsed + c.lost + c.skipped, c.lines);
  assert.deepEqual(
    only(evs, 'lost').map((l) => [l.cpu, l.count]),
    [
      [1, 250],
      [0, null],
      [-1, 7],
    ],
  );
  assert.deepEqual(
    only(evs, 'unparsed').map((u) => u.why),
    [
      'truncated kvm_exit',
      'kvm_exit without rip',
      'no [cpu] field',
      'no [cpu] field',
      'no timestamp',
      'bad kvm_exit reason',
      'truncated kvm_pio',
      'bad kvm_exit rip',
    ],
  );
  assert.deepEqual(
    only(evs, 'other').map((o) => o.name),
    ['kvm_inj_virq', 'sched_switch'],
  );
  assert.equal(only(evs, 'exit').find((e) => e.reason === 'FOO_BAR')?.isa, 'vmx');
});

void test('binary bytes in a line are escaped in the unparsed text', () => {
  const evs = parseTraceText(Buffer.from([0x41, 0x00, 0xff, 0x1b, 0x42, 0x0a]));
  assert.deepEqual(evs, [{ kind: 'unparsed', lineNo: 1, text: 'A\\x00\\xff\\x1bB', why: 'no [cpu] field' }]);
});

void test('counter clocks (no decimal point) give raw ticks', () => {
  const [ev] = parseTraceText('  CPU 0/KVM-1  [000] d..1.  123456789012: kvm_entry: vcpu 0, rip 0x10\n');
  assert.equal(ev?.kind, 'entry');
  assert.equal(ev?.kind === 'entry' ? ev.tsNs : 0, 123456789012);
});

void test('malformed digits in fixed-width fields leave those fields null instead of guessing', () => {
  const evs = parseTraceText(
    '  CPU 0/KVM-1 [000] d..1. 1.000001: kvm_exit: vcpu 0 reason HLT rip 0xffffffff81000000 info1 0x00000000000g0000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000\n' +
      '  CPU 0/KVM-1 [000] d..1. 1.000002: kvm_entry: vcpu 0, rip 0xzz\n' +
      '  CPU 0/KVM-1 [000] d..1. 1.000003: kvm_entry: vcpu 0, rip 0x10[immediate exit]\n',
  );
  const [exit, bad, good] = evs;
  assert.equal(exit?.kind, 'exit');
  assert.deepEqual(exit?.kind === 'exit' ? [exit.rip, exit.info1, exit.info2, exit.intrInfo] : [], [
    0xffffffff81000000n,
    null,
    null,
    null,
  ]);
  assert.deepEqual(bad?.kind === 'entry' ? [bad.rip, bad.immediateExit] : [], [null, false]);
  assert.deepEqual(good?.kind === 'entry' ? [good.rip, good.immediateExit] : [], [0x10n, true]);
});
