// Assertions shared by test/unit/vmexits/captures.test.ts (committed captures) and
// test/integration/traces.test.ts (a live capture): the two views of one capture hold the same events,
// and adapter/vmexits' statistics of each equal the independent reference (traceReference.ts).
import assert from 'node:assert/strict';
import { aggregate, aggregateText, parseTraceText } from '../../adapter/vmexits';
import type { KvmStats, ReasonStats } from '../../adapter/vmexits';
import { SVM_REASONS, refLines, refStats, type RefRow, type RefStats } from './traceReference';

/**
 * The kernel's text and the report hold the same events, line for line: same thread, CPU, timestamp
 * and event; for kvm_exit the same RIP and the same reason (the plugin's name mapped to the kernel's).
 * Also: the text's header says no event was overwritten, and nothing but trace-cmd's `cpus=N` header
 * is left unrecognised. Returns the number of events.
 */
export function assertSameEvents(text: string, report: string): number {
  const t = refLines(text);
  const r = refLines(report);
  const header = /^# entries-in-buffer\/entries-written: (\d+)\/(\d+)/m.exec(text);
  assert.ok(header, 'the text has the ftrace header');
  assert.equal(header[1], header[2], 'no event was overwritten in the ring buffer');
  assert.equal(t.events.length, Number(header[1]), 'every buffered event is a line of the text');
  assert.deepEqual(t.other, [], 'the text holds only comments and events');
  assert.deepEqual(
    r.other.filter((l) => !/^cpus=\d+$/.test(l)),
    [],
    'the report holds only its cpus= header and events',
  );
  assert.equal(r.events.length, t.events.length, 'as many events in the report as in the text');
  for (let i = 0; i < t.events.length; i++) {
    const a = t.events[i];
    const b = r.events[i];
    assert.ok(a && b);
    const where = `event ${i + 1} (text line ${a.line}, report line ${b.line})`;
    assert.deepEqual([b.comm, b.pid, b.cpu, b.ns, b.event], [a.comm, a.pid, a.cpu, a.ns, a.event], where);
    if (a.event === 'kvm_exit') {
      const ta = /reason (.*?) rip (0x[0-9a-f]+)/.exec(a.body);
      const rb = /reason (.*?) rip (0x[0-9a-f]+)/.exec(b.body);
      assert.ok(ta && rb, where);
      assert.equal(rb[2], ta[2], `${where}: rip`);
      const plugin = rb[1] ?? '';
      assert.equal(SVM_REASONS[plugin]?.kernel ?? plugin, ta[1], `${where}: reason ${plugin}`);
    }
  }
  return t.events.length;
}

/** A parser's rows in the reference's shape. */
export function rowsOf(reasons: readonly ReasonStats[]): Map<string, RefRow> {
  return new Map(
    reasons.map((r) => [
      r.name,
      {
        samples: r.samples,
        exits: r.exits,
        totalNs: r.totalNs,
        minNs: r.minNs,
        maxNs: r.maxNs,
        meanNs: r.meanNs,
      },
    ]),
  );
}

/** `stats` (from adapter/vmexits) equals the reference, per reason, per vCPU, and in its counts. */
export function assertMatchesReference(stats: KvmStats, ref: RefStats, label: string): void {
  assert.equal(
    stats.diagnostics.unparsed,
    0,
    `${label}: unparsed lines ${JSON.stringify(stats.diagnostics.unparsedSamples)}`,
  );
  assert.equal(stats.diagnostics.lostMarkers, 0, `${label}: lost-event markers`);
  assert.equal(stats.isa, 'svm', `${label}: isa`);
  assert.deepEqual(rowsOf(stats.reasons), ref.reasons, `${label}: per reason`);
  assert.deepEqual(
    new Map(stats.vcpus.map((v) => [v.vcpu, rowsOf(v.reasons)])),
    ref.vcpus,
    `${label}: per vCPU`,
  );
  assert.equal(stats.exits, ref.exits, `${label}: exits`);
  assert.equal(
    stats.samples,
    [...ref.reasons.values()].reduce((n, r) => n + r.samples, 0),
    `${label}: samples`,
  );
  assert.equal(stats.diagnostics.unpairedExits, ref.unpairedExits, `${label}: unpaired exits`);
  assert.equal(stats.diagnostics.orphanEntries, ref.orphanEntries, `${label}: orphan entries`);
  assert.equal(stats.diagnostics.outOfOrder, ref.backwards, `${label}: out-of-order lines`);
  assert.deepEqual(stats.diagnostics.eventCounts, ref.eventCounts, `${label}: other events by kind`);
  for (const r of stats.reasons) {
    const svm = Object.values(SVM_REASONS).find((x) => x.kernel === r.name);
    assert.ok(svm, `${label}: ${r.name} is an SVM reason the lab is expected to produce`);
    assert.equal(r.isa, 'svm', `${label}: ${r.name} isa`);
    assert.equal(r.code, svm.code, `${label}: ${r.name} exit code`);
  }
}

