import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { exitsCommand } from '../../../adapter/exits/command';
import { ExitsError } from '../../../adapter/exits/errors';
import { blameOf, userMessage } from '../../../adapter/dap/errors';
import { registerExitRequests } from '../../../adapter/exits/requests';
import { RequestTable } from '../../../adapter/session/requestTable';
import { ExitTraceService } from '../../../adapter/exits/service';
import { noSymbols, type SymbolResolver } from '../../../adapter/exits/symbols';
import type { ExitSnapshot, LastExitsBody } from '../../../adapter/protocol/customRequests';
import { FIXTURES } from '../vmexits/fixtures';
import { entryLine, exitLine, pairs, tempDir } from './support';

const next = <T>(
  service: ExitTraceService,
  event: 'snapshot' | 'lastExits',
  ok: (x: T) => boolean,
  ms = 5000,
): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    const on = (x: T): void => {
      if (!ok(x)) return;
      clearTimeout(timer);
      service.off(event, on as never);
      resolve(x);
    };
    service.on(event, on as never);
  });

const symbols: SymbolResolver = (() => {
  const cache = new Map<bigint, { function?: string; none?: string }>();
  return {
    cached: (rip) => cache.get(rip),
    resolve: (rip) => {
      const answer = rip === 0x801bn ? { none: 'no symbol' } : { function: 'handler', offset: 4 };
      cache.set(rip, answer);
      return Promise.resolve(answer);
    },
  };
})();

