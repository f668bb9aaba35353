import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateText } from '../../../adapter/vmexits/aggregate';
import { cFixed, formatPerfKvmStat } from '../../../adapter/vmexits/format';
import { fixture } from './fixtures';

const HEADER40 =
  '                                 VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time \n\n';

void test('perf kvm stat report layout, all vCPUs, 40-column names', () => {
  const s = aggregateText(fixture('ftrace-2.6-svm.txt'));
  assert.equal(
    formatPerfKvmStat(s),
    '\n\nAnalyze events for all VMs, all VCPUs:\n\n' +
      HEADER40 +
      '                                     hlt          1    33.33%    98.52%   4000.00us   4000.00us   4000.00us ( +-   0.00% )\n' +
      '                                      io          1    33.33%     1.23%     50.00us     50.00us     50.00us ( +-   0.00% )\n' +
      '                                     npf          1    33.33%     0.25%     10.00us     10.00us     10.00us ( +-   0.00% )\n' +
      '\nTotal Samples:3, Total events handled time:4060.00us.\n\n',
  );
});

void test('one vCPU, 20-column names (older perf), target text, sort by time, lost events', () => {
  const s = aggregateText(fixture('trace-cmd-report.txt'));
  const text = formatPerfKvmStat(s, { vcpu: 1, nameWidth: 20, target: 'pid(s) 6000', sortBy: 'time' });
  assert.equal(
    text,
    '\n\nAnalyze events for pid(s) 6000, VCPU 1:\n\n' +
      '             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time \n\n' +
      '                  io          1    33.33%    52.63%     60.00us     60.00us     60.00us ( +-   0.00% )\n' +
      '           idle-halt          1    33.33%    43.86%     50.00us     50.00us     50.00us ( +-   0.00% )\n' +
      '           hypercall          1    33.33%     3.51%      4.00us      4.00us      4.00us ( +-   0.00% )\n' +
      '\nTotal Samples:3, Total events handled time:114.00us.\n\n' +
      '\nLost events: 2\n\n',
  );
});

void test('relative error of the mean, and names longer than the column are cut as perf cuts them', () => {
  const lines = [10, 20, 30, 40].flatMap((us, i) => [
    `  CPU 0/KVM-1 [000] d..1. 1.${String(i * 1000).padStart(6, '0')}: kvm_exit: vcpu 0 reason avic_unaccelerated_access rip 0x1 info 0 0`,
    `  CPU 0/KVM-1 [000] d..1. 1.${String(i * 1000 + us).padStart(6, '0')}: kvm_entry: vcpu 0`,
  ]);
  const s = aggregateText(lines.join('\n'));
  // mean 25, sample sd 12.91, sd of mean 6.455 -> 25.82 %
  // perf prints the name through a 20-byte buffer: 19 characters and the NUL.
  assert.match(
    formatPerfKvmStat(s, { nameWidth: 20 }),
    /\n avic_unaccelerated_          4   100\.00%   100\.00%     10\.00us     40\.00us     25\.00us \( \+-  25\.82% \)\n/,
  );
});

void test('cFixed rounds like glibc printf', () => {
  assert.equal(cFixed(0.125, 2), '0.12');
  assert.equal(cFixed(0.375, 2), '0.38');
  assert.equal(cFixed(2.5, 0), '2');
  assert.equal(cFixed(3.5, 0), '4');
  assert.equal(cFixed(-0.125, 2), '-0.12');
  assert.equal(cFixed(1.005, 2), '1.00');
  assert.equal(cFixed(98.52216748768473, 2), '98.52');
  assert.equal(cFixed(NaN, 2), 'nan');
  assert.equal(cFixed(Infinity, 2), 'inf');
  assert.equal(cFixed(-Infinity, 2), '-inf');
  assert.equal(cFixed(1e22, 2), '1e+22'.length > 0 ? (1e22).toFixed(2) : '');
});
