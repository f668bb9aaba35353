/**
 * Resource bounds of a long session on the lab: 10,000 instruction steps, then 1,000 stops with the views
 * refreshed as VS Code refreshes them after each stop (threads, stackTrace of 1 then 20 frames, scopes,
 * the Registers and Locals variables). The adapter's memory must stay flat between a warm-up and the end
 * (garbage collected before each measure, through `hvdbg/diagnostics`), and no listener, timer, socket
 * or child process may be left behind. The figures (steps/s, stops/s, heap, RSS, gdb's RSS, resources)
 * are printed as test diagnostics.
 *
 * The guest runs `dd if=/dev/zero of=/dev/null` on its one vCPU: the vCPU never idles, so single steps
 * never meet a `hlt` (QEMU masks interrupts while stepping: a halted vCPU would not wake), they go through
 * the kernel's read and write paths and dd's loop in user space, and the breakpoint in `read_zero` is hit
 * again and again with real frames and locals. (Not the nested KVM loop: a single step through VMRUN
 * lands in the L2 guest, where gdb cannot read the stack.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DiagnosticsBody } from '../../adapter/debugger/diagnostics';
import { bootLab, type Lab } from '../lab/lab';
import { attach, labAttachConfig, request, startClient, stopAfter } from './support/session';

const STEPS = Number(process.env['HVDBG_LONG_STEPS'] ?? 10_000);
const STOPS = Number(process.env['HVDBG_LONG_STOPS'] ?? 1_000);
const WARM_UP_STEPS = 500;
const WARM_UP_STOPS = 100;
/** Heap still referenced at the end may exceed the warm-up's by this much (bytes)... */
const HEAP_GROWTH_BYTES = 4 * 2 ** 20;
/** ...and the process's resident set by this much (V8 keeps freed pages; bytes). */
const RSS_GROWTH_BYTES = 40 * 2 ** 20;
/** gdb's own resident set (its variable objects, frame caches) by this much (bytes). */
const GDB_RSS_GROWTH_BYTES = 64 * 2 ** 20;
const BREAKPOINT = 'read_zero';

const MiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** A process's resident set from /proc (bytes), or undefined when it is gone. */
function residentSet(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

describe('a long session', { timeout: 900_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;

  before(async () => {
    lab = await bootLab({ kvm: false, cpus: 1, la57: false });
    // The shell is at its prompt once the lab is ready; dd reads /dev/zero from then on.
    lab.console.write('dd if=/dev/zero of=/dev/null bs=512 &\n');
    dc = await startClient(30_000);
    await attach(dc, labAttachConfig(lab));
  });

  after(async () => {
    await dc?.stop().catch(() => undefined);
    await lab?.stop();
  });

  const diagnostics = async (): Promise<DiagnosticsBody> =>
    (await request<DebugProtocol.Response>(dc, 'hvdbg/diagnostics', { gc: true })).body as DiagnosticsBody;

  /** `count` instruction steps of `threadId`, each awaiting its stop; returns the milliseconds taken. */
  async function steps(threadId: number, count: number): Promise<number> {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const stop = await stopAfter(dc, () => dc.stepInRequest({ threadId, granularity: 'instruction' }));
      assert.equal(stop.body.reason, 'step', `step ${i}: ${JSON.stringify(stop.body)}`);
    }
    return performance.now() - started;
  }

  /** What VS Code asks after a stop: threads, the top frame, 20 frames, scopes, Registers and Locals. */
  async function refreshViews(threadId: number): Promise<void> {
    const threads = (await dc.threadsRequest()).body.threads;
    assert.ok(
      threads.some((t) => t.id === threadId),
      `thread ${threadId} is not listed`,
    );
    const top = (await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 1 })).body.stackFrames;
    assert.equal(top.length, 1);
    const frames = (await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 20 })).body.stackFrames;
    const frame = frames[0];
    assert.ok(frame !== undefined, 'no frames');
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
    for (const name of ['Registers', 'Locals']) {
      const scope = scopes.find((s) => s.name === name);
      assert.ok(scope !== undefined, `no ${name} scope: ${scopes.map((s) => s.name).join(', ')}`);
      const vars = (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body
        .variables;
      assert.ok(vars.length > 0, `${name} is empty`);
    }
  }

  /** `count` hits of the breakpoint, each followed by the views' refresh; returns the milliseconds taken. */
  async function stops(count: number): Promise<number> {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
      assert.equal(stop.body.reason, 'function breakpoint', `stop ${i}: ${JSON.stringify(stop.body)}`);
      await refreshViews(stop.body.threadId ?? 1);
    }
    return performance.now() - started;
  }

  /**
   * The diagnostics at the end, once what is still settling has settled: a resource or listener that is
   * only transient (a timer about to fire) is gone within a few seconds; a leaked one is not.
   */
  async function settledDiagnostics(baseline: DiagnosticsBody): Promise<DiagnosticsBody> {
    let last = await diagnostics();
    for (let i = 0; i < 30 && !withinBaseline(baseline, last); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await diagnostics();
    }
    return last;
  }

  function withinBaseline(baseline: DiagnosticsBody, now: DiagnosticsBody): boolean {
    const resources = Object.entries(now.resources).every(([k, n]) => n <= (baseline.resources[k] ?? 0));
    return resources && JSON.stringify(now.listeners) === JSON.stringify(baseline.listeners);
  }

  test(`${STEPS} instruction steps and ${STOPS} stops with the views refreshed: memory flat, nothing left behind`, async (t) => {
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: BREAKPOINT }] });
    const first = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
    const threadId = first.body.threadId ?? 1;

    // Warm-up: what is loaded once (symbol caches, the hypercall catalogue, JIT) is loaded here.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await steps(threadId, WARM_UP_STEPS);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: BREAKPOINT }] });
    await stops(WARM_UP_STOPS);
    const baseline = await diagnostics();
    assert.equal(baseline.collected, true, 'hvdbg/diagnostics could not collect garbage');
    const gdbBefore = residentSet(baseline.gdbPid);

    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const stepMs = await steps(threadId, STEPS);
    const afterSteps = await diagnostics();
    const gdbAfterSteps = residentSet(afterSteps.gdbPid);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: BREAKPOINT }] });
    const stopMs = await stops(STOPS);
    const end = await settledDiagnostics(baseline);
    const gdbAfter = residentSet(end.gdbPid);

    t.diagnostic(
      `${STEPS} instruction steps in ${(stepMs / 1000).toFixed(1)} s: ${((STEPS * 1000) / stepMs).toFixed(0)} steps/s ` +
        `(${(stepMs / STEPS).toFixed(2)} ms each, the stop event awaited)`,
    );
    t.diagnostic(
      `${STOPS} stops + views in ${(stopMs / 1000).toFixed(1)} s: ${(stopMs / STOPS).toFixed(1)} ms each ` +
        '(continue to the breakpoint, threads, stackTrace 1 and 20, scopes, Registers, Locals)',
    );
    const row = (name: string, d: DiagnosticsBody): string =>
      `${name}: heapUsed ${MiB(d.memory.heapUsed)}, heapTotal ${MiB(d.memory.heapTotal)}, rss ${MiB(d.memory.rss)}, ` +
      `external ${MiB(d.memory.external)}, arrayBuffers ${MiB(d.memory.arrayBuffers)}`;
    t.diagnostic(row('after warm-up', baseline));
    t.diagnostic(row(`after ${STEPS} steps`, afterSteps));
    t.diagnostic(row('at the end', end));
    const rss = (bytes: number | undefined): string => (bytes === undefined ? '?' : MiB(bytes));
    t.diagnostic(
      `gdb rss: ${rss(gdbBefore)} after the warm-up, ${rss(gdbAfterSteps)} after the steps, ${rss(gdbAfter)} at the end`,
    );
    t.diagnostic(`resources: ${JSON.stringify(baseline.resources)} -> ${JSON.stringify(end.resources)}`);
    t.diagnostic(`listeners: ${JSON.stringify(end.listeners)}`);

    const heapGrowth = end.memory.heapUsed - baseline.memory.heapUsed;
    assert.ok(
      heapGrowth < HEAP_GROWTH_BYTES,
      `the heap grew by ${MiB(heapGrowth)} (${MiB(baseline.memory.heapUsed)} -> ${MiB(end.memory.heapUsed)})`,
    );
    const rssGrowth = end.memory.rss - baseline.memory.rss;
    assert.ok(rssGrowth < RSS_GROWTH_BYTES, `the adapter's RSS grew by ${MiB(rssGrowth)}`);
    if (gdbBefore !== undefined && gdbAfter !== undefined)
      assert.ok(
        gdbAfter - gdbBefore < GDB_RSS_GROWTH_BYTES,
        `gdb's RSS grew by ${MiB(gdbAfter - gdbBefore)}`,
      );
    assert.deepEqual(end.listeners, baseline.listeners, 'listeners on the session emitters changed');
    for (const [type, count] of Object.entries(end.resources)) {
      assert.ok(
        count <= (baseline.resources[type] ?? 0),
        `${count} active ${type} at the end, ${baseline.resources[type] ?? 0} after the warm-up`,
      );
    }
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  });
});
