/**
 * What decoding a hypercall adds to a stop, against the same stops without it, in one run.
 *
 *   node out/bench/hypercallStop.bench.js [blocks] [steps]
 *
 * The lab's L2 guest issues hypercalls in a loop; each block continues to `kvm_emulate_hypercall` and
 * single-steps N instructions in it, sending after every stop what VS Code sends (stackTrace, scopes,
 * the Registers scope's variables). Blocks alternate: `hv hypercall auto off` (no analysis at the stop,
 * no Hypercall scope) and `auto on` plus the Hypercall scope's variables (registers read from
 * `vcpu->arch.regs`, the instruction at RIP read and decoded, the call named). Bar (issue 4): the
 * median difference per stop under 10 ms.
 */
import { performance } from 'node:perf_hooks';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { bootLab } from '../test/lab/lab';
import { attach, labAttachConfig, repl, startClient, stopAfter } from '../test/integration/support/session';
import { median } from './support/rawGdb';

const blocks = Number(process.argv[2] ?? 6);
const steps = Number(process.argv[3] ?? 20);

async function block(dc: DebugClient, withHypercall: boolean): Promise<number[]> {
  await repl(dc, `hv hypercall auto ${withHypercall ? 'on' : 'off'}`);
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] });
  const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  const threadId = hit.body.threadId ?? 1;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await stopAfter(dc, () => dc.stepInRequest({ threadId, granularity: 'instruction' }));
    const frames = (await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 20 })).body.stackFrames;
    const frameId = frames[0]?.id ?? 0;
    const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
    const wanted = scopes.filter((s) => s.name === 'Registers' || (withHypercall && s.name === 'Hypercall'));
    if (withHypercall && !wanted.some((s) => s.name === 'Hypercall')) throw new Error('no Hypercall scope');
    await Promise.all(wanted.map((s) => dc.variablesRequest({ variablesReference: s.variablesReference })));
    times.push(performance.now() - t);
  }
  return times;
}

async function main(): Promise<void> {
  const lab = await bootLab({ kvm: true });
  try {
    await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
    const dc = await startClient(60_000);
    try {
      await attach(dc, labAttachConfig(lab, { trace: false }));
      const off: number[] = [];
      const on: number[] = [];
      for (let b = 0; b < blocks; b++) {
        const withHypercall = b % 2 === 1;
        (withHypercall ? on : off).push(...(await block(dc, withHypercall)));
      }
      const mOff = median(off);
      const mOn = median(on);
      const added = mOn - mOff;
      console.log(
        `stop + stackTrace + scopes + Registers, no Hypercall scope: median ${mOff.toFixed(2)} ms (${off.length} stops)`,
      );
      console.log(
        `the same + Hypercall scope (decoded):                     median ${mOn.toFixed(2)} ms (${on.length} stops)`,
      );
      console.log(
        `added by decoding the hypercall: ${added.toFixed(2)} ms per stop (bar: < 10 ms) ${added < 10 ? 'PASS' : 'FAIL'}`,
      );
      if (added >= 10) process.exitCode = 1;
    } finally {
      await dc.stop();
    }
  } finally {
    await lab.stop();
  }
}

void main();
