import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, aggregateStream, aggregateText } from '../../../adapter/vmexits/aggregate';
import { Readable } from 'node:stream';
import type { KvmStats } from '../../../adapter/vmexits/kvmStats';
import { parseTraceText } from '../../../adapter/vmexits/parser';
import { fixture, fixtureNames } from './fixtures';

/**
 * An independent, straightforward implementation: regular expressions per line, each thread's
 * last exit paired with its next entry in file order (valid for in-order fixtures).
 */
function reference(text: string): Map<string, { n: number; total: number; min: number; max: number }> {
  const out = new Map<string, { n: number; total: number; min: number; max: number }>();
  const pending = new Map<string, [number, string]>();
  const re =
    /^\s*(.*?)[- ](?:\d+\/)?(\d+)\s+(?:\([ \d-]+\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+)\.(\d+):\s+(?:\w+:)?(kvm_exit|kvm_entry):\s+(.*)$/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m === null) continue;
    const [, , pid = '', , sec = '', frac = '', event, body = ''] = m;
    const ns = Number(sec) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
    if (event === 'kvm_exit') {
      const r = /reason (.*?) rip 0x/.exec(body);
      if (r?.[1] !== undefined) pending.set(pid, [ns, r[1]]);
    } else {
      const p = pending.get(pid);
      if (p === undefined) continue;
      pending.delete(pid);
      const d = ns - p[0];
      const s = out.get(p[1]) ?? { n: 0, total: 0, min: Infinity, max: 0 };
      s.n++;
      s.total += d;
      s.min = Math.min(s.min, d);
      s.max = Math.max(s.max, d);
      out.set(p[1], s);
    }
  }
  return out;
}

/** Our rows, keyed by the name as printed (to compare with the reference's raw text). */
function rows(stats: KvmStats): Map<string, { n: number; total: number; min: number; max: number }> {
  return new Map(
    stats.reasons
      .filter((r) => r.samples > 0)
      .map((r) => [r.name, { n: r.samples, total: r.totalNs, min: r.minNs, max: r.maxNs }]),
  );
}

const PRINTED_AS: Record<string, Record<string, string>> = {
  'ftrace-3.10-vmx.txt': { PENDING_INTERRUPT: 'INTERRUPT_WINDOW' },
  'ftrace-6.x-vmx.txt': { '0x41': 'PCONFIG' },
  'trace-cmd-report.txt': {
    EXIT_NPF: 'npf',
    EXIT_IOIO: 'io',
    EXIT_VMMCALL: 'hypercall',
    EXIT_HLT: 'hlt',
    'UNKNOWN (166)': 'idle-halt',
    EXIT_EXCP_PF: 'PF excp',
  },
};

void test('aggregate equals an independent straightforward implementation on the in-order fixtures', () => {
  for (const name of fixtureNames().filter(
    (n) => n !== 'trace-pipe-out-of-order.txt' && n !== 'bad-input.txt',
  )) {
    const data = fixture(name);
    const ref = reference(data.toString('latin1'));
    const renamed = new Map([...ref].map(([k, v]) => [PRINTED_AS[name]?.[k] ?? k, v]));
    assert.deepEqual(rows(aggregateText(data)), renamed, name);
  }
});

void test('the event path and the record path give identical statistics', async () => {
  for (const name of fixtureNames()) {
    const data = fixture(name);
    const fast = aggregateText(data);
    assert.deepEqual(
      aggregate(parseTraceText(data)),
      {
        ...fast,
        diagnostics: {
          ...fast.diagnostics,
          skipped: 0,
          lines: fast.diagnostics.lines - fast.diagnostics.skipped,
        },
      },
      name,
    );
    assert.deepEqual(
      await aggregateStream(Readable.from([data.subarray(0, 100), data.subarray(100)])),
      fast,
      name,
    );
  }
});

