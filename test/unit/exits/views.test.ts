/** The views' pure parts (no VS Code): number formats, the chart's data. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitTraceService } from '../../../adapter/exits/service';
import { noSymbols } from '../../../adapter/exits/symbols';
import { chartData } from '../../../extension/views/chartData';
import { count, duration, percent, where } from '../../../extension/views/format';
import { FIXTURES } from '../vmexits/fixtures';

test('numbers as the views print them', () => {
  assert.equal(count(1234567), '1,234,567');
  assert.equal(duration(812), '812 ns');
  assert.equal(duration(2100), '2.10 µs');
  assert.equal(duration(3_400_000), '3.40 ms');
  assert.equal(duration(2e9), '2.00 s');
  assert.equal(percent(42.5), '42.5%');
  assert.equal(percent(7.142), '7.14%');
  assert.equal(where(undefined), 'resolving…');
  assert.equal(where({ none: 'no symbol' }), 'no symbol');
  assert.equal(
    where({ function: 'kvm_emulate_hypercall', offset: 12, file: 'arch/x86/kvm/x86.c', line: 9761 }),
    'kvm_emulate_hypercall+12 · x86.c:9761',
  );
});

test("the chart's data: reasons and the per-vCPU timeline of a file", async (t) => {
  const service = new ExitTraceService({ symbols: noSymbols });
  t.after(() => service.dispose());
  await service.open({ path: join(FIXTURES, 'ftrace-6.1-svm.txt') });
  const done = new Promise<void>((resolve) =>
    service.on('snapshot', (s) => {
      if (s.source.state === 'ended') resolve();
    }),
  );
  await done;
  const data = chartData(service.snapshot());
  assert.ok(data);
  assert.match(data.title, /ftrace-6\.1-svm\.txt · 14 exits · ended$/);
  assert.equal(data.reasons[0]?.name, 'hlt');
  assert.deepEqual(
    data.timeline.series.map((s) => [s.vcpu, s.counts.reduce((a, b) => a + b, 0)]),
    [
      [0, 8],
      [1, 6],
    ],
  );
  assert.equal(chartData(undefined), undefined);
});
