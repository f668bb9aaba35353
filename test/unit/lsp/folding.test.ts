// Folding: the header block, and each exit through its thread's next entry, never crossing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver/node';
import { TestClient } from './client';

let client: TestClient;
before(async () => {
  client = await TestClient.start();
});
after(() => client.close());

function assertNestedOrDisjoint(folds: FoldingRange[]): void {
  for (const a of folds) {
    for (const b of folds) {
      const crosses = a.startLine < b.startLine && b.startLine <= a.endLine && a.endLine < b.endLine;
      assert.ok(!crosses, `${a.startLine}-${a.endLine} crosses ${b.startLine}-${b.endLine}`);
    }
  }
}

test('ftrace: the header comment block, and exit-to-entry regions per thread', async () => {
  const uri = await client.openFixture('ftrace-6.1-svm.txt');
  const folds = await client.folding(uri);
  assert.deepEqual(folds[0], {
    startLine: 0,
    endLine: client.lineOf(uri, '#              | |'),
    kind: FoldingRangeKind.Comment,
  });
  const cpuid = client.lineOf(uri, 'reason cpuid');
  // The cpuid exit, its kvm_cpuid line, and the entry.
  assert.ok(
    folds.some((f) => f.startLine === cpuid && f.endLine === client.lineOf(uri, 'rip 0xffffffff81034b52')),
  );
  // The io exit of vCPU 1 spans its kvm_pio and kvm_userspace_exit lines.
  const io = client.lineOf(uri, 'vcpu 1 reason io');
  assert.deepEqual(
    folds.find((f) => f.startLine === io),
    { startLine: io, endLine: io + 3, kind: FoldingRangeKind.Region },
  );
  assertNestedOrDisjoint(folds);
});

test('trace-cmd header lines fold; interleaved threads never give crossing ranges', async () => {
  const tc = await client.openFixture('trace-cmd-report.txt');
  const folds = await client.folding(tc);
  assert.deepEqual(folds[0], { startLine: 0, endLine: 2, kind: FoldingRangeKind.Comment });
  assert.ok(folds.length > 5);
  assertNestedOrDisjoint(folds);
  for (const name of ['trace-pipe-out-of-order.txt', 'ftrace-5.4-vmx.txt', 'perf-script.txt']) {
    const folds = await client.folding(await client.openFixture(name));
    assert.ok(folds.length > 0, name);
    assertNestedOrDisjoint(folds);
  }
});
