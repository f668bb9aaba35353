/**
 * Guest addresses to source locations with binutils' addr2line: `addr2line -e ELF -f -i ADDR`, spawned
 * with an argument array, killed after `timeoutMs`, answers cached per (file, modification time,
 * address). With -i, addr2line prints the chain of inlined functions, innermost first.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { SymbolFileError, ToolFailedError, ToolMissingError } from './errors';

export interface SourceFrame {
  readonly function: string | null;
  readonly file: string;
  /** 1-based; 0 when addr2line knows the file only. */
  readonly line: number;
}

export interface Addr2LineOptions {
  readonly command?: string;
  readonly timeoutMs?: number;
  readonly maxCached?: number;
}

export class Addr2Line {
  private readonly cache = new Map<string, Promise<SourceFrame[]>>();
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly maxCached: number;

  constructor(options: Addr2LineOptions = {}) {
    this.command = options.command ?? 'addr2line';
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.maxCached = options.maxCached ?? 4096;
  }

  /** The source frames of `address` in `elf`, innermost first; empty when addr2line does not know it. */
  async resolve(elf: string, address: bigint): Promise<SourceFrame[]> {
    const stat = await fsp.stat(elf).catch((e: NodeJS.ErrnoException) => {
      throw new SymbolFileError(elf, e.code ?? e.message);
    });
    if (!stat.isFile()) throw new SymbolFileError(elf, 'not a file');
    const key = `${elf}\0${stat.mtimeMs}\0${address}`;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      if (this.cache.size >= this.maxCached) this.cache.clear();
      hit = this.run(elf, address);
      this.cache.set(key, hit);
      void hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }

  private run(elf: string, address: bigint): Promise<SourceFrame[]> {
    const args = ['-e', elf, '-f', '-i', `0x${address.toString(16)}`];
    return new Promise((resolve, reject) => {
      execFile(
        this.command,
        args,
        { timeout: this.timeoutMs, maxBuffer: 1 << 20 },
        (error, stdout, stderr) => {
          if (error === null) return resolve(parseAddr2Line(stdout));
          const e = error as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT') return reject(new ToolMissingError(this.command));
          const why =
            e.killed === true ? `no answer within ${this.timeoutMs / 1000} s` : stderr.trim() || e.message;
          reject(new ToolFailedError(`${this.command} ${args.join(' ')}: ${why}`));
        },
      );
    });
  }
}

/** Pairs of `function` / `file:line[ (discriminator N)]` lines; `??` entries dropped. */
export function parseAddr2Line(stdout: string): SourceFrame[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  const frames: SourceFrame[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const fn = (lines[i] as string).trim();
    const loc = /^(.*):(\d+|\?)(?: \(discriminator \d+\))?$/.exec((lines[i + 1] as string).trim());
    if (loc === null) continue;
    const [, file = '', line = '?'] = loc;
    if (file === '??' || file === '') continue;
    frames.push({ function: fn === '??' ? null : fn, file, line: line === '?' ? 0 : Number(line) });
  }
  return frames;
}