test('a live trace: snapshots are throttled whatever the write rate, and carry resolved RIPs', async (t) => {
  const path = join(tempDir(t), 'live.txt');
  writeFileSync(path, '');
  const service = new ExitTraceService({ symbols, intervalMs: 100 });
  t.after(() => service.dispose());
  const snapshots: ExitSnapshot[] = [];
  service.on('snapshot', (s) => snapshots.push(s));
  await service.startLive({ source: path });
  const started = Date.now();
  // 200 appends as fast as the loop allows (each wakes the follower).
  for (let i = 0; i < 200; i++) {
    appendFileSync(path, pairs(10, 1 + i * 0.01, { rip: i % 2 === 0 ? '0x801b' : '0xffffffff81000000' }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const last = await next<ExitSnapshot>(
    service,
    'snapshot',
    (s) => s.exits === 2000 && s.reasons[0]?.topRips.every((r) => r.symbol !== undefined) === true,
  );
  const seconds = (Date.now() - started) / 1000;
  assert.ok(snapshots.length <= seconds * 10 + 2, `${snapshots.length} snapshots in ${seconds} s`);
  assert.equal(last.source.id, 'live');
  assert.equal(last.source.kind, 'follow');
  assert.equal(last.reasons[0]?.name, 'hypercall');
  assert.equal(last.reasons[0]?.samples, 2000);
  assert.deepEqual(
    last.reasons[0]?.topRips.map((r) => [r.rip, r.exits, r.symbol]),
    [
      ['0x801b', 1000, { none: 'no symbol' }],
      ['0xffffffff81000000', 1000, { function: 'handler', offset: 4 }],
    ],
  );
  assert.equal(last.timeline.mode, 'recent');
  assert.ok(snapshots.every((s, i) => i === 0 || s.seq > (snapshots[i - 1]?.seq ?? 0)));
});

test('a stop sends the last exits of the stopped vCPU (by the trace CPU column by default)', async (t) => {
  const path = join(tempDir(t), 'live.txt');
  writeFileSync(path, '');
  const service = new ExitTraceService({ symbols: noSymbols, settleMs: 10 });
  t.after(() => service.dispose());
  await service.startLive({ source: path });
  const read = next<ExitSnapshot>(service, 'snapshot', (s) => s.exits === 3);
  appendFileSync(
    path,
    exitLine({ cpu: 1, ts: 1, reason: 'io' }) +
      entryLine({ cpu: 1, ts: 1.00001 }) +
      exitLine({ cpu: 0, ts: 2, reason: 'hlt', pid: 9 }) +
      exitLine({ cpu: 1, ts: 3, reason: 'hypercall' }),
  );
  await read;
  const body = next<LastExitsBody>(service, 'lastExits', () => true);
  service.stopped(1, 2);
  const b = await body;
  assert.equal(b.threadId, 2);
  assert.equal(b.vcpuIndex, 1);
  assert.equal(b.matchedBy, 'cpu');
  assert.deepEqual(
    b.exits.map((e) => [e.reason, e.cpu, e.durationNs]),
    [
      ['io', 1, 10_000],
      ['hypercall', 1, undefined],
    ],
  );
  assert.equal(b.exits[1]?.info1, '0x0');
  // A resume before the trace settles cancels the report.
  let sent = false;
  service.on('lastExits', () => (sent = true));
  service.stopped(1, 2);
  service.resumed();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sent, false);
});

test('hv exits: the perf table of a file, of one vCPU, of the live trace; last exits', async (t) => {
  const service = new ExitTraceService({ symbols: noSymbols });
  t.after(() => service.dispose());
  const cmd = exitsCommand(service, () => Promise.resolve({ threadId: 2, vcpuIndex: 0 }));
  const file = join(FIXTURES, 'ftrace-6.1-svm.txt');
  const all = await cmd.run([file], undefined);
  assert.match(all, /Analyze events for all VMs, all VCPUs:/);
  assert.match(all, /^ +hypercall +1 +7\.14%/m);
  assert.match(all, /Total Samples:14,/);
  assert.match(
    all,
    /Guest RIPs with most exits:\n\n +RIP +Exits +Reasons +Where\n0xffffffff81a3f1ce +3  hlt 3 +no debug session/,
  );
  const one = await cmd.run([file, '--vcpu', '1'], undefined);
  assert.match(one, /Analyze events for all VMs, VCPU 1:/);
  assert.match(one, /Total Samples:6,/);
  await assert.rejects(
    cmd.run([file, '--vcpu', '7'], undefined),
    /no exits of vCPU 7 \(vCPUs in the trace: 0, 1\)/,
  );
  await assert.rejects(cmd.run([], undefined), /set "exitTrace"/);
  await assert.rejects(cmd.run(['last'], undefined), /no KVM trace is followed/);
  await assert.rejects(cmd.run([join(FIXTURES, 'none.txt')], undefined), /no such file/);

  const live = join(tempDir(t), 'live.txt');
  writeFileSync(live, pairs(4, 1, { cpu: 0 }));
  await service.startLive({ source: live });
  await next<ExitSnapshot>(service, 'snapshot', (s) => s.samples === 4);
  assert.match(await cmd.run([], undefined), /live, so far.*4 exits, 4 paired/);
  const last = await cmd.run(['last', '2'], undefined);
  assert.match(last, /^Last 2 exits of vCPU 0 \(trace CPU 0\) from .*live\.txt, oldest first:/);
  assert.match(last, /hypercall +0x801b +2\.00us/);
});

test('the custom requests through the one request table: exitStats, openTrace, lastExits, bad arguments', async (t) => {
  const service = new ExitTraceService({ symbols: noSymbols });
  t.after(() => service.dispose());
  const table = new RequestTable();
  registerExitRequests({ handle: (request, handler) => table.add(request, handler) }, service, () =>
    Promise.resolve({ threadId: 1, vcpuIndex: 0 }),
  );
  assert.deepEqual(await table.run('hvdbg/exitStats', {}), {});
  const opened = (await table.run('hvdbg/openTrace', { path: join(FIXTURES, 'ftrace-6.1-svm.txt') })) as {
    source: string;
  };
  assert.match(opened.source, /^trace-\d+$/);
  await next<ExitSnapshot>(service, 'snapshot', (s) => s.source.state === 'ended');
  const stats = (await table.run('hvdbg/exitStats', undefined)) as { snapshot: ExitSnapshot };
  assert.equal(stats.snapshot.samples, 14);
  assert.equal(stats.snapshot.timeline.mode, 'whole');
  const last = (await table.run('hvdbg/lastExits', { count: 2 })) as LastExitsBody;
  assert.equal(last.exits.length, 2);
  // Arguments are checked once, from the declaration's schema: the client's mistake, named.
  await assert.rejects(table.run('hvdbg/openTrace', {}), (e: Error) => {
    assert.equal(e.name, 'UserInputError');
    assert.equal(e.message, 'hvdbg/openTrace: "path" is required');
    return true;
  });
  await assert.rejects(table.run('hvdbg/openTrace', { path: 3 }), /hvdbg\/openTrace: "path" must be string/);
  await assert.rejects(table.run('hvdbg/lastExits', { threadId: 1.5 }), /"threadId" must be integer/);
  await assert.rejects(table.run('hvdbg/lastExits', 'x'), /the arguments must be object/);
  await assert.rejects(table.run('hvdbg/nothing', {}), /unknown request 'hvdbg\/nothing'/);
});

test("the user's mistakes are shown as they are, not as internal errors", async (t) => {
  const service = new ExitTraceService({ symbols: noSymbols });
  t.after(() => service.dispose());
  const cmd = exitsCommand(service, () => Promise.resolve({ threadId: 1, vcpuIndex: 0 }));
  for (const args of [[], ['last'], ['x', 'y'], [join(FIXTURES, 'ftrace-6.1-svm.txt'), '--vcpu', '9']]) {
    const error = await cmd.run(args, undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ExitsError, String(error));
    assert.notEqual(blameOf(error), 'internal');
    assert.equal(userMessage(error), error.message);
  }
});
