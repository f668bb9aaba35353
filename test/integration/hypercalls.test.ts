/**
 * Hypercalls in the live session, against the real lab: a hypercall breakpoint stops in KVM's
 * `kvm_emulate_hypercall` for one call number; the decoded call equals the `kvm_hypercall` line KVM's
 * tracepoint writes (streamed out of the guest on ttyS1); stepping to where KVM writes the result shows
 * the result the L2 guest prints (`HVDBG-HC ... ret=`); the VM exit being handled decodes from the VMCB
 * as VMMCALL (SVM exit code 0x81). Also the hypercall sites of the loaded kernel.
 */
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type {
  HypercallBody,
  HypercallInfo,
  HypercallSitesBody,
  SetHypercallBreakpointsBody,
  VmExitBody,
} from '../../adapter/protocol/hypercallRequests';
import { bootLab, type Lab } from '../lab/lab';
import { attach, labAttachConfig, repl, request, startClient, stopAfter, topFrame } from './support/session';

async function body<T>(dc: DebugClient, command: string, args: object): Promise<T> {
  const response = await request<DebugProtocol.Response>(dc, command, args);
  return response.body as T;
}

/** The Hypercall scope of the top frame, as name → value. */
async function hypercallScope(dc: DebugClient, threadId: number): Promise<Map<string, string>> {
  const frame = await topFrame(dc, threadId);
  const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
  const scope = scopes.find((s) => s.name === 'Hypercall');
  assert.ok(scope, `no Hypercall scope in ${scopes.map((s) => s.name).join(', ')}`);
  const vars = (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
  return new Map(vars.map((v) => [v.name, v.value]));
}

/** `kvm_hypercall: nr 0xb a0 0x0 a1 0x0 a2 0x0 a3 0x0` as numbers. */
function traceCall(line: RegExpMatchArray): bigint[] {
  return [line[1], line[2], line[3], line[4], line[5]].map((v) => BigInt(v ?? 'x'));
}

/** nr, a0..a3 as hvdbg read them from vcpu->arch.regs (RAX; RBX, RCX, RDX, RSI). */
function guestNumbers(call: HypercallInfo): bigint[] {
  const r = call.registers;
  return [call.number, r['rbx'], r['rcx'], r['rdx'], r['rsi']].map((v) => BigInt(v ?? 'x'));
}

/** Continues until the hypercall breakpoint stops; returns the stopped thread. */
async function continueToHypercall(dc: DebugClient): Promise<number> {
  const stop = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
  assert.ok(stop.body.threadId !== undefined);
  const frame = await topFrame(dc, stop.body.threadId);
  assert.equal(frame.name, 'kvm_emulate_hypercall');
  return stop.body.threadId;
}

/** Steps (next) in the handler until the Hypercall scope shows a result; at most `limit` steps. */
async function nextUntilResult(dc: DebugClient, threadId: number, limit = 60): Promise<HypercallInfo> {
  for (let i = 0; i < limit; i++) {
    const { hypercall } = await body<HypercallBody>(dc, 'hvdbg/hypercall', { threadId });
    if (hypercall?.result !== undefined) return hypercall;
    await stopAfter(dc, () => dc.nextRequest({ threadId }));
  }
  assert.fail(`no result after ${limit} steps`);
}

describe('hypercalls in the live session', { timeout: 600_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;

  before(async () => {
    lab = await bootLab({ kvm: true });
    await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
    dc = await startClient(60_000);
    await attach(dc, labAttachConfig(lab));
  });

  after(async () => {
    await dc?.stop();
    await lab?.stop();
  });

  test('a hypercall breakpoint on KVM_HC_SCHED_YIELD stops in kvm_emulate_hypercall with the traced call', async (t) => {
    const set = await body<SetHypercallBreakpointsBody>(dc, 'hvdbg/setHypercallBreakpoints', {
      breakpoints: [{ abi: 'kvm', call: 'KVM_HC_SCHED_YIELD' }],
    });
    assert.equal(set.breakpoints.length, 1);
    assert.equal(set.breakpoints[0]?.verified, true, set.breakpoints[0]?.message);
    assert.equal(set.breakpoints[0]?.number, 11);

    const threadId = await continueToHypercall(dc);
    const { hypercall } = await body<HypercallBody>(dc, 'hvdbg/hypercall', { threadId });
    assert.ok(hypercall, 'no hypercall decoded at the stop');
    assert.equal(hypercall.side, 'hypervisor');
    assert.equal(hypercall.name, 'KVM_HC_SCHED_YIELD');
    assert.equal(hypercall.number, '0xb');
    assert.equal(hypercall.result, undefined, 'the result cannot be known at the entry of the handler');
    const scope = await hypercallScope(dc, threadId);
    assert.equal(scope.get('call'), 'KVM_HC_SCHED_YIELD');
    assert.match(scope.get('dest_apicid') ?? '', /^0x[0-9a-f]+ \(rbx\)$/);

    const exit = await body<VmExitBody>(dc, 'hvdbg/vmExit', { threadId });
    assert.ok(exit.exit, exit.none);
    assert.equal(exit.exit.isa, 'svm');
    assert.equal(exit.exit.code, '0x81');
    assert.equal(exit.exit.name, 'VMMCALL');
    assert.match(await repl(dc, 'hv exit'), /VMMCALL \(SVM 0x81\)/);

    const decoded = guestNumbers(hypercall);
    const result = await nextUntilResult(dc, threadId);
    t.diagnostic(`result ${JSON.stringify(result.result)}`);
    assert.equal(result.name, 'KVM_HC_SCHED_YIELD');
    assert.match(await repl(dc, 'hv hypercall'), /KVM_HC_SCHED_YIELD/);

    // What KVM traced and what the L2 guest received, once the vCPUs run again.
    await body<SetHypercallBreakpointsBody>(dc, 'hvdbg/setHypercallBreakpoints', { breakpoints: [] });
    const traced = lab.trace.waitForNext(
      /kvm_hypercall: nr (0xb) a0 (0x[0-9a-f]+) a1 (0x[0-9a-f]+) a2 (0x[0-9a-f]+) a3 (0x[0-9a-f]+)/,
      60_000,
    );
    const printed = lab.console.waitForNext(/HVDBG-HC .*nr=11 .*ret=(-?\d+) /, 60_000);
    await dc.continueRequest({ threadId: 0 });
    assert.deepEqual(decoded, traceCall(await traced));
    assert.equal(BigInt.asIntN(64, BigInt(result.result?.raw ?? 'x')), BigInt((await printed)[1] ?? 'x'));
    await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
  });

  test('an unknown number (0x4711) is shown with its raw registers and -KVM_ENOSYS', async () => {
    const set = await body<SetHypercallBreakpointsBody>(dc, 'hvdbg/setHypercallBreakpoints', {
      breakpoints: [{ abi: 'kvm', call: '0x4711' }],
    });
    assert.equal(set.breakpoints[0]?.verified, true, set.breakpoints[0]?.message);
    const threadId = await continueToHypercall(dc);
    const { hypercall } = await body<HypercallBody>(dc, 'hvdbg/hypercall', { threadId });
    assert.ok(hypercall);
    assert.equal(hypercall.kind, 'unknown');
    assert.equal(hypercall.number, '0x4711');
    const decoded = guestNumbers(hypercall);
    assert.deepEqual(
      hypercall.args.map((a) => a.register),
      ['rbx', 'rcx', 'rdx', 'rsi'],
    );
    const result = await nextUntilResult(dc, threadId);
    assert.equal(result.result?.code, '-KVM_ENOSYS');
    assert.equal(BigInt.asIntN(64, BigInt(result.result?.raw ?? 'x')), -1000n);

    await body<SetHypercallBreakpointsBody>(dc, 'hvdbg/setHypercallBreakpoints', { breakpoints: [] });
    const traced = lab.trace.waitForNext(
      /kvm_hypercall: nr (0x4711) a0 (0x[0-9a-f]+) a1 (0x[0-9a-f]+) a2 (0x[0-9a-f]+) a3 (0x[0-9a-f]+)/,
      60_000,
    );
    const printed = lab.console.waitForNext(/HVDBG-HC .*nr=18193 .*ret=(-?\d+) /, 60_000);
    await dc.continueRequest({ threadId: 0 });
    assert.deepEqual(decoded, traceCall(await traced));
    assert.equal(BigInt((await printed)[1] ?? 'x'), -1000n);
    await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
  });

  test('hv break hypercall takes a name; a bad name is refused with the list of names', async () => {
    assert.match(
      await repl(dc, 'hv break hypercall SCHED_YIELD'),
      /breakpoint \d+: SCHED_YIELD: stops in kvm_emulate_hypercall/,
    );
    assert.match(await repl(dc, 'hv break hypercall NO_SUCH_CALL'), /not set: NO_SUCH_CALL: .*SCHED_YIELD/);
    assert.match(await repl(dc, 'hv break hypercall'), /cleared/);
  });

  test('hypercall sites of the loaded kernel: grouped by function, with what the guest really has', async (t) => {
    const sites = await body<HypercallSitesBody>(dc, 'hvdbg/hypercallSites', {});
    t.diagnostic(
      `${sites.count} sites in ${sites.functions.length} functions, e.g. ${JSON.stringify(sites.functions[0])}`,
    );
    assert.ok(sites.count > 0, 'no hypercall sites found in vmlinux');
    const all = sites.functions.flatMap((g) => g.sites.map((s) => ({ ...s, group: g.function })));
    for (const s of all) {
      assert.match(s.elfInstruction, /^(vmcall|vmmcall|call .*)$/);
      assert.equal(s.symbol.function ?? '??', s.group);
    }
    // The lab kernel runs under QEMU TCG without KVM: nothing patched the ELF's vmcall at these sites.
    const withLine = all.find((s) => s.symbol.line !== undefined && s.liveError === undefined);
    assert.ok(withLine, JSON.stringify(all.slice(0, 3)));
    const gdbText = await repl(dc, `x/i ${withLine.address}`);
    assert.ok(gdbText.includes(withLine.instruction), `${gdbText} vs ${withLine.instruction}`);
  });
});

describe('the same with KASLR on and the kvm modules found without any address', { timeout: 600_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;

  before(async () => {
    lab = await bootLab({ kvm: true, kaslr: true });
    await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
    dc = await startClient(60_000);
    // What a user writes: the kernel's vmlinux and where the -dbg package's modules are; no addresses.
    const m = lab.manifest;
    await attach(dc, {
      target: `unix:${lab.gdbSocket}`,
      program: m.vmlinux,
      modulePath: [dirname(m.kvmKo)],
      sourcePaths: m.sourceRoot === '' ? [] : [m.sourceRoot],
      sourceFileMap: Object.fromEntries(m.sourceMap.map((e) => [e.from, e.to])),
    });
  });

  after(async () => {
    await dc?.stop();
    await lab?.stop();
  });

  test('a hypercall breakpoint stops in kvm_emulate_hypercall with the traced call, decoded as VMMCALL', async (t) => {
    t.diagnostic(`kernel .text at 0x${lab.kernelText?.toString(16) ?? '?'} (unslid: 0xffffffff81000000)`);
    const set = await body<SetHypercallBreakpointsBody>(dc, 'hvdbg/setHypercallBreakpoints', {
      breakpoints: [{ abi: 'kvm', call: 'KVM_HC_KICK_CPU' }],
    });
    assert.equal(set.breakpoints[0]?.verified, true, set.breakpoints[0]?.message);
    const threadId = await continueToHypercall(dc);
    const { hypercall } = await body<HypercallBody>(dc, 'hvdbg/hypercall', { threadId });
    assert.ok(hypercall, 'no hypercall decoded at the stop');
    assert.equal(hypercall.name, 'KVM_HC_KICK_CPU');
    const exit = await body<VmExitBody>(dc, 'hvdbg/vmExit', { threadId });
    assert.equal(exit.exit?.name, 'VMMCALL', exit.none);
    const decoded = guestNumbers(hypercall);
    await body<SetHypercallBreakpointsBody>(dc, 'hvdbg/setHypercallBreakpoints', { breakpoints: [] });
    const traced = lab.trace.waitForNext(
      /kvm_hypercall: nr (0x5) a0 (0x[0-9a-f]+) a1 (0x[0-9a-f]+) a2 (0x[0-9a-f]+) a3 (0x[0-9a-f]+)/,
      60_000,
    );
    await dc.continueRequest({ threadId: 0 });
    assert.deepEqual(decoded, traceCall(await traced));
    await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
  });
});
