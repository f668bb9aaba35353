// The hvdbg lab: a Debian kernel booted by QEMU (TCG, -cpu max) with kvm_amd loaded, optionally running
// an L2 guest that issues KVM hypercalls. Tests, benchmarks and the demo use it; see test/lab/README.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { reportVcpus } from './vcpuReport';

export interface LabManifest {
  /** `uname -r` of the lab kernel, e.g. 6.1.0-56-cloud-amd64. */
  kernelVersion: string;
  /** Debian package version, e.g. 6.1.192-2. */
  packageVersion: string;
  imagePackage: string;
  /** Bootable bzImage. */
  vmlinuz: string;
  /** vmlinux with DWARF (from the -dbg package). */
  vmlinux: string;
  /** kvm.ko with DWARF (from the -dbg package); load it at the address in `Lab.kvmText`. */
  kvmKo: string;
  /** kvm-amd.ko with DWARF (from the -dbg package). */
  kvmAmdKo: string;
  /** gzip'd newc initramfs: busybox, /init, the modules, kvm-hypercall. */
  initrd: string;
  /** Root of the linux-source tree matching the image ('' when no source at the image's version). */
  sourceRoot: string;
  /** The kernel's .config. */
  config: string;
  /** The static kvm-hypercall binary that is in the initramfs. */
  kvmHypercall: string;
  /** The loadable (stripped) modules that are in the initramfs. */
  modules: { irqbypass: string; kvm: string; kvmAmd: string };
  /** What the DWARF says about paths (see README "Source paths"). */
  dwarf: {
    /** DW_AT_comp_dir of C units, relative: debian/build/build_amd64_none_cloud-amd64. */
    compDir: string;
    /** DW_AT_name of the unit holding kvm_emulate_hypercall: arch/x86/kvm/x86.c (relative to the source root). */
    x86cName: string;
    /** DW_AT_comp_dir of assembler units (absolute, not prefix-mapped). */
    asmCompDir: string;
    /** DW_AT_name of arch/x86/kernel/head_64.S (absolute). */
    asmName: string;
    /** The build's source directory as recorded in assembler units: /build/reproducible-path/linux-6.1.192. */
    buildPrefix: string;
  };
  /** Prefix substitutions that map DWARF paths to `sourceRoot` (empty without sources). */
  sourceMap: { from: string; to: string }[];
  /** The same as gdb commands: `directory <root>` and `set substitute-path <buildPrefix> <root>`. */
  gdbSourceCommands: string[];
}

export interface LabOptions {
  /** Start the L2 hypercall loop (`hvdbg.kvm=1`). Default false. */
  kvm?: boolean;
  /** Arguments for kvm-hypercall, e.g. ['-p', '5000'] or ['-m', 'real'] or ['-n', '10']. */
  kvmArgs?: string[];
  /** Boot with KASLR (omit `nokaslr`). Default false. */
  kaslr?: boolean;
  /** 5-level paging. Default true (`-cpu max` offers LA57); false adds `no5lvl` (4-level paging). */
  la57?: boolean;
  /** Stream kvm trace events to ttyS1. Default true. */
  trace?: boolean;
  /** vCPUs. Default 2. */
  cpus?: number;
  /**
   * TCG's threading: 'single' (default) runs every vCPU on one host thread, in turn; 'multi' is QEMU's
   * own default (MTTCG, one host thread per vCPU). Under MTTCG the guest kernel's int3 code patching
   * (jump labels flipped while L1 KVM creates or destroys a VM) can leave a vCPU executing a stale
   * translation of the int3 forever; see README "Why TCG runs single-threaded".
   */
  tcgThread?: 'single' | 'multi';
  memMiB?: number;
  /** Wait for `HVDBG-LAB ready` on the console before returning from bootLab. Default true. */
  waitReady?: boolean;
  /** Timeout for the readiness line. Default 180 s (TCG on a loaded 2-core machine is slow). */
  readyTimeoutMs?: number;
  /** Extra kernel command line words. */
  append?: string;
  /** Start QEMU with -S (vCPUs stopped until a debugger continues). Implies waitReady false. */
  paused?: boolean;
  /** Extra QEMU arguments, appended. */
  extraArgs?: string[];
  /** QEMU binary. Default qemu-system-x86_64. */
  qemuPath?: string;
  /** Use this manifest instead of running prepare.sh. */
  manifest?: LabManifest;
  /** Lines kept per stream (older lines are dropped). Default 200000. */
  maxLines?: number;
}

