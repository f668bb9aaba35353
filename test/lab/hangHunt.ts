// Hunts the lab's create/destroy hang (test/lab/README.md, "Why TCG runs single-threaded"): boots the lab
// with its KVM program N times in a row and, when a boot does not get through its steps within a bound,
// records lab.diagnose() (what a test's error would show), then attaches hvdbg itself (dist/adapter.js
// through DebugClient, symbols from labAttachConfig) and records every vCPU's stack, QEMU's
// `info registers -a` and the console's last lines. Neither sets a breakpoint or steps: under TCG that
// flushes the translated code, which ends this hang.
//
//   node out/test/lab/hangHunt.js N [--cpus 2] [--tcg single|multi] [--cycles 1] [--bound-ms 120000] [--out DIR] [--keep]
//                                   [--append "kernel words"] [--kvm-args "-n 3"]
//
// One boot ("a run"): QEMU starts; `HVDBG-LAB ready`; the KVM program's first `HVDBG-HC` line (the VM
// and its vCPU exist: KVM enabled SVM on every CPU); its `HVDBG-KVM done` (it ran `-n` rounds and
// exits: the VM is destroyed); then the console shell waits until kvm_amd's module count is 0 (the
// last VM is gone: kvm_destroy_vm got through hardware_disable_all) and prints a marker. `--cycles C`
// runs the program C-1 more times from the console shell (create, hypercalls, destroy each time).
// The lab is stopped and the next run boots. Each step has its own bound; a step that does not end
// within it is a hang: the report goes to DIR/hang-<run>.txt (default out/hang-hunt) and to stdout.
// `--keep` leaves a hung lab running (gdb line printed) until Ctrl-C.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, gdbCommandFor, prepareLab, repoRoot, shellQuote, type Lab } from './lab';
import { labAttachConfig, repl } from '../integration/support/session';

const ADAPTER = process.env['HVDBG_HUNT_ADAPTER'] ?? path.join(repoRoot(), 'dist', 'adapter.js');

class StepTimeout extends Error {
  constructor(
    readonly step: string,
    readonly ms: number,
  ) {
    super(`${step}: not done within ${ms} ms`);
  }
}

async function step<T>(name: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeout(name, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The first console line matching `re` (among past lines too unless `onlyNew`). No timer of its own: the
 * step's bound is hangHunt's, so that lab.ts's own report does not race hvdbg's attach.
 */
function seen(lab: Lab, re: RegExp, onlyNew = false): Promise<RegExpMatchArray> {
  if (!onlyNew) {
    for (const l of lab.console.lines) {
      const m = l.match(re);
      if (m) return Promise.resolve(m);
    }
  }
  return new Promise((resolve, reject) => {
    const off = lab.console.onLine((l) => {
      const m = l.match(re);
      if (m) {
        off();
        resolve(m);
      }
    });
    void lab.exited.then(() => {
      off();
      reject(new Error(`QEMU exited while waiting for ${String(re)}`));
    });
  });
}

/** A console line the shell prints only when it runs the command (the echo of the typed line differs). */
let markerSeq = 0;
async function shell(lab: Lab, command: string, ms: number, name: string): Promise<RegExpMatchArray> {
  markerSeq++;
  const wait = seen(lab, new RegExp(`HVDBG-HUNT-${markerSeq}-ok rc=(\\d+)`), true);
  lab.console.write(`${command}; echo HVDBG-HUNT-${markerSeq}-o""k rc=$?\n`);
  return step(name, ms, wait);
}

/** Waits for the console line, past or future; named step. */
function line(lab: Lab, re: RegExp, ms: number, name: string): Promise<RegExpMatchArray> {
  return step(name, ms, seen(lab, re));
}

function fmtFrame(f: DebugProtocol.StackFrame): string {
  const where = f.source?.path ? ` at ${f.source.path.replace(/.*linux-source-6\.1\//, '')}:${f.line}` : '';
  return `${f.instructionPointerReference ?? '?'} ${f.name}${where}`;
}

/** session.ts's attach, but a failed attach does not leave the `stopped` wait to reject unhandled. */
async function attachSafely(
  dc: DebugClient,
  config: Record<string, unknown>,
): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  const initialized = dc.waitForEvent('initialized');
  stopped.catch(() => undefined);
  initialized.catch(() => undefined);
  await dc.attachRequest(config);
  await initialized;
  await dc.configurationDoneRequest();
  return stopped;
}

async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  return step(what, ms, p);
}

