/**
 * VM exits from the lab's live trace: the L1 kernel's kvm:* events stream out of the guest (ttyS1, see
 * test/lab) and this test appends them to a growing file, which the session follows (`exitTrace`). The
 * perf-style table that `hv exits` prints is checked against an independent count of the same lines,
 * and a stop must deliver the last exits of the vCPU that stopped (the lab's trace `[cpu]` column is the
 * L1 CPU, that is the debugged vCPU).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  type ExitSnapshot,
  exitStatsRequest,
  exitStatsUpdatedEvent,
  type LastExitsBody,
  lastExitsEvent,
} from '../../adapter/protocol/customRequests';
import { bootLab, type Lab } from '../lab/lab';
import { attach, labAttachConfig, repl, request, startClient, stopAfter } from './support/session';

interface TraceLine {
  /** Seconds as printed. */
  readonly ts: string;
  readonly pid: number;
  readonly cpu: number;
  readonly event: 'exit' | 'entry';
  readonly reason: string;
  readonly rip: string;
}

/** The kvm_exit / kvm_entry lines of an ftrace text, read with a regular expression of this test's own. */
function traceLines(lines: readonly string[]): TraceLine[] {
  const out: TraceLine[] = [];
  const re =
    /-(\d+)\s+\[(\d+)\][^:]*?([\d.]+): kvm_(exit|entry): vcpu \d+,? (?:reason (.+?) )?rip (0x[0-9a-f]+)/;
  for (const line of lines) {
    const m = re.exec(line);
    if (m === null) continue;
    out.push({
      pid: Number(m[1]),
      cpu: Number(m[2]),
      ts: m[3] ?? '',
      event: m[4] === 'exit' ? 'exit' : 'entry',
      reason: m[5] ?? '',
      rip: m[6] ?? '',
    });
  }
  return out;
}

/** perf kvm stat's Samples: exits of `reason` followed by their thread's entry. */
function pairedSamples(lines: readonly TraceLine[], reason: string): number {
  const pending = new Map<number, string>();
  let samples = 0;
  for (const l of lines) {
    if (l.event === 'exit') pending.set(l.pid, l.reason);
    else if (pending.get(l.pid) !== undefined) {
      if (pending.get(l.pid) === reason) samples++;
      pending.delete(l.pid);
    }
  }
  return samples;
}

