// Captures the lab's KVM trace events of one window both as the kernel's own text and with trace-cmd,
// and turns the trace.dat into `trace-cmd report` text on this machine. The guest half is
// test/lab/capture.sh (/bin/hvdbg-capture in the initramfs); see test/fixtures/traces/README.md.
//
//   node out/test/lab/captureTraces.js [--seconds 1] [--out test/fixtures/traces/captures] [--name lab-6.1-svm]
//
// boots the lab with the L2 hypercall loop, captures, and writes <name>.trace.txt (the kernel's text),
// <name>.trace-cmd-report.txt (`trace-cmd report`) and <name>.trace.dat.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { bootLab, repoRoot, type Lab } from './lab';

/** What the guest reported about the capture (`HVDBG-CAP info …`). */
export interface CaptureInfo {
  /** `uname -r` of the lab kernel. */
  kernel: string;
  /** trace-cmd's version inside the lab (the same Debian binary as on this machine). */
  traceCmd: string;
  /** The requested window, seconds. */
  seconds: number;
  /** /proc/uptime when tracing was started and before it was stopped, seconds. */
  start: number;
  stop: number;
  /** /proc/uptime when trace.dat was written (after `cat trace`), seconds. */
  extracted: number;
  /** `entries-in-buffer/entries-written` of the `trace` header: equal unless events were overwritten. */
  entries: number;
  written: number;
  /** `masked`: trace.dat was written with /proc/kallsyms hidden (see capture.sh); `full` otherwise. */
  kallsyms: string;
}

export interface TraceCapture {
  /** The kernel's text: `/sys/kernel/tracing/trace` read after the window. */
  text: string;
  /** trace-cmd extract's trace.dat of the same buffer. */
  dat: Buffer;
  /** `trace-cmd report -i trace.dat`, run on this machine (with its libtraceevent plugins). */
  report: string;
  info: CaptureInfo;
  /** trace-cmd's version on this machine (the one that made `report`). */
  hostTraceCmd: string;
  /**
   * Milliseconds: command to `done` (window, extract and transfer over ttyS0), of which the transfer
   * (the info line to `done`: gzip, base64, the emulated UART), and `trace-cmd report` here.
   */
  timings: { guestMs: number; transferMs: number; reportMs: number };
}

export interface CaptureOptions {
  /** Length of the recording window, seconds (default 1). */
  seconds?: number;
  /** Give up after this long (default 180 s: transfer over the emulated UART is slow on a busy host). */
  timeoutMs?: number;
  /** trace-cmd on this machine (default `trace-cmd`). */
  traceCmd?: string;
}

/** A file sent by capture.sh, as announced by its `begin` line. */
interface Block {
  name: string;
  bytes: number;
  sha256: string;
  payload: string[];
}

