/**
 * The reference for the benchmarks: gdb itself, driven over MI with nothing in between (no gdb-js, no
 * DAP). Only what a benchmark needs: send a command, wait for its result record or for `*stopped`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export class RawGdb {
  private readonly waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const index = this.waiters.findIndex((w) => w.match(line));
      if (index >= 0) this.waiters.splice(index, 1)[0]?.resolve(line);
    });
  }

  static start(args: readonly string[] = []): RawGdb {
    return new RawGdb(
      spawn('gdb', ['--interpreter=mi3', '--nx', '-q', ...args], { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
  }

  private wait(match: (line: string) => boolean): Promise<string> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Sends an MI command; resolves with its result line; rejects on `^error`. */
  async command(text: string): Promise<string> {
    const result = this.wait((line) => /^\^(done|running|connected|error|exit)/.test(line));
    this.child.stdin.write(`${text}\n`);
    const line = await result;
    if (line.startsWith('^error')) throw new Error(`${text}: ${line}`);
    return line;
  }

  /** Sends a command that resumes the target and resolves at the next `*stopped`. */
  async untilStopped(text: string): Promise<string> {
    const stopped = this.wait((line) => line.startsWith('*stopped'));
    await this.command(text);
    return stopped;
  }

  async exit(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.write('-gdb-exit\n');
    await exited;
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}
