// Diagnostics: lost events, unparsable lines, unknown reasons; bounded; computed once per pause in editing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DiagnosticSeverity,
  DidCloseTextDocumentNotification,
  type Diagnostic,
} from 'vscode-languageserver/node';
import { TestClient } from './client';

let client: TestClient;
before(async () => {
  client = await TestClient.start({ debounceMs: 50 });
});
after(() => client.close());

const at = (ds: Diagnostic[], line: number): Diagnostic | undefined =>
  ds.find((d) => d.range.start.line === line);

test('bad-input.txt: lost-event markers, unparsable lines with the reason, an unknown reason', async () => {
  const uri = await client.openFixture('bad-input.txt');
  const { diagnostics: ds, version } = await client.diagnostics(uri);
  assert.equal(version, 1);
  const lost = at(ds, client.lineOf(uri, 'CPU:1 [LOST 250 EVENTS]'));
  assert.equal(lost?.severity, DiagnosticSeverity.Warning);
  assert.match(lost?.message ?? '', /^250 events were lost on CPU 1 /);
  assert.match(
    at(ds, client.lineOf(uri, 'CPU:0 [LOST EVENTS]'))?.message ?? '',
    /^Events were lost on CPU 0 /,
  );
  assert.match(at(ds, client.lineOf(uri, 'PERF_RECORD_LOST'))?.message ?? '', /^7 events were lost \(/);

  const truncated = at(ds, client.lineOf(uri, 'info2 0x00000000000'));
  assert.equal(truncated?.severity, DiagnosticSeverity.Error);
  assert.equal(truncated?.message, 'Cannot parse this trace line: truncated kvm_exit.');
  assert.equal(
    at(ds, client.lineOf(uri, 'reason hlt rip 0xzz'))?.message,
    'Cannot parse this trace line: bad kvm_exit rip.',
  );
  const prose = at(ds, client.lineOf(uri, 'this is not a trace line'));
  assert.equal(prose?.severity, DiagnosticSeverity.Warning);
  assert.equal(prose?.message, 'Not a trace line (no [cpu] field).');
  assert.equal(at(ds, client.lineOf(uri, '812.1000\n'.trim()))?.severity, DiagnosticSeverity.Error);
  const unknown = at(ds, client.lineOf(uri, 'FOO_BAR'));
  assert.equal(unknown?.severity, DiagnosticSeverity.Information);
  // Well-formed lines, including events hvdbg does not decode, are not flagged.
  for (const ok of ['kvm_inj_virq', 'sched_switch', 'reason EPT_VIOLATION', '# lines the parser']) {
    assert.equal(at(ds, client.lineOf(uri, ok)), undefined, ok);
  }
  assert.equal(ds.length, 12); // 3 lost markers, 8 unparsable lines, 1 unknown reason
  assert.ok(ds.every((d) => d.source === 'hvdbg' && d.range.end.character > 0));
});

test('trace-cmd report: both EVENTS DROPPED markers; clean fixtures have no diagnostics', async () => {
  const tc = await client.openFixture('trace-cmd-report.txt');
  const { diagnostics: ds } = await client.diagnostics(tc);
  assert.deepEqual(
    ds.map((d) => d.message.replace(/ \(the ring.*/, '')),
    ['112 events were lost on CPU 2', 'Events were lost on CPU 3'],
  );
  for (const name of ['ftrace-6.1-svm.txt', 'ftrace-3.10-vmx.txt', 'perf-script.txt']) {
    const uri = await client.openFixture(name);
    assert.deepEqual((await client.diagnostics(uri)).diagnostics, [], name);
  }
});

test('at most maxProblems diagnostics, then one summary', async () => {
  const small = await TestClient.start({ limits: { maxProblems: 3 } });
  try {
    const uri = await small.openFixture('bad-input.txt');
    const { diagnostics: ds } = await small.diagnostics(uri);
    assert.equal(ds.length, 4);
    assert.match(
      ds[3]?.message ?? '',
      /^9 more problems after line 4 are not listed \(only the first 3 are\)\.$/,
    );
  } finally {
    small.close();
  }
});

test('edits are analysed once they pause: a burst of changes costs one pass', async () => {
  const uri = await client.openFixture('ftrace-6.1-svm.txt');
  await client.diagnostics(uri);
  const before = client.server.scheduler.passes;
  const end = client.lineOf(uri, 'vcpu 0, rip 0xffffffff81063e26') + 1;
  for (let v = 2; v <= 21; v++) {
    // Incremental edits: each inserts a line at the end.
    await client.change(uri, v, [
      {
        range: { start: { line: end + v - 2, character: 0 }, end: { line: end + v - 2, character: 0 } },
        text: `CPU:${v} [LOST ${v} EVENTS]\n`,
      },
    ]);
  }
  const published = client.published.get(uri)?.length ?? 0;
  const { diagnostics: ds, version } = await client.diagnostics(uri, published + 1);
  assert.equal(version, 21);
  assert.equal(client.server.scheduler.passes, before + 1);
  assert.equal(ds.length, 20);
  assert.equal(ds[19]?.range.start.line, end + 19);
  assert.match(ds[19]?.message ?? '', /^21 events were lost on CPU 21 /);
});

test('documents longer than maxAnalysedChars are analysed from the top, and say where they stop', async () => {
  const small = await TestClient.start({ limits: { maxAnalysedChars: 4000 } });
  try {
    const uri = await small.openFixture('ftrace-6.1-svm.txt');
    const { diagnostics: ds } = await small.diagnostics(uri);
    assert.equal(ds.length, 1);
    assert.match(ds[0]?.message ?? '', /^Only the first (\d+) lines \(0 MB\) of this trace were analysed/);
    const analysed = Number(/first (\d+) lines/.exec(ds[0]?.message ?? '')?.[1]);
    assert.equal(ds[0]?.range.start.line, analysed);
    const symbols = await small.symbols(uri);
    assert.ok(symbols.every((s) => s.detail?.endsWith(`(first ${analysed} lines)`)));
    assert.ok(symbols.every((s) => s.range.end.line < analysed));
    // Hover still works past the analysed part.
    assert.match((await small.hover(uri, 'reason write_cr3')) ?? '', /Write of CR3/);
  } finally {
    small.close();
  }
});

test('closing a document clears its diagnostics', async () => {
  const uri = await client.openFixture('trace-cmd-report.txt');
  const count = (await client.diagnostics(uri)) && (client.published.get(uri)?.length ?? 0);
  await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  assert.deepEqual((await client.diagnostics(uri, count + 1)).diagnostics, []);
});
