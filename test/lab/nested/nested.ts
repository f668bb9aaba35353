// The lab's deeper level: L0 QEMU (TCG) boots L1 (the lab kernel with kvm_amd), whose Debian QEMU with
// -accel kvm boots L2, the same kernel as a Linux guest of KVM (pv_info.name "KVM"). L2's gdbstub is
// served by L1's QEMU on L1's ttyS2, which L0 backs with a unix socket on the host: a debugger attaches to
// L2 with `target: "unix:<l2GdbSocket>"`, no network. See test/lab/nested/README.md.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bootLab, prepareLab, repoRoot, type Lab, type LabManifest, type LabStream } from '../lab';
import { RspConnection } from './rsp';

export interface NestedLabOptions {
  /** L2 vCPUs. Default 3 (the IPI loop's KVM_HC_SEND_IPI needs at least 3, see init-l2). */
  l2Cpus?: number;
  /** L2 memory in MiB. Default 256. */
  l2MemMiB?: number;
  /** L1 memory in MiB (holds the 30 MB initramfs unpacked, QEMU and L2's memory). Default 1024. */
  l1MemMiB?: number;
  /** Extra L2 kernel command line words (no commas). */
  l2Append?: string[];
  /** The L2 loop that makes the kernel send multi-target IPIs (KVM_HC_SEND_IPI) once a second. Default true. */
  ipiLoop?: boolean;
  /**
   * L2's user-space loop issuing KVM_HC_SCHED_YIELD with `vmmcall` (l2-hypercall.c), pinned to the last
   * vCPU. Default true.
   */
  hypercallLoop?: boolean;
  /** Bound for L1 and L2 to boot, each. Default 600 s (L2 runs under KVM nested in TCG). */
  readyTimeoutMs?: number;
  /** Use this lab manifest instead of running test/lab/prepare.sh. */
  manifest?: LabManifest;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** What the L2 guest printed about itself (`HVDBG-L2 info`). */
export interface L2Info {
  kernel: string;
  cpus: number;
  /** The name after "Booting paravirtualized kernel on" in L2's kernel log: pv_info.name, "KVM". */
  pv: string;
  /** The L2 kernel set up KVM's PV send-IPI ("kvm-guest: setup PV IPIs"). */
  pvIpi: boolean;
}

export interface NestedLab {
  /** The L0 QEMU and L1 guest (console: L1's ttyS0; lab.gdbSocket debugs L1 itself). */
  l1: Lab;
  /** L2's console (L1's ttyS1): kernel log, `HVDBG-L2 …` lines, a busybox shell. */
  l2Console: LabStream;
  /** Unix socket of L2's gdbstub (QEMU -accel kvm in L1, through L1's ttyS2). */
  l2GdbSocket: string;
  l2: L2Info;
  /** Milliseconds from the start of bootNestedLab: L1 at its init, L2 ready. */
  timings: { prepareMs: number; l1Ms: number; l2Ms: number };
  /**
   * Readies L2's gdbstub for a debugger's connection, as a fresh connection to a socket stub would find
   * it: its process attached (`vAttach;1`: a stub on a serial line sees no connection, so after a
   * debugger's detach it has none attached, and QEMU 7.2 then crashes on the next `?`) and its vCPUs
   * stopped (interrupt, unless `info status` says paused). Call it before every attach.
   */
  prepareL2Attach(timeoutMs?: number): Promise<void>;
  /** Kills L0's QEMU (and so everything), removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Runs test/lab/nested/prepare.sh for the lab kernel of `manifest`; returns the L1 initramfs path. */
export async function prepareNested(
  manifest: LabManifest,
  log: (line: string) => void = () => undefined,
): Promise<string> {
  const script = path.join(repoRoot(), 'test', 'lab', 'nested', 'prepare.sh');
  const child = spawn('bash', [script, path.dirname(manifest.vmlinuz)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const line of d.split('\n')) if (line) log(line);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`nested/prepare.sh failed (exit ${String(code)}):\n${stderr.slice(-2000)}`);
  const file = stdout.trim().split('\n').pop() ?? '';
  if (!fs.existsSync(file)) throw new Error(`nested/prepare.sh printed no initramfs path: ${stdout}`);
  return file;
}

/** L1's kernel command line words for `opts` (after the lab's own: console, nokaslr, hvdbg.trace=0). */
export function l1CommandLineWords(opts: NestedLabOptions): string[] {
  // no_ipi_broadcast=1: multi-target IPIs go through apic->send_IPI_mask, i.e. KVM_HC_SEND_IPI (init-l2).
  const l2Append = ['no_ipi_broadcast=1', ...(opts.l2Append ?? [])];
  if (opts.ipiLoop === false) l2Append.push('hvdbg.ipiloop=0');
  if (opts.hypercallLoop === false) l2Append.push('hvdbg.hcloop=0');
  for (const w of l2Append) {
    if (/[\s,]/.test(w)) throw new Error(`L2 command line word "${w}" holds a space or a comma`);
  }
  const words = [`hvdbg.l2cpus=${opts.l2Cpus ?? 3}`, `hvdbg.l2mem=${opts.l2MemMiB ?? 256}`];
  if (l2Append.length) words.push(`hvdbg.l2append=${l2Append.join(',')}`);
  return words;
}

/** Parses `HVDBG-L2 info kernel=… cpus=… pv=… pvipi=…`. */
export function parseL2Info(line: string): L2Info | undefined {
  const m = line.match(/HVDBG-L2 info kernel=(\S+) cpus=(\d+) pv=(.*) pvipi=([01])\s*$/);
  if (!m?.[1] || !m[2] || m[3] === undefined || !m[4]) return undefined;
  return { kernel: m[1], cpus: Number(m[2]), pv: m[3], pvIpi: m[4] === '1' };
}

/** Where L2's hypercall loop runs (`HVDBG-L2 hcloop`, printed by l2-hypercall.c): user-space addresses. */
export interface L2HypercallLoop {
  pid: number;
  /** The loop's first instruction (`mov $11, %eax`). */
  start: bigint;
  /** The `vmmcall` (0f 01 d9). */
  vmmcall: bigint;
  /** The first byte after the loop's closing `jmp`. */
  end: bigint;
}

/** Parses `HVDBG-L2 hcloop pid=… start=0x… vmmcall=0x… end=0x…`. */
export function parseHypercallLoop(line: string): L2HypercallLoop | undefined {
  const m = line.match(
    /HVDBG-L2 hcloop pid=(\d+) start=(0x[0-9a-f]+) vmmcall=(0x[0-9a-f]+) end=(0x[0-9a-f]+)/,
  );
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
  return { pid: Number(m[1]), start: BigInt(m[2]), vmmcall: BigInt(m[3]), end: BigInt(m[4]) };
}

/** Rejects with the line when L1 reports an error or L2's QEMU exits (never resolves otherwise). */
function failures(l1: Lab): Promise<never> {
  return l1.console.waitFor(/HVDBG-NESTED (error .*|l2 exited .*)/, 24 * 3600_000).then((m) => {
    throw new Error(`nested lab: ${m[0]}; last L1 console lines:\n${l1.console.lines.slice(-10).join('\n')}`);
  });
}

/** Boots L0 → L1 → L2 and waits for `HVDBG-L2 ready` (several minutes on a loaded 2-core machine). */
export async function bootNestedLab(opts: NestedLabOptions = {}): Promise<NestedLab> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const manifest = opts.manifest ?? (await prepareLab({ log }));
  const initrd = await prepareNested(manifest, log);
  const prepareMs = Date.now() - t0;
  // `hvdbg-lab-` + an owner file: bootLab's sweep removes the directory if this process dies by SIGKILL.
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'hvdbg-lab-nested-'));
  await fs.promises.writeFile(path.join(dir, 'owner'), `${process.pid}\n`);
  const l2GdbSocket = path.join(dir, 'l2-gdb.sock');
  const timeout = opts.readyTimeoutMs ?? 600_000;
  let l1: Lab | undefined;
  try {
    l1 = await bootLab({
      manifest: { ...manifest, initrd },
      // MTTCG: under thread=single L2 (3 vCPUs on L1's 2) did not reach "HVDBG-L2 ready" in 600 s (16–36 s
      // with MTTCG). It keeps MTTCG's text-patching hazard (test/lab/README.md, "Why TCG runs single-threaded").
      tcgThread: 'multi',
      memMiB: opts.l1MemMiB ?? 1024,
      trace: false,
      waitReady: false,
      readyTimeoutMs: timeout,
      append: l1CommandLineWords(opts).join(' '),
      // L1's ttyS2 (0x3e8; IRQ 5, as ttyS0 has IRQ 4: two UARTs on one ISA line lose interrupts; the L1
      // kernel takes the IRQ from ACPI) backed by a unix socket on the host: L2's gdbstub.
      extraArgs: [
        '-chardev',
        `socket,id=l2gdb,path=${l2GdbSocket},server=on,wait=off`,
        '-device',
        'isa-serial,chardev=l2gdb,iobase=0x3e8,irq=5',
      ],
    });
    const lab = l1;
    const failed = failures(lab);
    failed.catch(() => undefined);
    await Promise.race([lab.console.waitFor(/HVDBG-NESTED l2 starting/, timeout), failed]);
    const l1Ms = Date.now() - t0;
    log(`nested lab: L1 up after ${l1Ms} ms`);
    const l2Console = lab.trace;
    await Promise.race([l2Console.waitFor(/HVDBG-L2 ready/, timeout), failed]);
    const l2Ms = Date.now() - t0;
    log(`nested lab: L2 ready after ${l2Ms} ms`);
    const infoLine = l2Console.lines.find((l) => l.includes('HVDBG-L2 info'));
    const l2 = infoLine === undefined ? undefined : parseL2Info(infoLine);
    if (l2 === undefined) throw new Error(`nested lab: no HVDBG-L2 info line (got ${String(infoLine)})`);
    let stopping: Promise<void> | undefined;
    return {
      l1: lab,
      l2Console,
      l2GdbSocket,
      l2,
      timings: { prepareMs, l1Ms, l2Ms },
      prepareL2Attach: (ms = 30_000) => prepareStubForAttach(l2GdbSocket, ms),
      stop(): Promise<void> {
        stopping ??= (async () => {
          await lab.stop();
          await fs.promises.rm(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  } catch (err) {
    await l1?.stop();
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Makes a QEMU gdbstub reached over a serial line look like a freshly connected socket stub: process 1
 * attached, vCPUs stopped. Bounded by `timeoutMs` per reply.
 */
export async function prepareStubForAttach(socketPath: string, timeoutMs: number): Promise<void> {
  const conn = await RspConnection.connect(socketPath, timeoutMs);
  try {
    conn.send('vAttach;1');
    await conn.next((p) => p.startsWith('T') || p.startsWith('E'), timeoutMs, 'vAttach;1');
    const status = await conn.monitor('info status', timeoutMs);
    if (!/paused/.test(status)) {
      conn.interrupt();
      await conn.next((p) => /^[TS]/.test(p), timeoutMs, 'interrupt');
    }
  } finally {
    await conn.close();
  }
}
