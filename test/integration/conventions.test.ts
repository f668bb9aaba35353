/**
 * VS Code's debugger conventions on the lab guest: every capability hvdbg advertises is a request that
 * works; stack paging reports the real depth; C strings read as gdb prints them. Oracles: gdb's own
 * `bt` and `output`, through the Debug Console of the same session.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../lab/lab';
import {
  attach,
  capabilitiesOf,
  labAttachConfig,
  repl,
  request,
  startClient,
  topFrame,
} from './support/session';

type Capabilities = DebugProtocol.Capabilities;

describe('DAP conventions on the lab guest', { timeout: 300_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;
  let capabilities: Capabilities;
  let threadId: number;

  before(async () => {
    lab = await bootLab({ kvm: true });
    await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
    dc = await startClient();
    capabilities = capabilitiesOf(dc);
    const entry = await attach(dc, labAttachConfig(lab));
    threadId = entry.body.threadId ?? 1;
  });

  after(async () => {
    await dc?.stop();
    await lab?.stop();
  });

  test('stackTrace pages report the real number of frames (gdb bt as the oracle)', async () => {
    const all = (await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 500 })).body;
    const bt = await repl(dc, `thread apply ${threadId} bt`);
    const gdbFrames = [...bt.matchAll(/^#\d+\s+(.*)$/gm)].filter((m) => !/^0x0+ in \?\?/.test(m[1] ?? ''));
    assert.ok(gdbFrames.length > 3, bt);
    assert.equal(all.stackFrames.length, gdbFrames.length, bt);
    assert.equal(all.totalFrames, gdbFrames.length);
    const first = (await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 2 })).body;
    assert.equal(first.stackFrames.length, 2);
    assert.equal(first.totalFrames, gdbFrames.length, '"Load more stack frames" knows the depth');
    const second = (await dc.stackTraceRequest({ threadId, startFrame: 2, levels: 2 })).body;
    assert.deepEqual(
      second.stackFrames.map((f) => f.name),
      all.stackFrames.slice(2, 4).map((f) => f.name),
    );
    assert.equal(second.totalFrames, gdbFrames.length);
  });

  test('init_task.comm reads as a string in hover, Watch and Variables, elements as children', async () => {
    const frameId = (await topFrame(dc, threadId)).id;
    const printed = (await repl(dc, 'output init_task.comm')).trim();
    assert.match(printed, /^"swapper/);
    for (const context of ['hover', 'watch'] as const) {
      const r = (await dc.evaluateRequest({ expression: 'init_task.comm', frameId, context })).body;
      assert.equal(r.result, printed, context);
      assert.ok(r.variablesReference > 0, `${context}: the elements expand`);
      const elements = (await dc.variablesRequest({ variablesReference: r.variablesReference })).body
        .variables;
      assert.equal(elements.length, 16);
      assert.match(elements[0]?.value ?? '', /^115 's'$/);
    }
    const task = (await dc.evaluateRequest({ expression: 'init_task', frameId, context: 'watch' })).body;
    const members = (await dc.variablesRequest({ variablesReference: task.variablesReference })).body
      .variables;
    assert.equal(members.find((m) => m.name === 'comm')?.value, printed);
  });

  test('every advertised capability is a request that works', async () => {
    const frame = await topFrame(dc, threadId);
    const pc = frame.instructionPointerReference ?? '';
    const source = { path: `${lab.manifest.sourceRoot}/kernel/sched/idle.c` };
    // A line by its text, not its number: do_idle's first call.
    const line =
      readFileSync(source.path, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('nohz_run_idle_balance(cpu);')) + 1;
    assert.ok(line > 0);
    const checks: Partial<Record<keyof Capabilities, () => Promise<unknown>>> = {
      supportsConfigurationDoneRequest: () => Promise.resolve(), // sent by attach()
      supportsFunctionBreakpoints: async () => {
        const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_idle' }] });
        assert.equal(r.body.breakpoints[0]?.verified, true);
        await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      },
      supportsConditionalBreakpoints: async () => {
        const r = await dc.setBreakpointsRequest({ source, breakpoints: [{ line, condition: '0' }] });
        assert.equal(r.body.breakpoints.length, 1);
        await dc.setBreakpointsRequest({ source, breakpoints: [] });
      },
      supportsHitConditionalBreakpoints: async () => {
        const r = await dc.setBreakpointsRequest({
          source,
          breakpoints: [{ line, hitCondition: '1000' }],
        });
        assert.equal(r.body.breakpoints.length, 1);
        await dc.setBreakpointsRequest({ source, breakpoints: [] });
      },
      supportsLogPoints: async () => {
        const r = await dc.setBreakpointsRequest({ source, breakpoints: [{ line, logMessage: 'x' }] });
        assert.equal(r.body.breakpoints.length, 1);
        await dc.setBreakpointsRequest({ source, breakpoints: [] });
      },
      supportsEvaluateForHovers: async () => {
        const r = await dc.evaluateRequest({ expression: 'jiffies', frameId: frame.id, context: 'hover' });
        assert.match(r.body.result, /^\d+$/);
      },
      supportsSetVariable: async () => {
        const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
        const regs = scopes.find((s) => s.name === 'Registers');
        assert.ok(regs);
        const rax = (
          await dc.variablesRequest({ variablesReference: regs.variablesReference })
        ).body.variables.find((v) => v.name === 'rax');
        assert.ok(rax);
        const set = await dc.setVariableRequest({
          variablesReference: regs.variablesReference,
          name: 'rax',
          value: rax.value.split(' ')[0] ?? '0',
        });
        assert.equal(set.body.value.split(' ')[0], rax.value.split(' ')[0]);
      },
      supportsDataBreakpoints: async () => {
        const info = await request<DebugProtocol.DataBreakpointInfoResponse>(dc, 'dataBreakpointInfo', {
          name: 'panic_timeout',
        });
        assert.ok(info.body.dataId);
        const set = await request<DebugProtocol.SetDataBreakpointsResponse>(dc, 'setDataBreakpoints', {
          breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }],
        });
        assert.equal(set.body.breakpoints[0]?.verified, true);
        await dc.customRequest('setDataBreakpoints', { breakpoints: [] });
      },
      supportsInstructionBreakpoints: async () => {
        const set = await request<DebugProtocol.SetInstructionBreakpointsResponse>(
          dc,
          'setInstructionBreakpoints',
          { breakpoints: [{ instructionReference: pc }] },
        );
        assert.equal(set.body.breakpoints[0]?.verified, true);
        await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
      },
      supportsDisassembleRequest: async () => {
        const r = await dc.disassembleRequest({ memoryReference: pc, instructionCount: 3 });
        assert.ok(r.body?.instructions.every((i) => i.instruction !== '??'));
      },
      supportsReadMemoryRequest: async () => {
        const r = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
          memoryReference: pc,
          count: 4,
        });
        assert.equal(Buffer.from(r.body?.data ?? '', 'base64').length, 4);
      },
      supportsWriteMemoryRequest: async () => {
        const r = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
          memoryReference: pc,
          count: 1,
        });
        const w = await request<DebugProtocol.WriteMemoryResponse>(dc, 'writeMemory', {
          memoryReference: pc,
          data: r.body?.data ?? '',
        });
        assert.equal(w.body?.bytesWritten, 1);
      },
      supportsSteppingGranularity: async () => {
        const stopped = dc.waitForEvent('stopped');
        await dc.nextRequest({ threadId, granularity: 'instruction' });
        await stopped;
      },
      supportsModulesRequest: async () => {
        const r = await request<DebugProtocol.ModulesResponse>(dc, 'modules', {
          startModule: 0,
          moduleCount: 10,
        });
        assert.ok(r.body.modules.length > 0);
      },
      supportsCompletionsRequest: async () => {
        const r = await dc.completionsRequest({ text: 'hv br', column: 6 });
        assert.ok(r.body.targets.length > 0);
      },
      // lifecycle.test.ts: launch, then terminate leaves no QEMU or gdb behind.
      supportsTerminateRequest: () => Promise.resolve(),
      supportTerminateDebuggee: () => Promise.resolve(), // checked last, below: it ends the guest
    };
    const advertised = Object.entries(capabilities)
      .filter(([key, value]) => /^supports?[A-Z]/.test(key) && value === true)
      .map(([key]) => key as keyof Capabilities);
    assert.ok(advertised.length > 10, JSON.stringify(capabilities));
    for (const key of advertised) {
      const check = checks[key];
      assert.ok(check, `the capability ${key} is advertised but no test calls its request`);
      await check();
    }
    // disconnect with terminateDebuggee ends an attached guest too (QEMU exits on the stub's `k`).
    await dc.disconnectRequest({ terminateDebuggee: true });
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      lab.exited.then(() => 'QEMU exited'),
      new Promise((resolve) => (timer = setTimeout(() => resolve('QEMU still runs after 10 s'), 10_000))),
    ]);
    clearTimeout(timer);
    assert.equal(ended, 'QEMU exited');
  });
});
