/**
 * Attach and step latency of hvdbg against gdb itself, on the same lab guest in the same run.
 *
 *   npm run bench:attach-step          (node out/bench/attachStep.bench.js [rounds] [steps])
 *
 * Rounds alternate between plain gdb (MI, no wrapper) and the hvdbg adapter over DAP, each attaching to
 * the guest, continuing to kvm_emulate_hypercall (the L2 guest issues hypercalls in a loop, so the code
 * stepped is the same), single-stepping N instructions, and detaching. Bars (issue "F5 attaches ..."):
 * DAP instruction step within 1.3x gdb's stepi; a step plus the requests VS Code sends after every stop
 * under 25 ms median; attach within gdb's attach + 300 ms, symbol loading excluded.
 */
import { performance } from 'node:perf_hooks';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../test/lab/lab';
import { labAttachConfig, startClient, stopAfter } from '../test/integration/support/session';
import { median, RawGdb } from './support/rawGdb';

const rounds = Number(process.argv[2] ?? 3);
const steps = Number(process.argv[3] ?? 200);

interface Round {
  attachMs: number;
  symbolsMs: number;
  stepMs: number[];
  stepWithViewsMs?: number[];
  roundTripMs?: number[];
}

/** The same symbol files the adapter loads from labAttachConfig: vmlinux, kvm.ko and kvm-amd.ko with sections. */
function symbolArgs(lab: Lab): string[] {
  const commands = [`-file-exec-and-symbols ${lab.manifest.vmlinux}`];
  const config = labAttachConfig(lab, { trace: false }) as {
    symbolFiles: { path: string; address: string; sections: Record<string, string> }[];
  };
  for (const file of config.symbolFiles) {
    const sections = Object.entries(file.sections)
      .map(([name, at]) => ` -s ${name} ${at}`)
      .join('');
    commands.push(`-interpreter-exec console "add-symbol-file ${file.path} ${file.address}${sections}"`);
  }
  return commands;
}

async function gdbRound(lab: Lab): Promise<Round> {
  const gdb = RawGdb.start();
  for (const s of ['mi-async on', 'pagination off', 'confirm off', 'index-cache enabled on']) {
    await gdb.command(`-gdb-set ${s}`);
  }
  let t = performance.now();
  for (const c of symbolArgs(lab)) await gdb.command(c);
  const symbolsMs = performance.now() - t;
  t = performance.now();
  await gdb.command(`-target-select remote ${lab.gdbSocket}`);
  await gdb.command('-thread-info');
  await gdb.command('-stack-list-frames 0 0');
  const attachMs = performance.now() - t;
  await gdb.command('-gdb-set scheduler-locking step');
  await gdb.command('-break-insert -h kvm_emulate_hypercall');
  const hit = await gdb.untilStopped('-exec-continue');
  const thread = /thread-id="(\d+)"/.exec(hit)?.[1] ?? '1';
  await gdb.command('-break-delete');
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s = performance.now();
    await gdb.untilStopped(`-exec-step-instruction --thread ${thread}`);
    stepMs.push(performance.now() - s);
  }
  await gdb.command('-target-detach');
  await gdb.exit();
  return { attachMs, symbolsMs, stepMs };
}

async function dapRound(lab: Lab): Promise<Round> {
  const dc = await startClient(60_000);
  let symbolsMs = 0;
  dc.on('output', (e: DebugProtocol.OutputEvent) => {
    const m = /loaded .* in (\d+) ms/.exec(e.body.output);
    if (m?.[1] !== undefined) symbolsMs += Number(m[1]);
  });
  const config = labAttachConfig(lab, { sourcePaths: [], sourceFileMap: {}, trace: false });
  const t = performance.now();
  const entry = dc.waitForEvent('stopped');
  await dc.attachRequest(config);
  await dc.configurationDoneRequest();
  const first = (await entry) as DebugProtocol.StoppedEvent;
  await dc.threadsRequest();
  await dc.stackTraceRequest({ threadId: first.body.threadId ?? 1, levels: 1 });
  const attachMs = performance.now() - t - symbolsMs;
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] });
  const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
  const threadId = hit.body.threadId ?? 1;
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s = performance.now();
    await stopAfter(dc, () => dc.stepInRequest({ threadId, granularity: 'instruction' }));
    stepMs.push(performance.now() - s);
  }
  // The DAP transport alone: a request the adapter answers without gdb (threads, cached after the first).
  const roundTripMs: number[] = [];
  await dc.threadsRequest();
  for (let i = 0; i < steps; i++) {
    const s = performance.now();
    await dc.threadsRequest();
    roundTripMs.push(performance.now() - s);
  }
  // Then steps followed by what VS Code asks after every stop, with the Registers scope expanded.
  const stepWithViewsMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s = performance.now();
    await stopAfter(dc, () => dc.stepInRequest({ threadId, granularity: 'instruction' }));
    await dc.threadsRequest();
    const frames = (await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 20 })).body.stackFrames;
    const scopes = (await dc.scopesRequest({ frameId: frames[0]?.id ?? 0 })).body.scopes;
    const registers = scopes.find((x) => x.name === 'Registers');
    await dc.variablesRequest({ variablesReference: registers?.variablesReference ?? 0 });
    stepWithViewsMs.push(performance.now() - s);
  }
  await dc.disconnectRequest({});
  await dc.stop();
  return { attachMs, symbolsMs, stepMs, stepWithViewsMs, roundTripMs };
}

async function main(): Promise<void> {
  const lab = await bootLab({ kvm: true });
  try {
    await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
    const gdb: Round[] = [];
    const dap: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      gdb.push(await gdbRound(lab));
      dap.push(await dapRound(lab));
    }
    const gdbStep = median(gdb.flatMap((x) => x.stepMs));
    const dapStep = median(dap.flatMap((x) => x.stepMs));
    const dapViews = median(dap.flatMap((x) => x.stepWithViewsMs ?? []));
    const gdbAttach = median(gdb.map((x) => x.attachMs));
    const dapAttach = median(dap.map((x) => x.attachMs));
    const row = (name: string, value: number, reference: string, bar: string) =>
      `${name.padEnd(44)} ${value.toFixed(2).padStart(9)} ms   ${reference.padEnd(28)} ${bar}`;
    console.log(
      `hvdbg attach/step benchmark: ${rounds} rounds x ${steps} steps, lab kernel ${lab.manifest.kernelVersion}`,
    );
    console.log(row('gdb stepi (MI, median)', gdbStep, 'reference', ''));
    console.log(
      row(
        'hvdbg DAP instruction step (median)',
        dapStep,
        `${(dapStep / gdbStep).toFixed(2)}x gdb`,
        'bar <= 1.30x',
      ),
    );
    console.log(row('hvdbg step + threads/stack/scopes/registers', dapViews, '', 'bar < 25 ms'));
    console.log(
      row(
        'DAP round trip without gdb (cached threads)',
        median(dap.flatMap((x) => x.roundTripMs ?? [])),
        '',
        '',
      ),
    );
    console.log(row('gdb attach to first stop (no symbols)', gdbAttach, 'reference', ''));
    console.log(
      row(
        'hvdbg attach to first stop (no symbols)',
        dapAttach,
        `+${(dapAttach - gdbAttach).toFixed(0)} ms vs gdb`,
        'bar <= +300 ms',
      ),
    );
    console.log(row('symbol load, gdb (vmlinux + kvm.ko)', median(gdb.map((x) => x.symbolsMs)), '', ''));
    console.log(row('symbol load, hvdbg (vmlinux)', median(dap.map((x) => x.symbolsMs)), '', ''));
  } finally {
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
