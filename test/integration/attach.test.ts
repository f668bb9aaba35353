/**
 * The attach session against the real lab: a Debian kernel in QEMU (TCG), kvm_amd loaded, an L2 guest
 * issuing KVM hypercalls. Everything is checked against an independent source: QEMU's monitor, gdb's
 * own `x` and the guest's console.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../lab/lab';
import {
  attach,
  frames,
  labAttachConfig,
  registers,
  repl,
  request,
  startClient,
  stopAfter,
  topFrame,
} from './support/session';
import { assertDisassemblyMatchesGdb } from './support/disassembly';

const IDLE =
  /^(native_safe_halt|arch_safe_halt|default_idle|amd_e400_idle|default_idle_call|cpu_idle_poll|do_idle|cpu_startup_entry|pv_native_safe_halt)$/;

/** `monitor info registers -a`, split per vCPU: CPU index → register name → value. */
function parseInfoRegisters(text: string): Map<number, Map<string, bigint>> {
  const cpus = new Map<number, Map<string, bigint>>();
  let current: Map<string, bigint> | undefined;
  for (const line of text.split('\n')) {
    const cpu = /^CPU#(\d+)/.exec(line);
    if (cpu?.[1] !== undefined) {
      current = new Map();
      cpus.set(Number(cpu[1]), current);
      continue;
    }
    for (const m of line.matchAll(/\b(CR0|CR2|CR3|CR4|EFER)=([0-9a-f]+)/g)) {
      if (m[1] !== undefined && m[2] !== undefined) current?.set(m[1].toLowerCase(), BigInt(`0x${m[2]}`));
    }
  }
  return cpus;
}

/** The 1-based line of `text` in kvm_emulate_hypercall (arch/x86/kvm/x86.c): breakpoints by marker, not number. */
function hypercallLine(sourceRoot: string, text: string): { file: string; line: number } {
  const file = join(sourceRoot, 'arch/x86/kvm/x86.c');
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('int kvm_emulate_hypercall('));
  const line = lines.findIndex((l, i) => i > start && l.includes(text)) + 1;
  assert.ok(start >= 0 && line > 0, `'${text}' not found in ${file}`);
  return { file, line };
}

/** Every hypercall of the lab passes here, with `nr` live: the CPL check. */
const CPL_CHECK = 'if (static_call(kvm_x86_get_cpl)(vcpu) != 0) {';

function hexValue(variable: DebugProtocol.Variable | undefined): bigint {
  assert.ok(variable, 'register missing');
  const m = /^0x[0-9a-f]+/.exec(variable.value);
  assert.ok(m, `not a hex value: ${variable.value}`);
  return BigInt(m[0]);
}