const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Collects capture.sh's output from console lines: `onLine` for each line, then `result()` once `done`
 * was seen. Other writers of ttyS0 (kvm-hypercall's `HVDBG-HC …` lines, written by one write(2) each)
 * can land between two chunks of base64's output, so inside a block a line may end with such a line:
 * that tail is cut off (base64 never holds `-` or a space) and the rest of the payload joined.
 */
export class CaptureDecoder {
  private block: Block | undefined;
  private readonly files = new Map<string, Buffer>();
  private info: CaptureInfo | undefined;
  /** Date.now() when the info line arrived (the transfer starts). */
  infoAt = 0;
  /** Set by `done` (true) or `error` (the message). */
  finished: true | string | undefined;

  onLine(line: string): void {
    // capture.sh's own lines are single writes that start a line (base64's output ends with a newline).
    const marker = /^HVDBG-CAP (\w+)(?: (.*))?$/.exec(line);
    if (marker) {
      this.marker(marker[1] ?? '', marker[2] ?? '');
      return;
    }
    if (!this.block) return;
    const data = line.replace(/HVDBG-[A-Z]+[ -].*$/, '');
    if (data === '') return;
    if (!BASE64_LINE.test(data)) {
      throw new Error(
        `capture: unexpected line in ${this.block.name}: ${JSON.stringify(line.slice(0, 120))}`,
      );
    }
    this.block.payload.push(data);
  }

  private marker(kind: string, rest: string): void {
    const fields = new Map(
      rest
        .split(' ')
        .map((w) => w.split('='))
        .filter((kv): kv is [string, string] => kv.length === 2)
        .map(([k, v]) => [k, v]),
    );
    switch (kind) {
      case 'info': {
        this.infoAt = Date.now();
        const [entries, written] = (fields.get('entries') ?? '').split('/').map(Number);
        this.info = {
          kernel: fields.get('kernel') ?? '',
          traceCmd: fields.get('trace-cmd') ?? '',
          seconds: Number(fields.get('seconds')),
          start: Number(fields.get('start')),
          stop: Number(fields.get('stop')),
          extracted: Number(fields.get('extracted')),
          entries: entries ?? NaN,
          written: written ?? NaN,
          kallsyms: fields.get('kallsyms') ?? '',
        };
        return;
      }
      case 'begin':
        this.block = {
          name: rest.split(' ')[0] ?? '',
          bytes: Number(fields.get('bytes')),
          sha256: fields.get('sha256') ?? '',
          payload: [],
        };
        return;
      case 'end': {
        const b = this.block;
        if (!b || rest !== b.name) throw new Error(`capture: unexpected end ${rest}`);
        this.block = undefined;
        let data: Buffer;
        try {
          data = gunzipSync(Buffer.from(b.payload.join(''), 'base64'));
        } catch (err) {
          throw new Error(`capture: ${b.name} arrived damaged (gunzip: ${(err as Error).message})`);
        }
        const sha = createHash('sha256').update(data).digest('hex');
        if (data.length !== b.bytes || sha !== b.sha256) {
          throw new Error(
            `capture: ${b.name} arrived damaged (${data.length} bytes, sha256 ${sha}; ` +
              `sent ${b.bytes} bytes, sha256 ${b.sha256})`,
          );
        }
        this.files.set(b.name, data);
        return;
      }
      case 'done':
        this.finished = true;
        return;
      case 'error':
        this.finished = rest || 'error';
        return;
      default:
        return;
    }
  }

  /** The decoded files and the info line; throws unless `done` was seen with both files. */
  result(): { info: CaptureInfo; text: Buffer; dat: Buffer } {
    if (this.finished !== true) throw new Error(`capture failed: ${String(this.finished)}`);
    const text = this.files.get('trace.txt');
    const dat = this.files.get('trace.dat');
    if (!this.info || !text || !dat) throw new Error('capture: info, trace.txt or trace.dat missing');
    return { info: this.info, text, dat };
  }
}

function run(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** `trace-cmd report -i <dat>` on this machine (asynchronous: the lab's event loop stays free). */
export async function traceCmdReport(dat: Buffer, traceCmd = 'trace-cmd'): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'hvdbg-report-'));
  try {
    const file = path.join(dir, 'trace.dat');
    await fs.promises.writeFile(file, dat);
    return (await run(traceCmd, ['report', '-i', file])).stdout;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** `trace-cmd --version`'s number on this machine, e.g. `3.1.6`. */
export async function traceCmdVersion(traceCmd = 'trace-cmd'): Promise<string> {
  // `trace-cmd --version` prints its usage and exits 255 on 3.1; the version is in the first lines.
  const out = await new Promise<string>((resolve) => {
    execFile(traceCmd, ['--version'], { encoding: 'utf8' }, (_err, stdout, stderr) =>
      resolve(stdout + stderr),
    );
  });
  return /trace-cmd version (\S+)/.exec(out)?.[1] ?? '';
}

/**
 * Runs /bin/hvdbg-capture on the lab's console (the lab must be ready: its shell reads ttyS0) and
 * returns the kernel's text, the trace.dat and this machine's `trace-cmd report` of it.
 */
export async function captureTraces(lab: Lab, opts: CaptureOptions = {}): Promise<TraceCapture> {
  const seconds = opts.seconds ?? 1;
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const decoder = new CaptureDecoder();
  const t0 = Date.now();
  let unsubscribe: () => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`capture: no HVDBG-CAP done within ${timeoutMs} ms`));
    }, timeoutMs);
    unsubscribe = lab.console.onLine((line) => {
      try {
        decoder.onLine(line);
      } catch (err) {
        decoder.finished = (err as Error).message;
      }
      if (decoder.finished !== undefined) {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
    void lab.exited.then(() => {
      clearTimeout(timer);
      unsubscribe();
      reject(new Error('capture: QEMU exited'));
    });
  });
  lab.console.write(`hvdbg-capture ${seconds}\n`);
  await finished;
  const { info, text, dat } = decoder.result();
  const guestMs = Date.now() - t0;
  const transferMs = Date.now() - decoder.infoAt;
  const t1 = Date.now();
  const report = await traceCmdReport(dat, opts.traceCmd);
  const reportMs = Date.now() - t1;
  return {
    text: text.toString('utf8'),
    dat,
    report,
    info,
    hostTraceCmd: await traceCmdVersion(opts.traceCmd),
    timings: { guestMs, transferMs, reportMs },
  };
}