export interface LabStream {
  /** Lines received so far (without CR/LF), oldest first; bounded by `maxLines`. */
  readonly lines: string[];
  /**
   * First line, among those already received and those to come, that matches `re`. Gives up after
   * `timeoutMs` with a {@link LabTimeoutError} naming `step` (default: the lab step `re` stands for, see
   * {@link labStepOf}) and what every vCPU was doing then (its RIP, function and stack).
   */
  waitFor(re: RegExp, timeoutMs: number, step?: string): Promise<RegExpMatchArray>;
  /** Like waitFor, but only lines that arrive after the call. */
  waitForNext(re: RegExp, timeoutMs: number, step?: string): Promise<RegExpMatchArray>;
  /** Calls `listener` for every new line; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void;
}

export interface LabConsole extends LabStream {
  /** Write to the guest's ttyS0 (a busybox shell after readiness), e.g. `write('ls /\n')`. */
  write(data: string): void;
}

export interface Lab {
  manifest: LabManifest;
  /** Path of QEMU's gdbstub unix socket (gdb: `target remote <path>`). */
  gdbSocket: string;
  /** The temporary directory holding the sockets (removed by stop()). */
  dir: string;
  qemuPid: number;
  qemuPath: string;
  /** The exact arguments given to QEMU (without the binary). */
  qemuArgs: string[];
  /** Kernel command line. */
  append: string;
  /** Load addresses of kvm.ko / kvm-amd.ko .text, from the readiness line (undefined before ready). */
  kvmText?: bigint;
  kvmAmdText?: bigint;
  /** All module sections the guest printed: sections['kvm']?.['.data']. */
  sections: Record<string, Record<string, bigint>>;
  /** The guest runs with 5-level paging (from /proc/cpuinfo). */
  la57?: boolean;
  /** Address of _text (0xffffffff81000000 without KASLR). */
  kernelText?: bigint;
  /** ttyS0: kernel console, HVDBG-LAB / HVDBG-KVM / HVDBG-HC lines, the shell. */
  console: LabConsole;
  /** ttyS1: the guest's tracefs trace_pipe with the kvm:* events. */
  trace: LabStream;
  /** QEMU's stderr lines. */
  stderr: string[];
  /** Resolves when QEMU exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * What every vCPU is doing now, one line each (RIP, function, source line, IF) and their stacks: gdb
   * with the lab's symbols attaches to the gdbstub for a moment (no breakpoint, no step), or, without
   * gdb, QEMU's `info registers -a`. Needs the stub free (no debugger attached); bounded by `timeoutMs`
   * (default 30 s); never rejects: a failure is described in the text.
   */
  diagnose(timeoutMs?: number): Promise<string>;
  /** Kill QEMU, wait for it to exit (bounded: SIGKILL after 5 s, an error after 15 s), remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** A wait on the lab that gave up: which step, after how long, and what the vCPUs were doing. */
export class LabTimeoutError extends Error {
  constructor(
    /** The step waited for, e.g. `boot: kernel, /init, insmod kvm kvm-amd up to "HVDBG-LAB ready"`. */
    readonly step: string,
    readonly timeoutMs: number,
    /** {@link Lab.diagnose}'s text ('' when there was nothing to ask). */
    readonly vcpus: string,
    message: string,
  ) {
    super(message);
    this.name = 'LabTimeoutError';
  }
}

/** The lab steps that the fixed lines (test/lab/init, kvm-hypercall.c, capture.sh) stand for. */
const STEPS: [text: string, step: string][] = [
  ['HVDBG-LAB ready', 'boot: kernel, /init and insmod kvm kvm-amd up to "HVDBG-LAB ready"'],
  ['HVDBG-KVM start', 'the KVM program starting (kvm-hypercall: KVM_CREATE_VM, KVM_CREATE_VCPU)'],
  ['HVDBG-HC', "the KVM program's hypercall lines (kvm-hypercall: VM created, KVM_RUN, vmmcall)"],
  ['HVDBG-KVM done', "the KVM program's end (its -n rounds done; the VM is destroyed as it exits)"],
  ['HVDBG-CAP', 'a capture (hvdbg-capture: trace-cmd in the guest, base64 over ttyS0)'],
  ['kvm_', 'kvm trace events on ttyS1 (the KVM program running)'],
  ['HVDBG-NESTED l2 starting', "the nested lab's L1 starting L2's QEMU (-accel kvm)"],
  ['HVDBG-L2 ready', `the nested lab's L2 boot (Linux under KVM in L1, up to "HVDBG-L2 ready")`],
  ['HVDBG-L2', "the nested lab's L2 lines"],
];

/** The lab step a wait for `re` on `stream` stands for (by the fixed text it names), else a plain description. */
export function labStepOf(re: RegExp, stream: string): string {
  const source = re.source.replace(/\\(.)/g, '$1');
  for (const [text, step] of STEPS) if (source.includes(text)) return step;
  return `a line matching ${String(re)} on ${stream}`;
}

/** Rejects after `ms` with a LabTimeoutError naming `step` (no vCPU report: for waits not on the guest). */
async function bounded<T>(work: Promise<T>, ms: number, step: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LabTimeoutError(step, ms, '', `lab: ${step}: not done within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The repository root: the nearest directory above this file holding package.json (works from out/ too). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
}

export function labCacheDir(): string {
  return process.env['HVDBG_LAB_CACHE'] ?? path.join(os.homedir(), '.cache', 'hvdbg-lab');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`${where}: "${key}" is not a string`);
  return v;
}

/** Validates a parsed manifest.json. */
export function parseManifest(json: unknown, where = 'manifest.json'): LabManifest {
  if (!isRecord(json)) throw new Error(`${where}: not an object`);
  const modules = json['modules'];
  const dwarf = json['dwarf'];
  const sourceMap = json['sourceMap'];
  const gdbSourceCommands = json['gdbSourceCommands'];
  if (!isRecord(modules) || !isRecord(dwarf)) throw new Error(`${where}: modules/dwarf missing`);
  if (!Array.isArray(sourceMap) || !Array.isArray(gdbSourceCommands)) {
    throw new Error(`${where}: sourceMap/gdbSourceCommands missing`);
  }
  const s = (key: string): string => str(json, key, where);
  return {
    kernelVersion: s('kernelVersion'),
    packageVersion: s('packageVersion'),
    imagePackage: s('imagePackage'),
    vmlinuz: s('vmlinuz'),
    vmlinux: s('vmlinux'),
    kvmKo: s('kvmKo'),
    kvmAmdKo: s('kvmAmdKo'),
    initrd: s('initrd'),
    sourceRoot: s('sourceRoot'),
    config: s('config'),
    kvmHypercall: s('kvmHypercall'),
    modules: {
      irqbypass: str(modules, 'irqbypass', where),
      kvm: str(modules, 'kvm', where),
      kvmAmd: str(modules, 'kvmAmd', where),
    },
    dwarf: {
      compDir: str(dwarf, 'compDir', where),
      x86cName: str(dwarf, 'x86cName', where),
      asmCompDir: str(dwarf, 'asmCompDir', where),
      asmName: str(dwarf, 'asmName', where),
      buildPrefix: str(dwarf, 'buildPrefix', where),
    },
    sourceMap: sourceMap.map((e: unknown) => {
      if (!isRecord(e)) throw new Error(`${where}: bad sourceMap entry`);
      return { from: str(e, 'from', where), to: str(e, 'to', where) };
    }),
    gdbSourceCommands: gdbSourceCommands.map((c: unknown) => {
      if (typeof c !== 'string') throw new Error(`${where}: bad gdbSourceCommands entry`);
      return c;
    }),
  };
}

export function readManifest(file = path.join(labCacheDir(), 'manifest.json')): LabManifest {
  return parseManifest(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

/**
 * Runs test/lab/prepare.sh (downloads and extracts on first use, about 30 s; then about 0.1 s) and
 * returns the manifest. Progress lines go to `log` (default: stderr).
 */
export async function prepareLab(opts: { log?: (line: string) => void } = {}): Promise<LabManifest> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const script = path.join(repoRoot(), 'test', 'lab', 'prepare.sh');
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const errTail: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  splitLines(child.stderr, (line) => {
    errTail.push(line);
    if (errTail.length > 20) errTail.shift();
    log(line);
  });
  // Bounded too (downloads ~450 MB on an empty cache; another process may hold the cache's lock).
  const limitMs = Number(process.env['HVDBG_LAB_PREPARE_TIMEOUT_MS'] ?? 1_800_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      const step = 'prepare.sh (download, extract, build the initramfs; waits for the cache lock)';
      reject(
        new LabTimeoutError(
          step,
          limitMs,
          '',
          `lab: ${step}: not done within ${limitMs} ms:\n${errTail.join('\n')}`,
        ),
      );
    }, limitMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0) throw new Error(`prepare.sh failed (exit ${String(code)}):\n${errTail.join('\n')}`);
  const file = stdout.trim().split('\n').pop() ?? '';
  return readManifest(file || undefined);
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) onLine(p.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (partial) onLine(partial.replace(/\r$/, ''));
    partial = '';
  });
}

/** `-gdb` device for a value that is either a chardev spec (`unix:...`, `tcp:...`) or a socket path. */
function gdbDevice(gdb: string): string {
  return gdb.startsWith('/') ? `unix:${gdb},server=on,wait=off` : gdb;
}

/** The kernel command line for `opts`. */
export function kernelCommandLine(opts: LabOptions): string {
  const words = ['console=ttyS0'];
  if (!opts.kaslr) words.push('nokaslr');
  if (opts.la57 === false) words.push('no5lvl');
  if (opts.kvm) words.push('hvdbg.kvm=1');
  if (opts.kvmArgs?.length) words.push(`hvdbg.kvmargs=${opts.kvmArgs.join(',')}`);
  if (opts.trace === false) words.push('hvdbg.trace=0');
  if (opts.append) words.push(opts.append);
  return words.join(' ');
}

/**
 * QEMU arguments (without the binary) for the lab. `gdb`: a `-gdb` chardev spec such as
 * `unix:/tmp/g.sock,server=on,wait=off` or `tcp:127.0.0.1:1234`, or just a socket path (then served as
 * `unix:<path>,server=on,wait=off`). `serial0`/`serial1`: `-serial` chardev specs for ttyS0 (console)
 * and ttyS1 (kvm trace events), e.g. `unix:/path` (QEMU connects to a listening socket),
 * `file:/path`, `stdio`, `null`.
 */
export function qemuArgsFor(
  manifest: LabManifest,
  opts: LabOptions & { gdb: string; serial0: string; serial1: string },
): string[] {
  return [
    '-accel',
    `tcg,thread=${opts.tcgThread ?? 'single'}`,
    '-cpu',
    'max',
    '-smp',
    String(opts.cpus ?? 2),
    '-m',
    String(opts.memMiB ?? 512),
    '-kernel',
    manifest.vmlinuz,
    '-initrd',
    manifest.initrd,
    '-append',
    kernelCommandLine(opts),
    '-display',
    'none',
    '-nodefaults',
    '-no-reboot',
    '-serial',
    opts.serial0,
    '-serial',
    opts.serial1,
    '-gdb',
    gdbDevice(opts.gdb),
    ...(opts.paused ? ['-S'] : []),
    ...(opts.extraArgs ?? []),
  ];
}

class LineStream implements LabConsole {
  readonly lines: string[] = [];
  private partial = '';
  private readonly events = new EventEmitter();
  private ended: Error | undefined;
  private socket: net.Socket | undefined;
  private closing: NodeJS.Timeout | undefined;
  /** Set by bootLab: the vCPU report for a wait that gives up. */
  diagnose: (() => Promise<string>) | undefined;

  constructor(
    private readonly name: string,
    private readonly maxLines: number,
  ) {
    this.events.setMaxListeners(0);
  }

  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.push(chunk.toString('latin1')));
    socket.on('error', () => undefined);
    // QEMU closing its end first: give its exit (code, signal, last stderr lines) a moment to be the reason.
    socket.on('close', () => {
      this.closing = setTimeout(() => this.end(new Error(`${this.name} closed (QEMU exited?)`)), 1000);
    });
  }

  write(data: string): void {
    this.socket?.write(data);
  }

  private push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const raw of parts) this.add(raw.replace(/\r/g, ''));
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines / 2);
    this.events.emit('line', line);
  }

  end(err: Error): void {
    clearTimeout(this.closing);
    if (this.ended) return;
    if (this.partial) this.add(this.partial.replace(/\r/g, ''));
    this.partial = '';
    this.ended = err;
    this.events.emit('end', err);
  }

  onLine(listener: (line: string) => void): () => void {
    this.events.on('line', listener);
    return () => this.events.off('line', listener);
  }

  waitFor(re: RegExp, timeoutMs: number, step?: string): Promise<RegExpMatchArray> {
    return this.wait(re, timeoutMs, true, step);
  }

  waitForNext(re: RegExp, timeoutMs: number, step?: string): Promise<RegExpMatchArray> {
    return this.wait(re, timeoutMs, false, step);
  }

  /** A wait with no vCPU report when it gives up (lab.ts's own background waits). */
  waitQuietly(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return this.wait(re, timeoutMs, true, undefined, false);
  }

  private wait(
    pattern: RegExp,
    timeoutMs: number,
    past: boolean,
    stepName?: string,
    report = true,
  ): Promise<RegExpMatchArray> {
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    if (past) {
      for (const line of this.lines) {
        const m = line.match(re);
        if (m) return Promise.resolve(m);
      }
    }
    if (this.ended)
      return Promise.reject(new Error(`${this.name}: ${String(re)} not seen: ${this.ended.message}`));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.events.off('line', onLine);
        this.events.off('end', onEnd);
      };
      const onLine = (line: string): void => {
        const m = line.match(re);
        if (m) {
          done();
          resolve(m);
        }
      };
      const onEnd = (err: Error): void => {
        done();
        reject(new Error(`${this.name}: ${String(re)} not seen: ${err.message}`));
      };
      const timer = setTimeout(() => {
        done();
        const step = stepName ?? labStepOf(re, this.name);
        const named = step.startsWith('a line matching') ? '' : `${step}: `;
        const tail = this.lines.slice(-15).join('\n');
        const diagnose = report && !this.ended ? this.diagnose : undefined;
        void (diagnose ? diagnose() : Promise.resolve('')).then((vcpus) => {
          reject(
            new LabTimeoutError(
              step,
              timeoutMs,
              vcpus,
              `${this.name}: ${named}${String(re)} not seen within ${timeoutMs} ms` +
                (vcpus ? `\n${vcpus}` : '') +
                `\nlast lines of ${this.name}:\n${tail}`,
            ),
          );
        });
      }, timeoutMs);
      this.events.on('line', onLine);
      this.events.on('end', onEnd);
    });
  }
}

// Labs alive in this process: killed synchronously if the process exits without stop().
const live = new Map<number, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pid, dir] of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** QEMU gets SIGKILL when this process dies, even by a signal (util-linux setpriv, PR_SET_PDEATHSIG). */
function withDeathSignal(cmd: string, args: string[]): [string, string[]] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  return setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes lab temp dirs left by processes that died by SIGKILL (their QEMU died with them). */
function sweepStaleDirs(): void {
  const tmp = os.tmpdir();
  let names: string[];
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith('hvdbg-lab-'));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(tmp, name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, 'owner'), 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && !alive(owner))
        fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // not ours, or being created right now
    }
  }
}

function listenUnix(file: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(file, () => resolve(server));
  });
}

function firstConnection(server: net.Server): Promise<net.Socket> {
  return new Promise((resolve) => server.once('connection', resolve));
}

const hex = (s: string | undefined): bigint | undefined => {
  if (!s) return undefined;
  const v = BigInt(s);
  return v === 0n ? undefined : v;
};

/** Boots the lab (running prepare.sh first unless `opts.manifest` is given). */
export async function bootLab(opts: LabOptions = {}): Promise<Lab> {
  const manifest = opts.manifest ?? (await prepareLab());
  sweepStaleDirs();
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'hvdbg-lab-'));
  await fs.promises.writeFile(path.join(dir, 'owner'), `${process.pid}\n`);
  const gdbSocket = path.join(dir, 'gdb.sock');
  const maxLines = opts.maxLines ?? 200_000;
  const consoleStream = new LineStream('console (ttyS0)', maxLines);
  const traceStream = new LineStream('trace (ttyS1)', maxLines);
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  let child: ChildProcess | undefined;
  installExitHook();

  const cleanup = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await fs.promises.rm(dir, { recursive: true, force: true });
  };

  try {
    const s0 = await listenUnix(path.join(dir, 'ttyS0.sock'));
    servers.push(s0);
    const s1 = await listenUnix(path.join(dir, 'ttyS1.sock'));
    servers.push(s1);
    const conn0 = firstConnection(s0);
    const conn1 = firstConnection(s1);

    const qemuPath = opts.qemuPath ?? 'qemu-system-x86_64';
    const qemuArgs = qemuArgsFor(manifest, {
      ...opts,
      gdb: `unix:${gdbSocket},server=on,wait=off`,
      serial0: `unix:${path.join(dir, 'ttyS0.sock')}`,
      serial1: `unix:${path.join(dir, 'ttyS1.sock')}`,
    });
    const [cmd, argv] = withDeathSignal(qemuPath, qemuArgs);
    const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const stderr: string[] = [];
    splitLines(proc.stderr, (line) => stderr.push(line));
    splitLines(proc.stdout, (line) => stderr.push(line));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      proc.once('error', (err) => {
        stderr.push(String(err));
        resolve({ code: null, signal: null });
      });
      proc.once('exit', (code, signal) => resolve({ code, signal }));
    });
    void exited.then(({ code, signal }) => {
      if (proc.pid !== undefined) live.delete(proc.pid);
      const how = signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
      const err = new Error(
        `QEMU exited (${how})${stderr.length ? `: ${stderr.slice(-5).join(' | ')}` : ''}`,
      );
      consoleStream.end(err);
      traceStream.end(err);
    });
    if (proc.pid !== undefined) live.set(proc.pid, dir);

    const exitedEarly = exited.then(({ code, signal }) => {
      throw new Error(
        `QEMU exited (code ${String(code)}, signal ${String(signal)}) during boot:\n${stderr.join('\n')}`,
      );
    });
    exitedEarly.catch(() => undefined); // only raced against below; never unhandled
    const readyTimeout = opts.readyTimeoutMs ?? 180_000;
    const [c0, c1] = await bounded(
      Promise.race([Promise.all([conn0, conn1]), exitedEarly]),
      readyTimeout,
      'boot: QEMU connecting to the serial sockets (ttyS0, ttyS1)',
    );
    sockets.push(c0, c1);
    consoleStream.attach(c0);
    traceStream.attach(c1);

    let stopping: Promise<void> | undefined;
    const lab: Lab = {
      manifest,
      gdbSocket,
      dir,
      qemuPid: proc.pid ?? -1,
      qemuPath,
      qemuArgs,
      append: kernelCommandLine(opts),
      sections: {},
      console: consoleStream,
      trace: traceStream,
      stderr,
      exited,
      diagnose(timeoutMs?: number): Promise<string> {
        if (stopping) return Promise.resolve('vCPUs: not read (the lab is stopping)');
        if (proc.exitCode !== null || proc.signalCode !== null)
          return Promise.resolve('vCPUs: none (QEMU exited)');
        // One report at a time (the stub takes one client): waits that give up together share it.
        diagnosing ??= diagnoseLab(lab, timeoutMs).finally(() => (diagnosing = undefined));
        return diagnosing;
      },
      stop(): Promise<void> {
        stopping ??= (async () => {
          try {
            if (proc.exitCode === null && proc.signalCode === null) {
              proc.kill('SIGTERM');
              const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
              try {
                await bounded(
                  exited,
                  15_000,
                  `lab.stop(): QEMU (pid ${String(proc.pid)}) exiting after SIGTERM (SIGKILL at 5 s)`,
                );
              } finally {
                clearTimeout(timer);
              }
            }
          } finally {
            await bounded(cleanup(), 10_000, `lab.stop(): closing the serial sockets, removing ${dir}`);
          }
        })();
        return stopping;
      },
    };
    let diagnosing: Promise<string> | undefined;
    consoleStream.diagnose = () => lab.diagnose();
    traceStream.diagnose = () => lab.diagnose();

    if (opts.waitReady !== false && !opts.paused) {
      // On a timeout the error names the step and every vCPU's RIP, function and stack.
      await Promise.race([consoleStream.waitFor(/HVDBG-LAB ready/, readyTimeout), exitedEarly]);
      parseReadiness(lab);
    } else {
      // The gdbstub socket exists once QEMU has initialised; wait for it (bounded).
      const deadline = Date.now() + readyTimeout;
      while (!fs.existsSync(gdbSocket)) {
        if (proc.exitCode !== null || proc.signalCode !== null) await exitedEarly;
        if (Date.now() > deadline) {
          const step = `boot: QEMU's gdbstub socket ${gdbSocket} appearing`;
          throw new LabTimeoutError(
            step,
            readyTimeout,
            '',
            `lab: ${step}: not there within ${readyTimeout} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Fill in the addresses whenever the guest gets there.
      void consoleStream
        .waitQuietly(/HVDBG-LAB ready/, 24 * 3600_000)
        .then(() => parseReadiness(lab))
        .catch(() => undefined);
    }
    return lab;
  } catch (err) {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child?.once('exit', resolve));
    }
    await cleanup();
    throw err;
  }
}

/** Fills kvmText, kvmAmdText, sections, la57, kernelText from the console's HVDBG-LAB lines. */
function parseReadiness(lab: Lab): void {
  for (const line of lab.console.lines) {
    let m = line.match(/HVDBG-LAB kvm\.text=(0x[0-9a-f]+) kvm_amd\.text=(0x[0-9a-f]+)/);
    if (m) {
      lab.kvmText = hex(m[1]);
      lab.kvmAmdText = hex(m[2]);
      continue;
    }
    m = line.match(/HVDBG-LAB sections (\S+)((?: \S+=0x[0-9a-f]+)*)/);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      const sections: Record<string, bigint> = {};
      for (const pair of m[2].trim().split(' ')) {
        const [name, value] = pair.split('=');
        if (name && value) sections[name] = BigInt(value);
      }
      lab.sections[m[1]] = sections;
      continue;
    }
    m = line.match(/HVDBG-LAB info .*la57=([01]) .*kernel\.text=(0x[0-9a-f]+)/);
    if (m) {
      lab.la57 = m[1] === '1';
      lab.kernelText = hex(m[2]);
    }
  }
}

/** Single-quotes `s` for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A gdb command line (argv) attaching to the lab with vmlinux, kvm.ko and kvm-amd.ko and the sources. */
export function gdbCommandFor(lab: Lab, gdbPath = 'gdb'): string[] {
  const m = lab.manifest;
  const argv = [gdbPath, '-q', '-iex', 'set index-cache enabled on', m.vmlinux];
  for (const c of m.gdbSourceCommands) argv.push('-ex', c);
  argv.push('-ex', `target remote ${lab.gdbSocket}`);
  const addModule = (file: string, mod: string, text: bigint | undefined): void => {
    if (text === undefined) return;
    let cmd = `add-symbol-file ${file} 0x${text.toString(16)}`;
    for (const s of ['.data', '.bss', '.rodata']) {
      const addr = lab.sections[mod]?.[s];
      if (addr !== undefined) cmd += ` -s ${s} 0x${addr.toString(16)}`;
    }
    argv.push('-ex', cmd);
  };
  addModule(m.kvmKo, 'kvm', lab.kvmText);
  addModule(m.kvmAmdKo, 'kvm_amd', lab.kvmAmdText);
  return argv;
}

/**
 * What every vCPU of `lab` is doing (see {@link reportVcpus}): RIP, function, source line and stack,
 * from QEMU's `info registers -a` and a short gdb attach with the lab's symbols. Bounded; never rejects.
 */
export function diagnoseLab(lab: Lab, timeoutMs = 30_000): Promise<string> {
  return reportVcpus(
    { gdbSocket: lab.gdbSocket, dir: lab.dir, manifest: lab.manifest, gdbArgv: gdbCommandFor(lab) },
    timeoutMs,
  );
}