void test('SVM 6.1 fixture: per reason, per vCPU, top RIPs and diagnostics', () => {
  const s = aggregateText(fixture('ftrace-6.1-svm.txt'));
  assert.equal(s.isa, 'svm');
  assert.equal(s.samples, 14);
  assert.equal(s.exits, 14);
  const hlt = s.reasons[0];
  assert.deepEqual(
    [hlt?.name, hlt?.samples, hlt?.exits, hlt?.minNs, hlt?.maxNs, hlt?.meanNs],
    ['hlt', 3, 3, 1_000_000, 3_000_000, 2_000_000],
  );
  assert.equal(
    s.reasons.find((r) => r.name === 'io')?.description,
    'IN or OUT accessing protected port (IOIO)',
  );
  assert.deepEqual(
    s.vcpus.map((v) => [v.vcpu, v.samples, v.exits]),
    [
      [0, 8, 8],
      [1, 6, 6],
    ],
  );
  assert.equal(s.topRips[0]?.rip, 0xffffffff81a3f1cen);
  assert.deepEqual(s.topRips[0]?.reasons, [{ name: 'hlt', exits: 3 }]);
  assert.equal(s.ripsApproximate, false);
  const d = s.diagnostics;
  assert.deepEqual(
    [d.lines, d.events, d.unparsed, d.skipped, d.unpairedExits, d.orphanEntries, d.outOfOrder],
    [49, 37, 0, 12, 0, 2, 0],
  );
  assert.deepEqual(d.eventCounts, { other: 1, pio: 2, mmio: 1, hypercall: 1, msr: 1, userspace_exit: 1 });
});

void test('interleaved CPUs out of order still pair each thread exit with its entry', () => {
  const s = aggregateText(fixture('trace-pipe-out-of-order.txt'));
  assert.deepEqual(
    s.reasons.map((r) => [r.name, r.samples, r.totalNs]),
    [
      ['EPT_MISCONFIG', 1, 4000],
      ['EXTERNAL_INTERRUPT', 1, 2000],
      ['HLT', 1, 40000],
    ],
  );
  assert.equal(s.diagnostics.outOfOrder, 3);
  assert.equal(s.diagnostics.unpairedExits + s.diagnostics.orphanEntries, 0);
});

void test('hex and plugin UNKNOWN reasons resolve under the trace ISA', () => {
  const s = aggregateText(fixture('trace-cmd-report.txt'));
  assert.equal(s.isa, 'svm');
  const idle = s.reasons.find((r) => r.name === 'idle-halt');
  assert.deepEqual([idle?.code, idle?.isa, idle?.samples], [0xa6, 'svm', 1]);
  assert.deepEqual(
    [s.diagnostics.lostMarkers, s.diagnostics.lostEvents, s.diagnostics.lostUnknown],
    [2, 112, 1],
  );
});

void test('bounded state: thread eviction, RIP counter capacity, reason overflow', () => {
  const lines: string[] = [];
  for (let t = 0; t < 50; t++) {
    lines.push(
      `  CPU 0/KVM-${100 + t} [000] d..1. 1.${String(t * 10).padStart(6, '0')}: kvm_exit: vcpu 0 reason R${t} rip 0x${(0x1000 + t).toString(16)} info 0 0`,
    );
  }
  // Entries newest thread first: the 10 live threads pair, the 40 evicted ones start anew.
  for (let t = 49; t >= 0; t--) {
    lines.push(
      `  CPU 0/KVM-${100 + t} [000] d..1. 2.${String(500 - t * 10).padStart(6, '0')}: kvm_entry: vcpu 0`,
    );
  }
  const s = aggregateText(lines.join('\n'), { maxThreads: 10, ripCapacity: 8 });
  assert.equal(s.diagnostics.threadsEvicted, 80);
  assert.equal(s.diagnostics.unpairedExits, 40);
  assert.equal(s.diagnostics.orphanEntries, 40);
  assert.equal(s.samples, 10);
  assert.equal(s.exits, 50);
  assert.equal(s.ripsApproximate, true);
  assert.ok(s.topRips.length <= 8);
});