/** Event lines of the kernel's text and of the report (not `#` comments, not trace-cmd's headers). */
export function eventLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s*(?:\S+:\s+)?.+-\d+\s+\[\d+\]\s/.test(l) && !l.startsWith('#'));
}

const usage = `usage: node out/test/lab/captureTraces.js [options]
  --seconds S   recording window (default 1)
  --out DIR     where to write (default test/fixtures/traces/captures)
  --name NAME   file name stem (default lab-<kernel series>-svm)
  -h, --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const seconds = Number(values.seconds ?? '1');
  const out = path.resolve(values.out ?? path.join(repoRoot(), 'test', 'fixtures', 'traces', 'captures'));
  const t0 = Date.now();
  const lab = await bootLab({ kvm: true });
  try {
    const tReady = Date.now() - t0;
    await lab.console.waitFor(/HVDBG-HC seq=\d+ .*nr=18193 /, 60_000); // the loop runs
    const cap = await captureTraces(lab, { seconds });
    const series = /^(\d+\.\d+)\./.exec(cap.info.kernel)?.[1] ?? 'x';
    const name = values.name ?? `lab-${series}-svm`;
    await fs.promises.mkdir(out, { recursive: true });
    const files: [string, string | Buffer][] = [
      [`${name}.trace.txt`, cap.text],
      [`${name}.trace-cmd-report.txt`, cap.report],
      [`${name}.trace.dat`, cap.dat],
    ];
    for (const [f, data] of files) await fs.promises.writeFile(path.join(out, f), data);
    const qemu = (await run(lab.qemuPath, ['--version'])).stdout.split('\n')[0] ?? '';
    const summary = {
      kernel: cap.info.kernel,
      packageVersion: lab.manifest.packageVersion,
      qemu,
      qemuArgs: lab.qemuArgs.join(' '),
      traceCmdGuest: cap.info.traceCmd,
      traceCmdHost: cap.hostTraceCmd,
      window: `${cap.info.seconds} s requested, uptime ${cap.info.start}..${cap.info.stop}, extracted ${cap.info.extracted}`,
      entries: `${cap.info.entries}/${cap.info.written}`,
      kallsyms: cap.info.kallsyms,
      textEvents: eventLines(cap.text).length,
      reportEvents: eventLines(cap.report).length,
      bytes: Object.fromEntries(files.map(([f, d]) => [f, Buffer.byteLength(d)])),
      ms: { boot: tReady, ...cap.timings },
    };
    console.log(JSON.stringify(summary, null, 2));
    console.log(`written to ${out}`);
  } finally {
    await lab.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