/** Attaches hvdbg to the hung lab and writes what it sees: threads, stacks, registers, console. */
async function diagnose(lab: Lab, failure: string, run: number): Promise<string> {
  const out: string[] = [
    `# run ${run}: ${failure}`,
    `QEMU ${lab.qemuPath} ${lab.qemuArgs.map(shellQuote).join(' ')}`,
  ];
  // First what a test would print (lab.ts: info registers -a, then gdb's bt; no breakpoint, no step).
  const t0 = Date.now();
  const cheap = await lab.diagnose();
  out.push('', `## lab.diagnose() (${Date.now() - t0} ms)`, cheap);
  out.push('', '## console (last 40 lines)', ...lab.console.lines.slice(-40));
  out.push('', '## trace (last 10 lines)', ...lab.trace.lines.slice(-10));
  const dc = new DebugClient('node', ADAPTER, 'hvdbg');
  dc.defaultTimeout = 120_000;
  const adapterOutput: string[] = [];
  try {
    await withTimeout('adapter start', 30_000, dc.start());
    await withTimeout(
      'initialize',
      30_000,
      dc.initializeRequest({
        adapterID: 'hvdbg',
        pathFormat: 'path',
        linesStartAt1: true,
        columnsStartAt1: true,
      }),
    );
    dc.on('output', (e: DebugProtocol.OutputEvent) => adapterOutput.push(e.body.output.trimEnd()));
    const entry = await withTimeout('attach', 180_000, attachSafely(dc, labAttachConfig(lab)));
    out.push(
      '',
      `## hvdbg attached: stopped (${entry.body.reason}) on thread ${String(entry.body.threadId)}`,
    );
    const threads = (await dc.threadsRequest()).body.threads;
    for (const t of threads) {
      out.push('', `## ${t.name} (thread ${t.id})`);
      try {
        const frames = (await dc.stackTraceRequest({ threadId: t.id, startFrame: 0, levels: 40 })).body
          .stackFrames;
        frames.forEach((f, i) => out.push(`#${i} ${fmtFrame(f)}`));
      } catch (err) {
        out.push(`stackTrace failed: ${String(err)}`);
      }
    }
    out.push('', '## monitor info registers -a');
    try {
      out.push(await repl(dc, 'monitor info registers -a'));
    } catch (err) {
      out.push(`failed: ${String(err)}`);
    }
    for (const expr of (process.env['HVDBG_HUNT_EVAL'] ?? '').split(';;').filter(Boolean)) {
      out.push('', `## ${expr}`);
      try {
        out.push(await repl(dc, expr));
      } catch (err) {
        out.push(`failed: ${String(err)}`);
      }
    }
  } catch (err) {
    out.push('', `hvdbg diagnosis failed: ${err instanceof Error ? err.message : String(err)}`);
    out.push('', '## adapter output', ...adapterOutput.slice(-30));
  } finally {
    try {
      await withTimeout('adapter stop', 20_000, dc.stop());
    } catch {
      // the adapter process goes with us
    }
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      cpus: { type: 'string', default: '2' },
      cycles: { type: 'string', default: '1' },
      'bound-ms': { type: 'string', default: '120000' },
      out: { type: 'string', default: path.join(repoRoot(), 'out', 'hang-hunt') },
      append: { type: 'string' },
      'kvm-args': { type: 'string', default: '-n 3' },
      tcg: { type: 'string', default: 'single' },
      keep: { type: 'boolean', default: false },
      'stop-at-first': { type: 'boolean', default: false },
    },
  });
  const runs = Number(positionals[0] ?? '20');
  const cpus = Number(values.cpus);
  const cycles = Number(values.cycles);
  const bound = Number(values['bound-ms']);
  const kvmArgs = values['kvm-args'].split(/\s+/).filter(Boolean);
  fs.mkdirSync(values.out, { recursive: true });
  const manifest = await prepareLab();
  const t0 = Date.now();
  const hangs: { run: number; step: string; file: string }[] = [];
  const errors: { run: number; message: string }[] = [];
  const times: number[] = [];
  let vmCycles = 0;
  for (let run = 1; run <= runs; run++) {
    const tRun = Date.now();
    let lab: Lab | undefined;
    let current = 'boot (QEMU start, gdbstub socket)';
    try {
      lab = await step(
        current,
        bound,
        bootLab({
          kvm: true,
          kvmArgs,
          cpus,
          tcgThread: values.tcg === 'multi' ? 'multi' : 'single',
          manifest,
          waitReady: false,
          readyTimeoutMs: bound,
          ...(values.append ? { append: values.append } : {}),
        }),
      );
      const l = lab;
      current = 'boot to HVDBG-LAB ready (kvm modules loaded)';
      await line(l, /HVDBG-LAB ready/, bound, current);
      await step(
        'readiness parsed',
        5000,
        (async () => {
          while (l.kvmText === undefined) await new Promise((r) => setTimeout(r, 10));
        })(),
      );
      if (l.console.lines.some((x) => /HVDBG-(LAB|KVM) error/.test(x))) {
        throw new Error(`guest error: ${l.console.lines.filter((x) => /error/.test(x)).join(' | ')}`);
      }
      current = 'KVM program: first HVDBG-HC line (VM created, SVM enabled on every CPU)';
      await line(l, /HVDBG-HC seq=1 /, bound, current);
      current = 'KVM program: HVDBG-KVM done (rounds over, VM being destroyed)';
      await line(l, /HVDBG-KVM done/, bound, current);
      current = 'teardown: kvm_amd refcnt 0 (kvm_destroy_vm done, SVM disabled on every CPU)';
      await shell(
        l,
        'while [ "$(cat /sys/module/kvm_amd/refcnt)" != 0 ]; do sleep 0.05; done',
        bound,
        current,
      );
      vmCycles++;
      for (let c = 2; c <= cycles; c++) {
        current = `cycle ${c}/${cycles}: kvm-hypercall ${kvmArgs.join(' ')} -q from the console (create, run, destroy)`;
        const m = await shell(l, `kvm-hypercall ${kvmArgs.join(' ')} -q`, bound, current);
        if (m[1] !== '0') throw new Error(`${current}: exit status ${m[1]}`);
        vmCycles++;
      }
      current = 'lab.stop()';
      await step(current, 30_000, l.stop());
      const ms = Date.now() - tRun;
      times.push(ms);
      console.log(`run ${run}/${runs}: ok in ${ms} ms (${vmCycles} VM cycles so far, ${hangs.length} hangs)`);
    } catch (err) {
      if (err instanceof StepTimeout && lab) {
        console.log(
          `run ${run}/${runs}: HANG at "${err.step}" after ${Date.now() - tRun} ms; attaching hvdbg`,
        );
        const report = await diagnose(lab, err.message, run);
        const file = path.join(values.out, `hang-${run}.txt`);
        fs.writeFileSync(file, `${report}\n`);
        console.log(report);
        hangs.push({ run, step: err.step, file });
        if (values.keep) {
          console.log(
            `\nlab kept running; gdb: ${gdbCommandFor(lab).map(shellQuote).join(' ')}\nCtrl-C to stop`,
          );
          await new Promise((resolve) => process.once('SIGINT', resolve));
        }
      } else {
        const message = err instanceof Error ? err.message : String(err);
        console.log(`run ${run}/${runs}: FAILED at "${current}": ${message}`);
        errors.push({ run, message });
      }
      await lab?.stop();
      if (values['stop-at-first']) break;
    }
  }
  const total = Date.now() - t0;
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `\n${runs} runs (${cpus} vCPUs, TCG thread=${values.tcg}, ${cycles} VM cycle(s) per boot): ${times.length} ok, ${hangs.length} hangs, ` +
      `${errors.length} other failures; ${vmCycles} VM create/destroy cycles; total ${(total / 1000).toFixed(1)} s, ` +
      `median run ${median} ms, max ${sorted[sorted.length - 1] ?? 0} ms`,
  );
  for (const h of hangs) console.log(`  hang in run ${h.run} at "${h.step}": ${h.file}`);
  for (const e of errors) console.log(`  failure in run ${e.run}: ${e.message}`);
  process.exitCode = hangs.length + errors.length > 0 ? 1 : 0;
}

process.on('unhandledRejection', (err) => console.error('unhandled rejection (ignored):', err));

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
