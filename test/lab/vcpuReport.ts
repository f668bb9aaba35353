// The vCPU report of a lab wait that gives up (lab.ts): each vCPU's RIP, function, source line, IF and
// stack, read without disturbing the guest (no breakpoint, no single step).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabManifest } from './lab';
import { RspConnection } from './nested/rsp';
/** One vCPU as {@link reportVcpus} reads it. */
export interface VcpuState {
  cpu: number;
  rip?: bigint;
  rflags?: bigint;
  halted?: boolean;
  /** gdb's `bt` lines, `#0 …` first. */
  frames: string[];
}

/** `info registers -a` → RIP, RFLAGS and HLT per `CPU#n`. */
export function parseInfoRegistersSummary(text: string): VcpuState[] {
  const cpus: VcpuState[] = [];
  let cur: VcpuState | undefined;
  for (const line of text.split('\n')) {
    const cpu = /^CPU#(\d+)/.exec(line);
    if (cpu?.[1] !== undefined) {
      cur = { cpu: Number(cpu[1]), frames: [] };
      cpus.push(cur);
      continue;
    }
    if (!cur) continue;
    const rip = /\bRIP=([0-9a-f]+) RFL=([0-9a-f]+).*\bHLT=([01])/.exec(line);
    if (rip?.[1] && rip[2] && rip[3]) {
      cur.rip = BigInt(`0x${rip[1]}`);
      cur.rflags = BigInt(`0x${rip[2]}`);
      cur.halted = rip[3] === '1';
    }
  }
  return cpus;
}

/** Output of the gdb script in reportVcpus: `HVDBG-VCPU n rip=0x… eflags=0x…` then `bt` lines, per vCPU. */
export function parseGdbVcpus(text: string): VcpuState[] {
  const cpus: VcpuState[] = [];
  let cur: VcpuState | undefined;
  for (const line of text.split('\n')) {
    const head = /^HVDBG-VCPU (\d+) rip=(0x[0-9a-f]+) eflags=(0x[0-9a-f]+)/.exec(line);
    if (head?.[1] && head[2] && head[3]) {
      cur = { cpu: Number(head[1]), rip: BigInt(head[2]), rflags: BigInt(head[3]), frames: [] };
      cpus.push(cur);
    } else if (cur && /^#\d+\s/.test(line) && !/^#\d+\s+0x0+ in \?\?/.test(line)) {
      cur.frames.push(line.trim());
    }
  }
  return cpus.sort((a, b) => a.cpu - b.cpu);
}

/** `#3  0xffffffff81a10d9c in __schedule (...) at kernel/sched/core.c:6584` → `__schedule (kernel/sched/core.c:6584)`. */
function frameShort(frame: string, manifest: LabManifest): string {
  const m = /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: at (\S+))?/.exec(frame);
  if (!m?.[1]) return frame;
  let file = m[2] ?? '';
  for (const prefix of [manifest.dwarf.buildPrefix, manifest.sourceRoot]) {
    if (prefix && file.startsWith(`${prefix}/`)) file = file.slice(prefix.length + 1);
  }
  return file ? `${m[1]} (${file})` : m[1];
}

/** A vCPU report: one summary line per vCPU, then the stacks. */
export function formatVcpus(cpus: VcpuState[], manifest: LabManifest, note = ''): string {
  const out = [`vCPUs (${cpus.length})${note ? `, ${note}` : ''}:`];
  for (const c of cpus) {
    const rip = c.rip === undefined ? '?' : `0x${c.rip.toString(16)}`;
    const flags = c.rflags === undefined ? '' : `, IF=${(c.rflags >> 9n) & 1n}${c.halted ? ', halted' : ''}`;
    const where = c.frames.length
      ? ` in ${c.frames
          .slice(0, 4)
          .map((f) => frameShort(f, manifest))
          .join(' ← ')}`
      : '';
    out.push(`  vCPU ${c.cpu}: RIP ${rip}${flags}${where}`);
  }
  for (const c of cpus) {
    if (c.frames.length === 0) continue;
    out.push(`  vCPU ${c.cpu} stack:`, ...c.frames.map((f) => `    ${f}`));
  }
  return out.join('\n');
}

