/**
 * Records real gdb's GDB/MI answers for the in-process lane: a gdb (`--interpreter=mi3`) on the lab's
 * vmlinux and kvm.ko (no target: gdb reads code from the ELF files), driven line by line, every command
 * and its result record kept as gdb printed them. The in-process tests replay these transcripts through
 * the same MI command families the adapter uses (test/unit/support/replayGdb.ts).
 *
 * `node out/test/lab/miCases.js` writes the fixtures (test/fixtures/mi/).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { GdbCommandError } from '../../adapter/gdb/errors';
import { parseMIRecord } from '../../adapter/gdb/gdbjs';
import type { MiPort } from '../../adapter/gdb/backend';
import type { MITuple } from '../../adapter/gdb/miValues';
import { repoRoot, type LabManifest } from './lab';

/** One MI command and the result record gdb answered it with (`^done,…` or `^error,…`). */
export interface MiExchange {
  readonly command: string;
  readonly result: string;
}

/** Where kvm.ko's .text is put for the recordings (any module address; fixed so fixtures are stable). */
export const KVM_TEXT = 0xffffffffc0200000n;

/** A gdb driven one MI command at a time, its result lines and console text read raw. */
export class MiRecorder implements MiPort {
  readonly exchanges: MiExchange[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: ((line: string) => void) | undefined;
  private console: string[] = [];

  constructor(gdbPath: string, program: string) {
    this.child = spawn(gdbPath, ['--interpreter=mi3', '--nx', '-q', program], { stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => this.onData(text));
  }

  private onData(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line.startsWith('~')) {
        const data = parseMIRecord(line).data as unknown;
        if (typeof data === 'string') this.console.push(data);
      } else if (/^\^(done|error|running|connected|exit)/.test(line)) {
        const waiter = this.waiting;
        this.waiting = undefined;
        waiter?.(line);
      }
    }
  }

  /** Sends one command; resolves with its raw result line (rejects after 30 s, naming the command). */
  async raw(command: string): Promise<string> {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gdb did not answer '${command}' in 30 s`)), 30_000);
      this.waiting = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
      this.child.stdin.write(`${command}\n`);
    });
    return line;
  }

  /** {@link MiPort.mi}, recording the exchange. */
  async mi(command: string): Promise<MITuple> {
    const result = await this.raw(command);
    this.exchanges.push({ command, result });
    return resultOf(command, result);
  }

  /** A CLI command's console output (e.g. `x/20i 0x…`: the oracle for disassembly). */
  async cli(command: string): Promise<string> {
    this.console = [];
    const escaped = command.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const result = await this.raw(`-interpreter-exec console "${escaped}"`);
    if (result.startsWith('^error')) throw new Error(`gdb refused '${command}': ${result}`);
    return this.console.join('');
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.write('-gdb-exit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/** The MI tuple of a recorded result line, as the live backend gives it; `^error` rejects as gdb's error. */
export function resultOf(command: string, line: string): MITuple {
  const record = parseMIRecord(line);
  if (record.state === 'error') {
    const message = record.data?.['msg'];
    throw new GdbCommandError(command, typeof message === 'string' ? message : line);
  }
  return (record.data ?? {}) as MITuple;
}

/** Starts a recorder on the lab's vmlinux with kvm.ko at {@link KVM_TEXT}. */
export async function labRecorder(manifest: LabManifest, gdbPath = 'gdb'): Promise<MiRecorder> {
  const recorder = new MiRecorder(gdbPath, manifest.vmlinux);
  await recorder.raw('-gdb-set index-cache enabled on');
  await recorder.cli(`add-symbol-file ${manifest.kvmKo} -s .text 0x${KVM_TEXT.toString(16)}`);
  return recorder;
}

export function fixturePath(name: string): string {
  return join(repoRoot(), 'test', 'fixtures', 'mi', name);
}
