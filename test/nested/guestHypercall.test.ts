/**
 * Guest side on a real Linux guest of KVM (issue 4): hvdbg attached to L2 of the nested lab, an L2 Linux
 * run by QEMU -accel kvm inside the L1 lab guest (test/lab/nested/README.md). Slow to boot (L0 TCG → L1
 * KVM → L2), so a lane of its own (scripts/run-tests.sh nested).
 *
 * Checked against independent sources: L2's own kernel log (the "Booting paravirtualized kernel on"
 * line), the ELF file (vmcall) versus guest memory read through QEMU's stub (vmmcall, patched at boot on
 * AMD by the alternatives), and the loop's own printed addresses (test/lab/nested/l2-hypercall.c) versus
 * the stub's RIP and bytes. Breakpoints do not fire in L2 under L0 TCG, so the hypercall site is reached by
 * single-stepping the vCPU that runs the user-space `vmmcall` loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { HypercallSitesBody } from '../../adapter/protocol/hypercallRequests';
import {
  bootNestedLab,
  parseHypercallLoop,
  type L2HypercallLoop,
  type NestedLab,
} from '../lab/nested/nested';
import {
  attach,
  registers,
  repl,
  request,
  startClient,
  stopAfter,
  topFrame,
} from '../integration/support/session';

interface SitesResponse extends DebugProtocol.Response {
  body: HypercallSitesBody;
}

describe('a Linux guest of KVM (the nested lab, L2)', { timeout: 900_000 }, () => {
  let nested: NestedLab;
  let dc: DebugClient;
  let entry: DebugProtocol.StoppedEvent;
  let attachMs = 0;
  let loop: L2HypercallLoop;

  before(async () => {
    nested = await bootNestedLab({ log: (line) => process.stderr.write(`${line}\n`) });
    // The IPI loop runs: L2's kernel is issuing KVM_HC_SEND_IPI (see test/lab/nested/init-l2).
    await nested.l2Console.waitFor(/HVDBG-L2 ipi round=2/, 120_000);
    // The user-space hypercall loop runs on the last vCPU (test/lab/nested/l2-hypercall.c).
    const hcLine = (await nested.l2Console.waitFor(/HVDBG-L2 hcloop .*/, 120_000))[0];
    const parsed = parseHypercallLoop(hcLine);
    assert.ok(parsed, `cannot parse ${hcLine}`);
    loop = parsed;
    const t0 = Date.now();
    await nested.prepareL2Attach();
    // Memory reads cross a 115200-baud UART twice (L1's ttyS2): generous client timeout.
    dc = await startClient(120_000);
    const m = nested.l1.manifest;
    entry = await attach(dc, {
      target: `unix:${nested.l2GdbSocket}`,
      program: m.vmlinux,
      sourcePaths: m.sourceRoot === '' ? [] : [m.sourceRoot],
      sourceFileMap: Object.fromEntries(m.sourceMap.map((e) => [e.from, e.to])),
    });
    attachMs = Date.now() - t0;
    const { prepareMs, l1Ms, l2Ms } = nested.timings;
    process.stderr.write(
      `nested lab: prepare ${prepareMs} ms, L1 init ${l1Ms} ms, L2 ready ${l2Ms} ms, hvdbg attach ${attachMs} ms\n`,
    );
  });

  after(async () => {
    await dc?.stop();
    await nested?.stop();
  });

  test('L2 is a Linux guest of KVM with PV send-IPI', () => {
    assert.equal(nested.l2.pv, 'KVM');
    assert.equal(nested.l2.pvIpi, true);
    assert.equal(nested.l2.cpus, 3);
    assert.equal(nested.l2.kernel, nested.l1.manifest.kernelVersion);
  });

  test('hvdbg attaches to L2 through L1 QEMU’s gdbstub and stops', async () => {
    assert.equal(entry.event, 'stopped');
    const threads = (await dc.threadsRequest()).body.threads;
    assert.equal(threads.length, 3, `one thread per L2 vCPU: ${JSON.stringify(threads)}`);
  });

  test('pv_info.name reads "KVM" in L2 memory (an expression, and hv pvops)', async () => {
    const value = (await dc.evaluateRequest({ expression: 'pv_info.name', context: 'watch' })).body.result;
    assert.match(value, /"KVM"/);
    const pvops = await repl(dc, 'hv pvops');
    assert.match(pvops, /KVM/);
  });

  test('the PV send-IPI site holds vmmcall in L2 memory, vmcall in the ELF', async () => {
    const body = (await request<SitesResponse>(dc, 'hvdbg/hypercallSites', {})).body;
    const group = body.functions.find(
      (g) => g.function === '__send_ipi_mask' && g.sites.some((s) => s.symbol.file?.endsWith('kvm_para.h')),
    );
    assert.ok(group, `no __send_ipi_mask group: ${body.functions.map((g) => g.function).join(', ')}`);
    assert.ok(group.sites.length >= 1);
    for (const site of group.sites) {
      assert.equal(site.liveError, undefined, site.liveError);
      assert.equal(site.elfInstruction, 'vmcall');
      assert.equal(site.instruction, 'vmmcall');
      assert.equal(site.abi, 'kvm');
      // Independently: the stub's bytes at the site are VMMCALL's encoding (AMD APM Vol. 3: 0F 01 D9).
      const mem = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
        memoryReference: site.address,
        count: 3,
      });
      assert.equal(Buffer.from(mem.body?.data ?? '', 'base64').toString('hex'), '0f01d9');
    }
  });

  test('off a hypercall, hv hypercall says so instead of guessing', async () => {
    const text = await repl(dc, 'hv hypercall');
    assert.match(text, /^no hypercall/);
  });

  test('a hypercall site in L2: stepped onto, decoded, stepped over, the result decoded', async () => {
    // Breakpoints do not fire in L2 under L0 TCG (test/lab/nested/README.md): find the vCPU running the
    // user-space loop of l2-hypercall.c, and single-step it onto its `vmmcall`.
    const inLoop = (pc: bigint) => pc >= loop.start && pc < loop.end;
    const pcOf = async (threadId: number) =>
      BigInt((await topFrame(dc, threadId)).instructionPointerReference ?? '-1');
    let tid = 0;
    const seen: string[] = [];
    for (let attempt = 0; attempt < 10 && tid === 0; attempt++) {
      if (attempt > 0) {
        // The vCPU was in the kernel (a timer, the VM exit's return path): let the guest run until the
        // loop's next heartbeat line (it prints one every 1024 calls), so that the loop surely runs.
        const beat = nested.l2Console.waitForNext(/HVDBG-L2 hc-alive/, 60_000);
        await dc.continueRequest({ threadId: 0 });
        await beat;
        await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
      }
      for (const t of (await dc.threadsRequest()).body.threads) {
        const pc = await pcOf(t.id);
        seen.push(`${t.id}:0x${pc.toString(16)}`);
        if (inLoop(pc)) tid = t.id;
      }
    }
    assert.ok(tid > 0, `no vCPU in the loop 0x${loop.start.toString(16)}..: ${seen.join(' ')}`);

    let pc = await pcOf(tid);
    const found = pc;
    let steps = 0;
    for (let i = 0; i < 16 && pc !== loop.vmmcall; i++, steps++) {
      const stepped = await stopAfter(dc, () =>
        dc.stepInRequest({ threadId: tid, granularity: 'instruction' }),
      );
      assert.equal(stepped.body.reason, 'step');
      pc = await pcOf(tid);
      assert.ok(inLoop(pc), `stepi left the loop: pc 0x${pc.toString(16)}`);
    }
    assert.equal(pc, loop.vmmcall, 'stepped onto the vmmcall');
    // Independently: the bytes at RIP are VMMCALL (AMD APM Vol. 3: 0F 01 D9), read from L2's user space.
    const mem = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
      memoryReference: `0x${pc.toString(16)}`,
      count: 3,
    });
    assert.equal(Buffer.from(mem.body?.data ?? '', 'base64').toString('hex'), '0f01d9');

    // The Hypercall scope of frame 0 decodes the call from the registers the loop set.
    const frameId = (await topFrame(dc, tid)).id;
    const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
    const scope = scopes.find((sc) => sc.name === 'Hypercall');
    assert.ok(scope, `no Hypercall scope: ${scopes.map((sc) => sc.name).join(', ')}`);
    const rows = new Map(
      (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables.map(
        (v) => [v.name, v.value],
      ),
    );
    assert.equal(rows.get('call'), 'KVM_HC_SCHED_YIELD');
    assert.equal(rows.get('number'), '0xb');
    assert.equal(rows.get('dest_apicid'), '0x1111 (rbx)');
    assert.match(rows.get('result') ?? '', /^not yet/);
    assert.equal(rows.get('instruction'), `vmmcall at 0x${loop.vmmcall.toString(16)}`);
    const before = await repl(dc, 'hv hypercall', frameId);
    assert.match(before, /^guest: KVM_HC_SCHED_YIELD \(.*number 0xb in rax\)/);
    assert.match(before, /dest_apicid\s+0x1111\s+rbx/);
    // The ABI comes from the guest kernel's own word (pv_info.name "KVM"), not from a default.
    assert.doesNotMatch(before, /ABI assumed/);

    // Step over it: KVM refuses a hypercall from CPL 3 with -KVM_EPERM (arch/x86/kvm/x86.c).
    const over = await stopAfter(dc, () => dc.stepInRequest({ threadId: tid, granularity: 'instruction' }));
    assert.equal(over.body.reason, 'step');
    const after = await pcOf(tid);
    assert.equal(after, loop.vmmcall + 3n, `after the vmmcall: pc 0x${after.toString(16)}`);
    const frameAfter = (await topFrame(dc, tid)).id;
    const text = await repl(dc, 'hv hypercall', frameAfter);
    assert.match(text, /^guest: KVM_HC_SCHED_YIELD/);
    assert.match(text, /result\s+-1 \(-KVM_EPERM\)/);
    const regs = await registers(dc, frameAfter);
    assert.equal(BigInt(regs.get('rax')?.value ?? '0'), 0xffffffffffffffffn);
    assert.equal(BigInt(regs.get('rbx')?.value ?? '0'), 0x1111n);
    process.stderr.write(
      `nested lab: hypercall loop on thread ${tid} at 0x${found.toString(16)}, ${steps} stepi to the vmmcall; after the step:\n${text}\n`,
    );
  });
});