/** Statistics without the line counts that differ between the views (comments, trace-cmd's header). */
export function withoutLineCounts(s: KvmStats): KvmStats {
  const d = s.diagnostics;
  return { ...s, diagnostics: { ...d, lines: d.lines - d.skipped, skipped: 0 } };
}

/** Both parsers (the record scanner behind aggregateText, the event objects of parseTraceText). */
export function bothParsers(text: string): { records: KvmStats; events: KvmStats } {
  return { records: aggregateText(text), events: aggregate(parseTraceText(text)) };
}

/** The hypercall numbers and arguments the parser decoded, as `nr a0 a1 a2 a3` strings with counts. */
export function hypercallsOf(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const ev of parseTraceText(text)) {
    if (ev.kind !== 'hypercall') continue;
    const k = [ev.nr, ev.a0, ev.a1, ev.a2, ev.a3].map((v) => `0x${v.toString(16)}`).join(' ');
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** One line per reason, for logs: `hypercall 153 samples (153 exits) min 31 us max 1840 us mean 84.9 us`. */
export function describe(stats: KvmStats): string[] {
  const us = (ns: number): string => `${(ns / 1000).toFixed(1)} us`;
  return stats.reasons.map(
    (r) =>
      `${r.name} ${r.samples} samples (${r.exits} exits) min ${us(r.minNs)} max ${us(r.maxNs)} mean ${us(r.meanNs)}`,
  );
}

/**
 * trace-cmd's kvm plugin prints `kvm_exit` without the vCPU: readers take it from the thread's last
 * `kvm_entry`, so an exit before its thread's first entry in the window has no vCPU in the report while
 * the text names it. Both views are cut at the point where every thread has shown an entry (the same
 * events on both sides: they are one window), so that their per-vCPU statistics can be compared.
 */
export function fromFirstEntries(text: string, report: string): { text: string; report: string } {
  const first = new Map<number, number>();
  for (const e of refLines(report).events) {
    if (e.event === 'kvm_entry' && !first.has(e.pid)) first.set(e.pid, e.ns);
  }
  if (first.size === 0) return { text, report };
  const cut = Math.max(...first.values());
  const keep = (view: string): string =>
    view
      .split('\n')
      .filter((line) => {
        const event = refLines(line).events[0];
        return event === undefined || event.ns >= cut;
      })
      .join('\n');
  return { text: keep(text), report: keep(report) };
}

/**
 * Everything at once, for a capture's two views: same events; through both parsers the same
 * statistics, equal to the reference. Returns the text's statistics and the reference (both from the
 * point where every thread has shown a `kvm_entry`, see {@link fromFirstEntries}).
 */
export function assertCaptureAgrees(
  fullText: string,
  fullReport: string,
): { stats: KvmStats; ref: RefStats } {
  assertSameEvents(fullText, fullReport);
  const { text, report } = fromFirstEntries(fullText, fullReport);
  const refText = refStats(text);
  const refReport = refStats(report);
  assert.equal(refText.backwards, 0, 'the text is in timestamp order');
  assert.deepEqual(refReport, refText, 'the reference computes the same from both views');
  const t = bothParsers(text);
  const r = bothParsers(report);
  assertMatchesReference(t.records, refText, 'text, records');
  assertMatchesReference(t.events, refText, 'text, events');
  assertMatchesReference(r.records, refReport, 'report, records');
  assertMatchesReference(r.events, refReport, 'report, events');
  assert.deepEqual(withoutLineCounts(t.events), withoutLineCounts(t.records), 'text: both parsers');
  assert.deepEqual(withoutLineCounts(r.events), withoutLineCounts(r.records), 'report: both parsers');
  assert.deepEqual(withoutLineCounts(r.records), withoutLineCounts(t.records), 'text and report');
  return { stats: t.records, ref: refText };
}