/** Connected sockets bound to the unix socket `file` (QEMU's accepted clients), from /proc/net/unix. */
export function stubClients(file: string, table?: string): number {
  let text = table;
  try {
    text ??= fs.readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return 0;
  }
  // Num RefCount Protocol Flags Type St Inode Path: St 03 is connected; the listener is 01.
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[7] === file && f[5] === '03').length;
}

/** Runs `argv` (asynchronously: the lab's sockets must keep being read); its output, or an error after `ms`. */
function runBounded(argv: string[], ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) {
      reject(new Error('no command'));
      return;
    }
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not finish within ${ms} ms`));
    }, ms);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** A running lab, as far as a vCPU report needs it. */
export interface VcpuReportTarget {
  gdbSocket: string;
  /** A directory for the gdb script (the lab's temp dir). */
  dir: string;
  manifest: LabManifest;
  /** gdb with the lab's symbols, attached to the stub (lab.ts `gdbCommandFor`). */
  gdbArgv: string[];
}

/**
 * What every vCPU is doing: first QEMU's `info registers -a` over a raw gdbstub connection
 * (milliseconds; fails fast when a debugger holds the stub), then gdb with vmlinux, kvm.ko and
 * kvm-amd.ko for each vCPU's stack. Neither inserts a breakpoint or steps (under TCG both flush the
 * translated code, which can end the very hang being described). Bounded by `timeoutMs`; never rejects.
 */
export async function reportVcpus(lab: VcpuReportTarget, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  if (!fs.existsSync(lab.gdbSocket)) return 'vCPUs: not readable (no gdbstub socket)';
  // QEMU serves one client; a second connection would wait in the backlog and, accepted after the
  // debugger leaves, stop the VM for good (QEMU stops it when a client connects).
  if (stubClients(lab.gdbSocket) > 0) return 'vCPUs: not read (a debugger is attached to the gdbstub)';
  let raw: VcpuState[] = [];
  try {
    const rsp = await RspConnection.connect(lab.gdbSocket, Math.min(5000, timeoutMs));
    try {
      raw = parseInfoRegistersSummary(await rsp.monitor('info registers -a', Math.min(5000, timeoutMs)));
      rsp.send('D');
      await rsp.next((p) => p === 'OK' || p.startsWith('E'), 2000, 'detach').catch(() => undefined);
    } finally {
      await rsp.close();
    }
  } catch (err) {
    return `vCPUs: not readable: the gdbstub did not answer (${(err as Error).message}; a debugger attached?)`;
  }
  const script = path.join(lab.dir, `diagnose-${process.pid}-${Date.now()}.gdb`);
  try {
    await fs.promises.writeFile(
      script,
      [
        'set pagination off',
        'set width 0',
        'set confirm off',
        'set print frame-arguments none',
        'define hvdbg_vcpu',
        '  printf "HVDBG-VCPU %d rip=0x%lx eflags=0x%lx\\n", $_thread - 1, $pc, $eflags',
        '  bt 20',
        'end',
        'thread apply all -q hvdbg_vcpu',
        'detach',
        '',
      ].join('\n'),
    );
    const [gdb, ...rest] = lab.gdbArgv;
    const argv = [gdb ?? 'gdb', '-nx', '-batch', '-iex', 'set remotetimeout 5', ...rest, '-x', script];
    const cpus = parseGdbVcpus(await runBounded(argv, Math.max(1000, deadline - Date.now())));
    if (cpus.length === 0) throw new Error('gdb printed no vCPU');
    for (const c of cpus) c.halted = raw.find((r) => r.cpu === c.cpu)?.halted;
    return formatVcpus(cpus, lab.manifest);
  } catch (err) {
    return formatVcpus(raw, lab.manifest, `from info registers -a (no stacks: ${(err as Error).message})`);
  } finally {
    await fs.promises.rm(script, { force: true });
  }
}
