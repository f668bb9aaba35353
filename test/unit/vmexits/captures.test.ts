// Real captures from the lab's KVM (test/fixtures/traces/captures, made by test/lab/captureTraces.ts):
// one recording window as the kernel's own text and as `trace-cmd report` of trace-cmd's trace.dat.
// Both go through both parsers of adapter/vmexits and must give the same statistics, equal to the
// plain independent reading in test/lab/traceReference.ts (no numbers here come from the parser).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPerfKvmStat } from '../../../adapter/vmexits';
import {
  assertCaptureAgrees,
  fromFirstEntries,
  assertMatchesReference,
  assertSameEvents,
  bothParsers,
  hypercallsOf,
  withoutLineCounts,
} from '../../lab/captureCheck';
import { CaptureDecoder } from '../../lab/captureTraces';
import { refLines, refStats } from '../../lab/traceReference';
import { FIXTURES } from './fixtures';

const DIR = path.join(FIXTURES, 'captures');
const NAME = 'lab-6.1-svm';
const read = (suffix: string): string => fs.readFileSync(path.join(DIR, `${NAME}.${suffix}`), 'utf8');
const text = read('trace.txt');
const report = read('trace-cmd-report.txt');

void test('the two views hold the same events, line for line', () => {
  const n = assertSameEvents(text, report);
  assert.ok(n >= 1000 && n <= 10_000, `a modest capture: ${n} events`);
});

void test('the independent reading finds a real L2 hypercall loop in both views', () => {
  for (const [label, t] of [
    ['text', text],
    ['report', report],
  ] as const) {
    const ref = refStats(t);
    assert.equal(ref.backwards, 0, `${label}: timestamps never go back`);
    assert.deepEqual(
      [...ref.hypercalls.keys()].sort(),
      ['0x4711', '0x5', '0xb'],
      `${label}: hypercall numbers`,
    );
    assert.equal(ref.strayHypercalls, 0, `${label}: every kvm_hypercall follows a hypercall exit`);
    // Per round the L2 guest makes three hypercalls and four port writes (ports 0x10 and 0x11).
    const hc = ref.reasons.get('hypercall')?.exits ?? 0;
    const io = ref.reasons.get('io')?.exits ?? 0;
    assert.ok(hc >= 30, `${label}: ${hc} hypercall exits`);
    assert.ok(Math.abs(io - (hc * 4) / 3) <= 4, `${label}: ${io} io exits for ${hc} hypercall exits`);
    // Each hypercall number about a third of them (the window cuts at most one round on each side).
    for (const n of ref.hypercalls.values()) assert.ok(Math.abs(n - hc / 3) <= 2, `${label}: ${n} of ${hc}`);
    assert.deepEqual([...ref.vcpus.keys()], [0], `${label}: one vCPU`);
    assert.ok(ref.unpairedExits <= 1 && ref.orphanEntries <= 1, `${label}: pairs cut only at the edges`);
  }
});

void test('kernel text: both parsers equal the independent computation', () => {
  const ref = refStats(text);
  const { records, events } = bothParsers(text);
  assertMatchesReference(records, ref, 'aggregateText');
  assertMatchesReference(events, ref, 'aggregate(parseTraceText)');
  assert.deepEqual(withoutLineCounts(events), withoutLineCounts(records));
});

void test('trace-cmd report: both parsers equal the independent computation', () => {
  const ref = refStats(report);
  const { records, events } = bothParsers(report);
  assertMatchesReference(records, ref, 'aggregateText');
  assertMatchesReference(events, ref, 'aggregate(parseTraceText)');
  assert.deepEqual(withoutLineCounts(events), withoutLineCounts(records));
});