describe('VM exits of the lab guest, live', { timeout: 600_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;
  let dir: string;
  let tracePath: string;
  const written: string[] = [];
  let recording = true;
  let unsubscribe: (() => void) | undefined;
  const snapshots: { at: number; snapshot: ExitSnapshot }[] = [];

  before(async () => {
    lab = await bootLab({ kvm: true });
    await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
    dir = mkdtempSync(join(tmpdir(), 'hvdbg-exits-'));
    tracePath = join(dir, 'kvm-trace.txt');
    writeFileSync(tracePath, '');
    unsubscribe = lab.trace.onLine((line) => {
      if (!recording) return;
      appendFileSync(tracePath, `${line}\n`);
      written.push(line);
    });
    dc = await startClient();
    dc.on(exitStatsUpdatedEvent.event, (e: DebugProtocol.Event) =>
      snapshots.push({ at: Date.now(), snapshot: e.body as ExitSnapshot }),
    );
    await attach(dc, labAttachConfig(lab, { exitTrace: tracePath }));
    await dc.continueRequest({ threadId: 0 });
  });

  after(async () => {
    unsubscribe?.();
    await dc?.stop();
    await lab?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** The next statistics for which `ok` holds. */
  function snapshotWhere(ok: (s: ExitSnapshot) => boolean, ms = 60_000): Promise<ExitSnapshot> {
    const seen = snapshots.at(-1)?.snapshot;
    if (seen !== undefined && ok(seen)) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        dc.off(exitStatsUpdatedEvent.event, on);
        reject(
          new Error(
            `no such statistics within ${ms} ms; last: ${JSON.stringify(snapshots.at(-1)?.snapshot.source)}`,
          ),
        );
      }, ms);
      const on = (e: DebugProtocol.Event): void => {
        if (!ok(e.body as ExitSnapshot)) return;
        clearTimeout(timer);
        dc.off(exitStatsUpdatedEvent.event, on);
        resolve(e.body as ExitSnapshot);
      };
      dc.on(exitStatsUpdatedEvent.event, on);
    });
  }

  test("hv exits prints perf's table; its hypercall samples equal an independent count of the same lines", async (t) => {
    const hypercalls = (s: ExitSnapshot): number =>
      s.reasons.find((r) => r.name === 'hypercall')?.samples ?? 0;
    await snapshotWhere((s) => hypercalls(s) >= 50);
    // Close the window: no more lines into the file; wait until the session has read all of it.
    recording = false;
    const size = statSync(tracePath).size;
    const final = await snapshotWhere((s) => s.source.bytes === size);
    assert.equal(final.source.kind, 'follow');
    assert.equal(final.source.state, 'reading');
    assert.equal(final.isa, 'svm');

    const table = await repl(dc, 'hv exits');
    t.diagnostic(table);
    assert.match(table, /Analyze events for all VMs, all VCPUs:/);
    assert.match(table, /VM-EXIT +Samples +Samples% +Time% +Min Time +Max Time +Avg time/);
    const row =
      /^ +hypercall +(\d+) +[\d.]+% +[\d.]+% +[\d.]+us +[\d.]+us +[\d.]+us \( \+- +[\d.]+% \)$/m.exec(table);
    assert.ok(row?.[1] !== undefined, `no hypercall row in:\n${table}`);
    const lines = traceLines(written);
    const expected = pairedSamples(lines, 'hypercall');
    assert.ok(expected >= 50, `only ${expected} hypercall samples`);
    assert.equal(Number(row[1]), expected, table);
    assert.equal(
      final.reasons.find((r) => r.name === 'hypercall')?.exits,
      lines.filter((l) => l.event === 'exit' && l.reason === 'hypercall').length,
    );
    // The L2 guest's RIPs have no symbols in the L1 kernel's: said so, not an error.
    assert.match(table, /Guest RIPs with most exits:[^]*0x[0-9a-f]+ +\d+ +hypercall \d+.* no symbol/);
    // The same numbers through the custom request the views use.
    const body = (await request<DebugProtocol.Response>(dc, exitStatsRequest.command, {})).body as {
      snapshot: ExitSnapshot;
    };
    assert.equal(body.snapshot.reasons.find((r) => r.name === 'hypercall')?.samples, expected);
    assert.equal(body.snapshot.timeline.mode, 'recent');
    assert.ok(body.snapshot.timeline.series.length > 0);
  });

  test('statistics reach the client at most 4 times a second', async () => {
    // The guest runs and the file grows again: count the statistics sent over the next 10.
    recording = true;
    const mark = snapshots.length;
    await snapshotWhere(() => snapshots.length >= mark + 10);
    const times = snapshots.slice(mark).map((s) => s.at);
    const first = times[0] ?? 0;
    const last = times.at(-1) ?? 0;
    // The first of a burst goes at once: n events need at least (n - 1) × 250 ms.
    assert.ok(last - first >= (times.length - 1) * 250 - 50, `${times.length} events in ${last - first} ms`);
  });

  test('a stop delivers the last exits of the vCPU that stopped', async (t) => {
    recording = true;
    // Breakpoints are set while the guest is stopped; this pause is a stop too.
    await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] });
    const received: { body: LastExitsBody; written: number }[] = [];
    dc.on(lastExitsEvent.event, (e: DebugProtocol.Event) =>
      received.push({ body: e.body as LastExitsBody, written: written.length }),
    );
    // The vCPU that stops here runs the L2 guest's KVM thread: its trace CPU has exits.
    const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
    const threadId = stop.body.threadId;
    const event = await new Promise<{ body: LastExitsBody; written: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no hvdbg/lastExits after the stop')), 30_000);
      const check = (): void => {
        const found = received.find((r) => r.body.threadId === threadId);
        if (found === undefined) return;
        clearTimeout(timer);
        dc.off(lastExitsEvent.event, check);
        resolve(found);
      };
      dc.on(lastExitsEvent.event, check);
      check();
    });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const body = event.body;
    const threads = (await dc.threadsRequest()).body.threads;
    const name = threads.find((t) => t.id === threadId)?.name ?? '';
    const vcpu = Number(/vCPU (\d+)/.exec(name)?.[1]);
    assert.equal(body.vcpuIndex, vcpu);
    assert.equal(body.matchedBy, 'cpu');
    assert.ok(body.exits.length > 0, 'no exits for the stopped vCPU');
    assert.ok(body.exits.every((e) => e.cpu === vcpu));
    // They are the last kvm_exit lines of that CPU that had arrived, in order.
    const ofCpu = traceLines(written.slice(0, event.written)).filter(
      (l) => l.event === 'exit' && l.cpu === vcpu,
    );
    assert.deepEqual(
      body.exits.map((e) => [(e.tsNs / 1e9).toFixed(6), e.reason, e.rip]),
      ofCpu.slice(-body.exits.length).map((l) => [Number(l.ts).toFixed(6), l.reason, l.rip]),
    );
    assert.ok(body.exits.some((e) => e.reason === 'hypercall'));
    const text = await repl(dc, 'hv exits last 4');
    t.diagnostic(text);
    assert.match(text, new RegExp(`^Last 4 exits of vCPU ${vcpu} \\(trace CPU ${vcpu}\\) from `));
  });

  test("a RIP in the hypervisor's code resolves to its function and source line through gdb", async (t) => {
    const info = await repl(dc, 'info address kvm_emulate_hypercall');
    const address = /is a function at address (0x[0-9a-f]+)/.exec(info)?.[1];
    assert.ok(address !== undefined, info);
    const rip = `0x${(BigInt(address) + 0x10n).toString(16)}`;
    // A thread of its own, a reason the lab's L2 guest never causes.
    const line = (ts: string, event: string): string => `  fake-vmm-4242    [000] d..1.   ${ts}: ${event}`;
    appendFileSync(
      tracePath,
      `${line('99999.000001', `kvm_exit: vcpu 3 reason cpuid rip ${rip} info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000`)}\n` +
        `${line('99999.000003', `kvm_entry: vcpu 3, rip ${rip}`)}\n`,
    );
    const snapshot = await snapshotWhere(
      (s) => s.reasons.find((r) => r.name === 'cpuid')?.topRips[0]?.symbol !== undefined,
    );
    const top = snapshot.reasons.find((r) => r.name === 'cpuid')?.topRips[0];
    t.diagnostic(JSON.stringify(top));
    assert.equal(top?.rip, rip);
    assert.equal(top.symbol?.function, 'kvm_emulate_hypercall');
    assert.equal(top.symbol.offset, 16);
    assert.equal(top.symbol.module, 'kvm.ko');
    assert.equal(top.symbol.file, 'arch/x86/kvm/x86.c');
    assert.ok((top.symbol.line ?? 0) > 0);
    assert.equal(top.symbol.path, join(lab.manifest.sourceRoot, 'arch/x86/kvm/x86.c'));
  });
});
