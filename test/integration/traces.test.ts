// adapter/vmexits against the live lab: the kvm trace stream on ttyS1, and one window captured both as
// the kernel's own text and with trace-cmd (test/lab/captureTraces.ts, the procedure that made the
// committed captures in test/fixtures/traces/captures), compared with the independent reading in
// test/lab/traceReference.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateText, parseTraceText, type TraceEvent } from '../../adapter/vmexits';
import { assertCaptureAgrees, assertMatchesReference, describe } from '../lab/captureCheck';
import { captureTraces } from '../lab/captureTraces';
import { bootLab, prepareLab, type Lab } from '../lab/lab';
import { refLines, refStats } from '../lab/traceReference';

const TIMEOUT = 300_000; // TCG on a busy 2-core machine; idle: boot ~4 s, capture ~10 s
const STREAM_LINES = 400;

let lab: Lab | undefined;
let bootMs = 0;

before(async () => {
  const manifest = await prepareLab();
  const t0 = Date.now();
  lab = await bootLab({ kvm: true, manifest, readyTimeoutMs: TIMEOUT / 2 });
  bootMs = Date.now() - t0;
});

after(async () => {
  await lab?.stop();
});

function theLab(): Lab {
  assert.ok(lab, 'the lab booted');
  return lab;
}

/** Resolves once `stream` has at least `n` lines. */
async function lines(l: Lab, n: number, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (l.trace.lines.length < n) {
    if (Date.now() > deadline) throw new Error(`only ${l.trace.lines.length} trace lines in ${timeoutMs} ms`);
    await l.trace.waitForNext(/./, Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
  return l.trace.lines.slice(0, n);
}

/** An event without its timestamp (which differs between ring buffers). */
function keyOf(e: { pid: number; cpu: number; event: string; body: string }): string {
  return `${e.pid} [${e.cpu}] ${e.event}: ${e.body}`;
}

/**
 * Waits until the ttyS1 stream holds `keys` (events as `keyOf` writes them) as a contiguous run, and
 * returns the index of its first event among the stream's events; fails with the first difference.
 */
async function streamHolds(l: Lab, keys: string[], timeoutMs: number): Promise<number> {
  const head = keys.slice(0, 20);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stream = refLines(`${l.trace.lines.join('\n')}\n`).events.map(keyOf);
    const at = stream.findIndex((_, i) => head.every((k, j) => stream[i + j] === k));
    if (at >= 0 && stream.length >= at + keys.length) {
      assert.deepEqual(stream.slice(at, at + keys.length), keys, 'the stream has the capture’s events');
      return at;
    }
    if (Date.now() > deadline) {
      throw new Error(
        at < 0
          ? `the capture's first events are not in the stream (${stream.length} events)`
          : `the stream stops ${at + keys.length - stream.length} events short of the capture's end`,
      );
    }
    // Re-check when more of the stream has arrived.
    await l.trace.waitForNext(/./, Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
}

void test(
  'live: the ttyS1 stream parses with no unparsed line and carries the L2 guest’s hypercall exits',
  { timeout: TIMEOUT },
  async () => {
    const l = theLab();
    const t0 = Date.now();
    const text = `${(await lines(l, STREAM_LINES, 120_000)).join('\n')}\n`;
    const stats = aggregateText(text);
    assert.equal(stats.diagnostics.unparsed, 0, JSON.stringify(stats.diagnostics.unparsedSamples));
    assert.equal(stats.diagnostics.lines, STREAM_LINES);

    // Every kvm_hypercall comes right after its thread's kvm_exit with reason hypercall (SVM 0x81).
    const lastExit = new Map<number, TraceEvent & { kind: 'exit' }>();
    const nrs = new Map<string, number>();
    for (const ev of parseTraceText(text)) {
      if (ev.kind === 'exit') lastExit.set(ev.pid, ev);
      if (ev.kind !== 'hypercall') continue;
      const exit = lastExit.get(ev.pid);
      assert.ok(exit, `line ${ev.lineNo}: a hypercall without an exit before it`);
      assert.deepEqual([exit.reason, exit.isa, exit.code], ['hypercall', 'svm', 0x81], `line ${ev.lineNo}`);
      const key = [ev.nr, ev.a0, ev.a1, ev.a2, ev.a3].map((v) => `0x${v.toString(16)}`).join(' ');
      nrs.set(key, (nrs.get(key) ?? 0) + 1);
    }
    assert.deepEqual([...nrs.keys()].sort(), [
      '0x4711 0x1111 0x2222 0x3333 0x4444',
      '0x5 0x0 0x0 0x0 0x0',
      '0xb 0x0 0x0 0x0 0x0',
    ]);

    // The same numbers from the independent reading; when trace_pipe kept every line in time order,
    // the whole statistics too (interleaved per-CPU lines are paired by time by the parser only).
    const ref = refStats(text);
    assert.deepEqual([...ref.hypercalls.keys()].sort(), ['0x4711', '0x5', '0xb']);
    assert.equal(ref.strayHypercalls, 0);
    if (ref.backwards === 0) assertMatchesReference(stats, ref, 'ttyS1 stream');
    console.log(
      `# ttyS1: ${STREAM_LINES} lines after ${bootMs} + ${Date.now() - t0} ms, ${stats.exits} exits, ` +
        `${stats.diagnostics.lostMarkers} lost-event markers, ${ref.backwards} lines back in time; ` +
        `hypercalls ${[...nrs.values()].join('/')}`,
    );
  },
);

void test(
  'live: one window as the kernel’s text and through trace-cmd gives the same statistics through both parsers, equal to the independent computation',
  { timeout: TIMEOUT },
  async () => {
    const l = theLab();
    await l.console.waitFor(/HVDBG-HC seq=\d+ mode=long nr=18193 /, 60_000);
    const cap = await captureTraces(l, { seconds: 1 });
    assert.equal(cap.info.kernel, l.manifest.kernelVersion);
    assert.equal(cap.info.traceCmd, cap.hostTraceCmd, 'the same Debian trace-cmd inside and outside');
    assert.equal(cap.info.entries, cap.info.written, 'nothing overwritten');
    assert.ok(cap.info.entries >= 100, `${cap.info.entries} events in the window`);

    const { stats, ref } = assertCaptureAgrees(cap.text, cap.report);
    assert.deepEqual([...ref.hypercalls.keys()].sort(), ['0x4711', '0x5', '0xb']);
    assert.ok(ref.reasons.has('hypercall') && ref.reasons.has('io'), [...ref.reasons.keys()].join(' '));

    // The ttyS1 stream reads its own instance: it carries the window's events too, all of them, in the
    // same order, with the same bodies. (Not the same timestamps: each ring buffer stamps its events
    // itself, and under TCG the lab's TSC-based clock steps back now and then, which each buffer
    // absorbs in its own way; the same event's stamps differed by up to 26 ms.)
    const captured = refLines(cap.text).events.map(keyOf);
    const at = await streamHolds(l, captured, 60_000);
    console.log(`# the stream holds the capture's ${captured.length} events from its line ${at + 1} on`);

    console.log(
      `# capture: ${cap.info.entries} events, uptime ${cap.info.start}..${cap.info.stop} s, ` +
        `cat trace + extract ${(cap.info.extracted - cap.info.stop).toFixed(2)} s (guest uptime), ` +
        `transfer ${cap.timings.transferMs} ms, all in the guest ${cap.timings.guestMs} ms, ` +
        `report ${cap.timings.reportMs} ms, kallsyms ${cap.info.kallsyms}`,
    );
    for (const line of describe(stats)) console.log(`#   ${line}`);
  },
);
