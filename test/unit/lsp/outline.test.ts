// The outline groups exits by vCPU, checked against an independent count: regular expressions per line,
// a thread's vCPU from its kvm_entry lines, the host CPU when neither the exit nor the thread names one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, TestClient } from './client';

interface Expected {
  total: number;
  /** Reason text as printed → count. */
  reasons: Map<string, number>;
}

function independentCount(text: string): Map<string, Expected> {
  const prefix =
    /^\s*.*?[- ](?:\d+\/)?(\d+)\s+(?:\([ \d-]+\)\s+)?\[(\d+)\]\s.*?(?:\w+:)?(kvm_exit|kvm_entry):\s+(.*)$/;
  const vcpuOfPid = new Map<string, string>();
  const exits: { vcpu: string | undefined; pid: string; cpu: number; reason: string }[] = [];
  for (const line of text.split('\n')) {
    const m = prefix.exec(line);
    if (m === null) continue;
    const [, pid = '', cpu = '', event, body = ''] = m;
    const vcpu = /^vcpu (\d+)/.exec(body)?.[1];
    if (event === 'kvm_entry') {
      if (vcpu !== undefined && !vcpuOfPid.has(pid)) vcpuOfPid.set(pid, vcpu);
      continue;
    }
    const reason = /reason (.*?) rip 0x/.exec(body)?.[1];
    if (reason !== undefined) exits.push({ vcpu, pid, cpu: Number(cpu), reason });
  }
  const groups = new Map<string, Expected>();
  for (const e of exits) {
    const v = e.vcpu ?? vcpuOfPid.get(e.pid);
    const name = v === undefined ? `host CPU ${e.cpu}` : `vCPU ${v}`;
    const g = groups.get(name) ?? { total: 0, reasons: new Map<string, number>() };
    g.total++;
    g.reasons.set(e.reason, (g.reasons.get(e.reason) ?? 0) + 1);
    groups.set(name, g);
  }
  return groups;
}

let client: TestClient;
before(async () => {
  client = await TestClient.start();
});
after(() => client.close());

const FORMATS = [
  'ftrace-6.1-svm.txt', // vCPU on every exit
  'ftrace-6.x-vmx.txt',
  'ftrace-3.10-vmx.txt', // no vCPU on exits: from the threads' kvm_entry
  'trace-cmd-report.txt',
  'perf-script.txt',
  'trace-pipe-out-of-order.txt',
];

for (const name of FORMATS) {
  test(`outline of ${name}: groups, exit counts and per-reason counts match an independent count`, async () => {
    const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
    const expected = independentCount(text);
    const symbols = await client.symbols(await client.open(name, text));
    assert.deepEqual(symbols.map((s) => s.name).sort(), [...expected.keys()].sort());
    for (const s of symbols) {
      const want = expected.get(s.name);
      assert.ok(want !== undefined);
      assert.match(s.detail ?? '', new RegExp(`^${want.total} exits?$`), s.name);
      const counts = (s.children ?? []).map((c) => Number(/^×(\d+)/.exec(c.detail ?? '')?.[1]));
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        want.total,
      );
      assert.deepEqual([...counts].sort(), [...want.reasons.values()].sort(), s.name);
      for (const c of s.children ?? []) {
        assert.ok(c.range.start.line >= s.range.start.line && c.range.end.line <= s.range.end.line);
        assert.ok(
          text.split('\n')[c.selectionRange.start.line]?.includes('kvm_exit'),
          'a reason selects an exit line',
        );
      }
    }
  });
}

test('outline of the 6.1 SVM fixture, by name', async () => {
  const uri = await client.openFixture('ftrace-6.1-svm.txt');
  const symbols = await client.symbols(uri);
  const byName = new Map(
    symbols.map((s) => [s.name, new Map((s.children ?? []).map((c) => [c.name, c.detail]))]),
  );
  // vCPU 0: hlt ×2, io, npf, hypercall, msr, PF excp, write_cr3; vCPU 1: hlt, interrupt, cpuid, npf, vintr, io.
  assert.deepEqual(
    [...(byName.get('vCPU 0')?.keys() ?? [])],
    ['hlt', 'io', 'npf', 'hypercall', 'msr', 'PF excp', 'write_cr3'],
  );
  assert.equal(
    byName.get('vCPU 0')?.get('hlt'),
    `×2 · lines ${client.lineOf(uri, 'vcpu 0 reason hlt') + 1}–39`,
  );
  assert.equal(byName.get('vCPU 1')?.size, 6);
});