void test('kernel text and trace-cmd report give the same statistics and the same perf kvm stat table', () => {
  const { stats } = assertCaptureAgrees(text, report);
  const fromReport = bothParsers(fromFirstEntries(text, report).report).records;
  assert.equal(formatPerfKvmStat(fromReport), formatPerfKvmStat(stats));
  assert.equal(formatPerfKvmStat(fromReport, { vcpu: 0 }), formatPerfKvmStat(stats, { vcpu: 0 }));
  assert.equal(
    formatPerfKvmStat(fromReport, { sortBy: 'time' }),
    formatPerfKvmStat(stats, { sortBy: 'time' }),
  );
});

void test('the decoded hypercalls are the L2 guest’s, with its arguments, in both views', () => {
  const fromText = hypercallsOf(text);
  assert.deepEqual(hypercallsOf(report), fromText);
  assert.deepEqual([...fromText.keys()].sort(), [
    '0x4711 0x1111 0x2222 0x3333 0x4444',
    '0x5 0x0 0x0 0x0 0x0',
    '0xb 0x0 0x0 0x0 0x0',
  ]);
  const ref = refStats(text);
  for (const [k, n] of fromText) assert.equal(n, ref.hypercalls.get(k.split(' ')[0] ?? ''), k);
});

void test('the report is what trace-cmd report makes of the committed trace.dat', () => {
  const dat = path.join(DIR, `${NAME}.trace.dat`);
  const out = execFileSync('trace-cmd', ['report', '-i', dat], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(out, report);
  assert.equal(refLines(out).events.length, refLines(text).events.length);
});

/** capture.sh's output for `files`, with `mangle` applied to each file's base64 lines. */
function captureOutput(files: [string, Buffer][], mangle: (lines: string[]) => string[]): string[] {
  const out = [
    'hvdbg-capture 1',
    'HVDBG-CAP info kernel=6.1.0-56-cloud-amd64 trace-cmd=3.1.6 seconds=1 start=1.5 stop=2.5 ' +
      'extracted=3.5 entries=40/40 kallsyms=masked',
  ];
  for (const [name, data] of files) {
    const sha = createHash('sha256').update(data).digest('hex');
    out.push(`HVDBG-CAP begin ${name} bytes=${data.length} sha256=${sha}`);
    out.push(
      ...mangle(
        gzipSync(data)
          .toString('base64')
          .match(/.{1,76}/g) ?? [],
      ),
    );
    out.push(`HVDBG-CAP end ${name}`);
  }
  out.push('HVDBG-CAP done', '/ # ');
  return out;
}

void test('the capture transfer survives kvm-hypercall lines written into the base64', () => {
  const files: [string, Buffer][] = [
    ['trace.txt', Buffer.from(text.slice(0, 5000))],
    ['trace.dat', Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251))],
  ];
  const hc = 'HVDBG-HC seq=7 mode=long nr=18193 a0=0x1111 a1=0x2222 a2=0x3333 a3=0x4444 ret=-1000 rax=0x1';
  // The tty interleaves writers at write(2) boundaries: a whole line between two base64 lines, and
  // one after a partial line (base64's chunk ended mid-line), the rest of which follows on its own.
  const interleaved = captureOutput(files, (b64) => {
    const cut = b64[3] ?? '';
    b64.splice(3, 1, `${cut.slice(0, 30)}${hc}`, cut.slice(30));
    b64.splice(1, 0, hc);
    return b64;
  });
  const d = new CaptureDecoder();
  for (const line of interleaved) d.onLine(line);
  const r = d.result();
  assert.deepEqual([r.text, r.dat], [files[0]?.[1], files[1]?.[1]]);
  assert.deepEqual(
    [r.info.kernel, r.info.entries, r.info.written, r.info.extracted, r.info.kallsyms],
    ['6.1.0-56-cloud-amd64', 40, 40, 3.5, 'masked'],
  );

  // Characters lost on the way: the size and checksum notice.
  const lossy = captureOutput(files, (b64) => b64.map((l, i) => (i === 2 ? l.slice(4) : l)));
  const d2 = new CaptureDecoder();
  assert.throws(() => {
    for (const line of lossy) d2.onLine(line);
  }, /arrived damaged/);
});
