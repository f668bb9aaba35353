import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TraceMonitor } from '../../../adapter/exits/monitor';
import { aggregateText } from '../../../adapter/vmexits';
import { fixture, fixtureNames } from '../vmexits/fixtures';
import { entryLine, exitLine } from './support';

test('statistics taken while reading match adapter/vmexits on the whole text, for every fixture', () => {
  for (const name of fixtureNames()) {
    const text = fixture(name);
    const m = new TraceMonitor();
    // Odd chunk sizes: lines span chunks.
    for (let i = 0; i < text.length; i += 37) m.push(text.subarray(i, i + 37));
    m.end();
    const ours = m.stats();
    const theirs = aggregateText(text);
    assert.deepEqual(
      ours.reasons.map((r) => [r.name, r.samples, r.exits, r.totalNs]),
      theirs.reasons.map((r) => [r.name, r.samples, r.exits, r.totalNs]),
      name,
    );
    assert.deepEqual(ours.topRips, theirs.topRips, name);
  }
});

test('statistics can be taken mid-trace and go on growing', () => {
  const m = new TraceMonitor();
  m.push(Buffer.from(exitLine({ ts: 1 }) + entryLine({ ts: 1.000004 })));
  assert.equal(m.stats().samples, 1);
  m.push(Buffer.from(exitLine({ ts: 2 })));
  assert.equal(m.stats().exits, 2);
  assert.equal(m.stats().samples, 1, 'the exit waiting for its entry is no sample yet');
  m.push(Buffer.from(entryLine({ ts: 2.000002 })));
  assert.equal(m.stats().samples, 2);
});

test('the last exits of a CPU and of a vCPU, with their info and exit-to-entry time', () => {
  const m = new TraceMonitor({ ringSize: 2 });
  m.push(
    Buffer.from(
      exitLine({ cpu: 1, pid: 10, vcpu: 0, ts: 1, reason: 'io', rip: '0x8020' }) +
        exitLine({ cpu: 0, pid: 11, vcpu: 1, ts: 1.5, reason: 'hlt', rip: '0x9000' }) +
        entryLine({ cpu: 1, pid: 10, vcpu: 0, ts: 1.000003 }) +
        exitLine({ cpu: 1, pid: 10, vcpu: 0, ts: 2, reason: 'hypercall', rip: '0x801b' }) +
        exitLine({ cpu: 1, pid: 10, vcpu: 0, ts: 3, reason: 'npf', rip: '0xffffffff81000000' }),
    ),
  );
  const cpu1 = m.lastExits('cpu', 1);
  assert.deepEqual(
    cpu1.map((s) => [s.reason, s.pid, s.vcpu]),
    [
      ['hypercall', 10, 0],
      ['npf', 10, 0],
    ],
  );
  const last = cpu1[1];
  assert.ok(last);
  assert.equal(last.ripHi, 0xffffffff);
  assert.equal(last.ripLo, 0x81000000);
  assert.equal(last.infoMask, 3);
  assert.deepEqual(
    m.lastExits('vcpu', 1).map((s) => s.reason),
    ['hlt'],
  );
  // Exit-to-entry time: filled in when the thread's entry arrives.
  const all = new TraceMonitor({ ringSize: 8 });
  all.push(
    Buffer.from(
      exitLine({ pid: 10, ts: 1 }) + entryLine({ pid: 10, ts: 1.000003 }) + exitLine({ pid: 10, ts: 2 }),
    ),
  );
  const slots = all.lastExits('cpu', 0);
  assert.equal(slots[0]?.durationNs, 3000);
  assert.equal(slots[1]?.durationNs, -1, 'no entry yet');
});

test('top RIPs per reason, most exits first', () => {
  const m = new TraceMonitor();
  let text = '';
  for (let i = 0; i < 5; i++) text += exitLine({ ts: 1 + i, reason: 'io', rip: '0x10' });
  for (let i = 0; i < 3; i++) text += exitLine({ ts: 10 + i, reason: 'io', rip: '0x20' });
  text += exitLine({ ts: 20, reason: 'hlt', rip: '0x10' });
  m.push(Buffer.from(text));
  const rips = m.ripsByReason('svm', 10);
  assert.deepEqual(rips.get('io'), [
    { rip: 0x10n, exits: 5 },
    { rip: 0x20n, exits: 3 },
  ]);
  assert.deepEqual(rips.get('hlt'), [{ rip: 0x10n, exits: 1 }]);
  assert.equal(m.ripsByReason('svm', 1).get('io')?.length, 1);
});

test('the timeline counts exits per vCPU', () => {
  const m = new TraceMonitor({ timeline: { mode: 'whole', bucketNs: 1e9, maxBuckets: 10 } });
  m.push(
    Buffer.from(
      exitLine({ ts: 1, vcpu: 0 }) + exitLine({ ts: 1.5, vcpu: 1 }) + exitLine({ ts: 2.5, vcpu: 1 }),
    ),
  );
  assert.deepEqual(m.timeline().series, [
    { vcpu: 0, counts: [1, 0] },
    { vcpu: 1, counts: [1, 1] },
  ]);
});