describe('attach to the lab guest', { timeout: 600_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;
  let entry: DebugProtocol.StoppedEvent;
  const progress: string[] = [];

  before(async () => {
    lab = await bootLab({ kvm: true });
    await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
    dc = await startClient();
    dc.on('progressUpdate', (e: DebugProtocol.ProgressUpdateEvent) => progress.push(e.body.message ?? ''));
    entry = await attach(dc, labAttachConfig(lab));
  });

  after(async () => {
    await dc?.stop();
    await lab?.stop();
  });

  test('loading the symbols of a 560 MB vmlinux shows progress', () => {
    assert.match(progress.join('\n'), /Loading symbols from .*vmlinux \(\d+ MB\)/);
    assert.match(progress.join('\n'), /Loading symbols from .*kvm\.ko/);
    assert.match(progress.join('\n'), /Connecting to unix:/);
  });

  test('threads are the vCPUs, named "vCPU n"', async () => {
    const threads = (await dc.threadsRequest()).body.threads;
    assert.deepEqual(
      threads.map((t) => t.name),
      ['vCPU 0', 'vCPU 1'],
    );
    assert.equal(entry.body.reason, 'entry');
    assert.ok(threads.some((t) => t.id === entry.body.threadId));
  });

  test('a vCPU stopped in the idle loop shows a kernel frame with its source line', async () => {
    const threads = (await dc.threadsRequest()).body.threads;
    const idleFrames = async (): Promise<DebugProtocol.StackFrame[]> => {
      const found: DebugProtocol.StackFrame[] = [];
      for (const t of threads) found.push(...(await frames(dc, t.id)).filter((f) => IDLE.test(f.name)));
      return found;
    };
    let idle = await idleFrames();
    if (idle.length === 0) {
      // Both vCPUs were busy (the L2 guest's loop, the serial console): stop the next time one idles.
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'default_idle' }] });
      await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      idle = await idleFrames();
    }
    assert.ok(idle.length > 0, 'no vCPU is in the idle loop');
    const withSource = idle.find((f) => f.source?.path !== undefined && f.line > 0);
    assert.ok(withSource, `no idle frame with a source file: ${JSON.stringify(idle)}`);
    assert.ok(withSource.source?.path?.startsWith(lab.manifest.sourceRoot), withSource.source?.path);
    for (const t of threads) {
      // gdb ends a kernel stack with a frame at address 0 below the entry code: hvdbg drops it.
      const stack = await frames(dc, t.id, 64);
      const last = stack[stack.length - 1];
      assert.ok(last !== undefined && BigInt(last.instructionPointerReference ?? '0') !== 0n, last?.name);
    }
  });

  test('CR0, CR3, CR4 and EFER equal QEMU monitor "info registers" at the same stop', async () => {
    const monitor = parseInfoRegisters(await repl(dc, 'monitor info registers -a'));
    const threads = (await dc.threadsRequest()).body.threads;
    assert.equal(monitor.size, threads.length);
    for (const t of threads) {
      const cpu = Number(t.name.replace('vCPU ', ''));
      const regs = await registers(dc, (await topFrame(dc, t.id)).id);
      for (const name of ['cr0', 'cr3', 'cr4', 'efer']) {
        assert.equal(hexValue(regs.get(name)), monitor.get(cpu)?.get(name), `${t.name} ${name}`);
      }
    }
  });

  test('CR0, CR3, CR4, EFER and RFLAGS expand into their named bit fields', async () => {
    const regs = await registers(dc, (await topFrame(dc, entry.body.threadId ?? 1)).id);
    const fieldsOf = async (name: string) => {
      const reference = regs.get(name)?.variablesReference ?? 0;
      assert.ok(reference > 0, `${name} does not expand`);
      const vars = (await dc.variablesRequest({ variablesReference: reference })).body.variables;
      return new Map(vars.map((v) => [v.name, v.value]));
    };
    const cr0 = hexValue(regs.get('cr0'));
    const cr0Fields = await fieldsOf('cr0');
    assert.equal(cr0Fields.get('PG'), String((cr0 >> 31n) & 1n));
    assert.equal(cr0Fields.get('PE'), String(cr0 & 1n));
    const efer = hexValue(regs.get('efer'));
    assert.equal((await fieldsOf('efer')).get('LMA'), String((efer >> 10n) & 1n));
    const cr4 = hexValue(regs.get('cr4'));
    assert.equal((await fieldsOf('cr4')).get('LA57'), String((cr4 >> 12n) & 1n));
    assert.ok((await fieldsOf('cr3')).size > 0);
    const rflags = hexValue(regs.get('eflags'));
    assert.equal((await fieldsOf('eflags')).get('IF'), String((rflags >> 9n) & 1n));
  });

  test('disassemble (vmlinux) and readMemory agree with gdb "x"', async () => {
    const top = await topFrame(dc, entry.body.threadId ?? 1);
    const pc = top.instructionPointerReference;
    assert.ok(pc);
    const memory = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
      memoryReference: pc,
      count: 32,
    });
    const bytes = Buffer.from(memory.body?.data ?? '', 'base64');
    const x = await repl(dc, `x/32xb ${pc}`);
    const gdbBytes = [...x.matchAll(/\b0x([0-9a-f]{2})\b/g)].map((m) => Number.parseInt(m[1] ?? '', 16));
    assert.deepEqual([...bytes], gdbBytes);

    // The instructions users read, not only their addresses (an `??` fallback steps one byte at a time).
    await assertDisassemblyMatchesGdb(dc, pc);
  });

  test('a function breakpoint on kvm_emulate_hypercall is hit; vcpu->arch.regs[0] is the hypercall number', async () => {
    const bps = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] });
    assert.equal(bps.body.breakpoints[0]?.verified, true, JSON.stringify(bps.body.breakpoints));
    const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
    assert.equal(hit.body.reason, 'function breakpoint');
    const top = await topFrame(dc, hit.body.threadId ?? 0);
    assert.equal(top.name, 'kvm_emulate_hypercall');
    assert.match(top.source?.path ?? '', /arch\/x86\/kvm\/x86\.c$/);
    const nr = (
      await dc.evaluateRequest({ expression: 'vcpu->arch.regs[0]', frameId: top.id, context: 'watch' })
    ).body;
    assert.ok([11n, 5n, 0x4711n].includes(BigInt(nr.result)), `hypercall number ${nr.result}`);
    const vcpu = (await dc.evaluateRequest({ expression: '*vcpu', frameId: top.id, context: 'watch' })).body;
    assert.ok(vcpu.variablesReference > 0, 'struct kvm_vcpu expands');
    // In a module (kvm.ko) the Disassembly view reads as gdb's x/i too.
    await assertDisassemblyMatchesGdb(dc, top.instructionPointerReference ?? '');
    const members = (await dc.variablesRequest({ variablesReference: vcpu.variablesReference })).body
      .variables;
    assert.ok(members.some((m) => m.name === 'arch'));

    // The Locals scope holds the argument; the pointer expands into the struct's members. In KVM's
    // hypercall handler hvdbg adds the decoded call and the VM exit being handled.
    const scopes = (await dc.scopesRequest({ frameId: top.id })).body.scopes;
    assert.deepEqual(
      scopes.map((x) => x.name),
      ['Locals', 'Registers', 'Hypercall', 'VM Exit'],
    );
    const locals = (await dc.variablesRequest({ variablesReference: scopes[0]?.variablesReference ?? 0 }))
      .body.variables;
    const arg = locals.find((v) => v.name === 'vcpu');
    assert.ok(arg, `locals: ${locals.map((v) => v.name).join(', ')}`);
    assert.match(arg.value, /^0x[0-9a-f]+/);
    assert.ok(arg.variablesReference > 0, 'a struct pointer expands');
    const pointee = (await dc.variablesRequest({ variablesReference: arg.variablesReference })).body
      .variables;
    const inner = pointee.length === 1 && pointee[0]?.variablesReference ? pointee[0] : undefined;
    const fields = inner
      ? (await dc.variablesRequest({ variablesReference: inner.variablesReference })).body.variables
      : pointee;
    assert.ok(
      fields.some((m) => m.name === 'arch'),
      fields.map((m) => m.name).join(', '),
    );
  });

  test('memory writes land in the guest and read back', async () => {
    const address = (await repl(dc, 'output/x &panic_timeout')).trim();
    const before = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
      memoryReference: address,
      count: 4,
    });
    const original = Buffer.from(before.body?.data ?? '', 'base64');
    assert.equal(original.length, 4);
    const changed = Buffer.from([0x2a, 0, 0, 0]);
    const written = await request<DebugProtocol.WriteMemoryResponse>(dc, 'writeMemory', {
      memoryReference: address,
      data: changed.toString('base64'),
    });
    assert.equal(written.body?.bytesWritten, 4);
    assert.match(await repl(dc, 'print panic_timeout'), /= 42$/m);
    await dc.customRequest('writeMemory', { memoryReference: address, data: original.toString('base64') });
    const after = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
      memoryReference: address,
      count: 4,
    });
    assert.deepEqual(Buffer.from(after.body?.data ?? '', 'base64'), original);
  });

  test('step over, in, out and by instruction move where they should', async () => {
    // Instruction step: a non-branching instruction moves the pc to the next one, as gdb's x/2i lists it.
    const current = (await dc.threadsRequest()).body.threads;
    let tid = 0;
    for (const t of current) if ((await topFrame(dc, t.id)).name === 'kvm_emulate_hypercall') tid = t.id;
    assert.ok(tid > 0, 'a vCPU is at kvm_emulate_hypercall');
    let pc = (await topFrame(dc, tid)).instructionPointerReference ?? '';
    for (let i = 0; i < 20; i++) {
      const listing = await repl(dc, `x/2i ${pc}`);
      const [first, second] = [...listing.matchAll(/^\s*(?:=>\s*)?(0x[0-9a-f]+)[^:]*:\s*(\S+)/gm)];
      assert.ok(first && second, listing);
      const stepped = await stopAfter(dc, () =>
        dc.stepInRequest({ threadId: tid, granularity: 'instruction' }),
      );
      assert.equal(stepped.body.reason, 'step');
      const now = (await topFrame(dc, tid)).instructionPointerReference ?? '';
      if (!/^(j|call|ret|jmp|loop)/.test(first[2] ?? '')) {
        assert.equal(BigInt(now), BigInt(second[1] ?? '0'), `stepi from ${first[0]}`);
        break;
      }
      pc = now;
    }

    // Step over: stays in the function (or returns from it), and the line moves.
    const beforeNext = await topFrame(dc, tid);
    await stopAfter(dc, () => dc.nextRequest({ threadId: tid }));
    const afterNext = await topFrame(dc, tid);
    assert.equal(afterNext.name, beforeNext.name, 'next stays in the function');
    assert.notEqual(afterNext.instructionPointerReference, beforeNext.instructionPointerReference);

    // Step in until we enter a callee; its caller is where we were. Then step out back to it.
    let depth = (await frames(dc, tid, 64)).length;
    const caller = (await topFrame(dc, tid)).name;
    let entered: DebugProtocol.StackFrame[] | undefined;
    for (let i = 0; i < 40 && entered === undefined; i++) {
      await stopAfter(dc, () => dc.stepInRequest({ threadId: tid }));
      const stack = await frames(dc, tid, 64);
      if (stack.length > depth) entered = stack;
      else depth = stack.length;
    }
    assert.ok(entered, 'step in entered a function');
    assert.equal(entered[1]?.name, caller, 'the callee was called from where we stepped');
    const calleeDepth = entered.length;
    await stopAfter(dc, () => dc.stepOutRequest({ threadId: tid }));
    const out = await frames(dc, tid, 64);
    assert.equal(out.length, calleeDepth - 1, 'step out returns to the caller');
    assert.equal(out[0]?.name, entered[1]?.name);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  });

  test('pause stops a running guest', async () => {
    await dc.continueRequest({ threadId: 0 });
    const paused = await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
    assert.equal(paused.body.reason, 'pause');
  });

  test('a data breakpoint on jiffies stops when the timer writes it', async () => {
    const info = await dc.dataBreakpointInfoRequest({ name: 'jiffies_64' });
    assert.equal(info.body.dataId, 'jiffies_64');
    const set = await dc.setDataBreakpointsRequest({
      breakpoints: [{ dataId: 'jiffies_64', accessType: 'write' }],
    });
    assert.equal(set.body.breakpoints[0]?.verified, true, JSON.stringify(set.body.breakpoints));
    const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
    assert.equal(hit.body.reason, 'data breakpoint');
    await dc.setDataBreakpointsRequest({ breakpoints: [] });
  });

  test('registers are editable, bit field by bit field', async () => {
    const tid = entry.body.threadId ?? 1;
    const top = await topFrame(dc, tid);
    const regs = await registers(dc, top.id);
    const scope = (await dc.scopesRequest({ frameId: top.id })).body.scopes.find(
      (s) => s.name === 'Registers',
    );
    assert.ok(scope);
    const original = hexValue(regs.get('eflags'));
    const flags = regs.get('eflags')?.variablesReference ?? 0;
    const cf = original & 1n;
    const set = await dc.setVariableRequest({
      variablesReference: flags,
      name: 'CF',
      value: String(1n - cf),
    });
    assert.equal(set.body.value, String(1n - cf));
    const monitor = await repl(dc, 'p/x $eflags', top.id);
    assert.match(monitor, new RegExp(`0x${(original ^ 1n).toString(16)}`));
    await dc.setVariableRequest({
      variablesReference: scope.variablesReference,
      name: 'eflags',
      value: `0x${original.toString(16)}`,
    });
    assert.match(await repl(dc, 'p/x $eflags', top.id), new RegExp(`0x${original.toString(16)}`));

    // CR4.TSD (bit 2: RDTSC at CPL 3 faults) is harmless to flip while stopped; QEMU types CR4 as flags.
    const cr4 = hexValue(regs.get('cr4'));
    const cr4Fields = regs.get('cr4')?.variablesReference ?? 0;
    const tsd = (cr4 >> 2n) & 1n;
    const setTsd = await dc.setVariableRequest({
      variablesReference: cr4Fields,
      name: 'TSD',
      value: String(1n - tsd),
    });
    assert.equal(setTsd.body.value, String(1n - tsd));
    assert.match(await repl(dc, 'p/x (long)$cr4', top.id), new RegExp(`0x${(cr4 ^ 4n).toString(16)}\\b`));
    await dc.setVariableRequest({ variablesReference: cr4Fields, name: 'TSD', value: String(tsd) });
    assert.match(await repl(dc, 'p/x (long)$cr4', top.id), new RegExp(`0x${cr4.toString(16)}\\b`));
  });

  test('the Debug Console passes gdb commands through and lists hv commands', async () => {
    assert.match(await repl(dc, 'hv help'), /hv regs/);
    assert.match(await repl(dc, 'hv regs'), /cr0\s+0x[0-9a-f]+/);
    assert.match(await repl(dc, 'info threads'), /CPU#1/);
  });

  test('a source breakpoint with a condition stops on the matching hypercall only', async () => {
    const { file, line } = hypercallLine(lab.manifest.sourceRoot, CPL_CHECK);
    const set = await dc.setBreakpointsRequest({
      source: { path: file },
      breakpoints: [{ line, condition: 'nr == 5' }],
    });
    const bp = set.body.breakpoints[0];
    assert.equal(bp?.verified, true, JSON.stringify(set.body.breakpoints));
    assert.equal(bp.line, line);
    for (let i = 0; i < 3; i++) {
      const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
      assert.equal(hit.body.reason, 'breakpoint');
      assert.deepEqual(hit.body.hitBreakpointIds, [bp.id]);
      const top = await topFrame(dc, hit.body.threadId ?? 0);
      assert.equal(top.source?.path, file);
      assert.equal(top.line, line);
      assert.equal(top.instructionPointerReference, bp.instructionReference);
      const nr = await dc.evaluateRequest({ expression: 'nr', frameId: top.id, context: 'hover' });
      assert.equal(BigInt(nr.body.result), 5n, 'KVM_HC_KICK_CPU only');
    }
    await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [] });
  });

  test('a logpoint prints without stopping; a hit count stops on the N-th hit', async () => {
    const { file, line } = hypercallLine(lab.manifest.sourceRoot, CPL_CHECK);
    const logged: string[] = [];
    const onOutput = (e: DebugProtocol.OutputEvent): void => {
      if (e.body.output.startsWith('hypercall ')) logged.push(e.body.output);
    };
    dc.on('output', onOutput);
    await dc.setBreakpointsRequest({
      source: { path: file },
      breakpoints: [{ line, logMessage: 'hypercall {nr}' }],
    });
    const counted = await dc.setFunctionBreakpointsRequest({
      breakpoints: [{ name: 'kvm_emulate_hypercall', hitCondition: '7' }],
    });
    assert.equal(counted.body.breakpoints[0]?.verified, true);
    const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
    dc.removeListener('output', onOutput);
    assert.equal(hit.body.reason, 'function breakpoint');
    // Six calls passed the function breakpoint without stopping; the logpoint printed each of them.
    assert.equal(logged.length, 6, logged.join(''));
    for (const text of logged) assert.match(text, /^hypercall (11|5|18193)\n$/);
    await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  });

  test('an instruction breakpoint stops at its address', async () => {
    const address = await repl(dc, 'output/x &kvm_emulate_hypercall');
    const breakpoints = [{ instructionReference: address.trim() }];
    const set = await request<DebugProtocol.SetInstructionBreakpointsResponse>(
      dc,
      'setInstructionBreakpoints',
      {
        breakpoints,
      },
    );
    assert.equal(set.body.breakpoints[0]?.verified, true, JSON.stringify(set.body.breakpoints));
    const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
    assert.equal(hit.body.reason, 'instruction breakpoint');
    const top = await topFrame(dc, hit.body.threadId ?? 0);
    assert.equal(BigInt(top.instructionPointerReference ?? '0'), BigInt(address.trim()));
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
  });

  test('detach leaves the guest running', async () => {
    await dc.disconnectRequest({});
    await lab.console.waitForNext(/HVDBG-HC .*nr=/, 60_000);
  });
});
