/**
 * Guest RIP → function and source line, with the session's symbols: gdb's `info symbol` and
 * `info line *ADDR` (symbol tables only, no target access, so they also answer while the guest runs).
 * Answers are cached per address; each gdb command has a time bound; addresses are resolved one at a
 * time so that a trace's RIPs never crowd out the user's own requests. In the lab, exit RIPs are the L2
 * guest's (no symbols): they resolve to `no symbol`.
 */
import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, normalize } from 'node:path';
import type { ResolvedSymbol } from '../protocol/customRequests';

export interface SymbolResolver {
  /** The cached answer, or undefined (then `resolve` it). */
  cached(rip: bigint): ResolvedSymbol | undefined;
  resolve(rip: bigint): Promise<ResolvedSymbol>;
}

/** gdb's CLI, as GdbBackend.console gives it. */
export type GdbConsole = (command: string, timeoutMs: number) => Promise<string>;

/**
 * `info symbol`: `kvm_emulate_hypercall + 12 in section .text of /x/kvm.ko` or `No symbol matches 0x…`.
 * Only code counts: a guest RIP that falls in a data section (a low L2 address inside vmlinux's
 * `.data..percpu`, which is linked at 0) has no function.
 */
export function parseInfoSymbol(
  text: string,
): Pick<ResolvedSymbol, 'function' | 'offset' | 'module'> | undefined {
  const m = /^(\S+)(?: \+ (\d+))? in section (\S+)(?: of (\S+))?/m.exec(text.trim());
  if (m?.[1] === undefined || m[3] === undefined || !/text/.test(m[3])) return undefined;
  return {
    function: m[1],
    offset: m[2] === undefined ? 0 : Number(m[2]),
    ...(m[4] === undefined ? {} : { module: basename(m[4]) }),
  };
}

/** `info line *ADDR`: `Line 9761 of "arch/x86/kvm/x86.c" starts at address …`, or undefined. */
export function parseInfoLine(text: string): { file: string; line: number } | undefined {
  const m = /Line (\d+) of "([^"]+)"/.exec(text);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { file: m[2], line: Number(m[1]) };
}

/** Finds a DWARF file name on this machine: absolute names through `sourceFileMap`, relative ones under the roots. */
export class SourceFinder {
  constructor(
    private readonly fileMap: Readonly<Record<string, string>> = {},
    private readonly roots: readonly string[] = [],
  ) {}

  find(file: string): string | undefined {
    const candidates: string[] = [];
    for (const [from, to] of Object.entries(this.fileMap)) {
      if (file === from || file.startsWith(`${from}/`)) candidates.push(to + file.slice(from.length));
    }
    if (isAbsolute(file)) candidates.push(file);
    else
      for (const root of [...this.roots, ...Object.values(this.fileMap)]) candidates.push(join(root, file));
    return candidates.map((c) => normalize(c)).find((c) => existsSync(c));
  }
}

const MAX_CACHED = 8192;

export class GdbSymbolResolver implements SymbolResolver {
  private readonly cache = new Map<bigint, ResolvedSymbol>();
  private readonly inFlight = new Map<bigint, Promise<ResolvedSymbol>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly gdb: GdbConsole,
    private readonly sources: SourceFinder,
    private readonly timeoutMs = 2000,
  ) {}

  cached(rip: bigint): ResolvedSymbol | undefined {
    return this.cache.get(rip);
  }

  resolve(rip: bigint): Promise<ResolvedSymbol> {
    const known = this.cache.get(rip);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.inFlight.get(rip);
    if (pending === undefined) {
      const run = (): Promise<ResolvedSymbol> => this.lookup(rip);
      pending = this.queue.then(run, run);
      this.queue = pending.catch(() => undefined);
      this.inFlight.set(rip, pending);
      void pending.then((answer) => {
        this.inFlight.delete(rip);
        if (this.cache.size >= MAX_CACHED) this.cache.clear();
        // A timeout is not remembered: gdb may answer next time.
        if (answer.none !== TIMED_OUT) this.cache.set(rip, answer);
      });
    }
    return pending;
  }

  private async lookup(rip: bigint): Promise<ResolvedSymbol> {
    const address = `0x${rip.toString(16)}`;
    try {
      const symbol = parseInfoSymbol(await this.gdb(`info symbol ${address}`, this.timeoutMs));
      if (symbol === undefined) return { none: 'no symbol' };
      const line = parseInfoLine(await this.gdb(`info line *${address}`, this.timeoutMs));
      if (line === undefined) return symbol;
      const path = this.sources.find(line.file);
      return { ...symbol, file: line.file, line: line.line, ...(path === undefined ? {} : { path }) };
    } catch (error) {
      if (error instanceof Error && error.name === 'GdbTimeoutError') return { none: TIMED_OUT };
      return { none: `gdb: ${error instanceof Error ? error.message.trim() : String(error)}` };
    }
  }
}

const TIMED_OUT = 'gdb did not answer in time';

/** For traces opened without a debug session: nothing to resolve with. */
export const noSymbols: SymbolResolver = {
  cached: () => ({ none: 'no debug session' }),
  resolve: () => Promise.resolve({ none: 'no debug session' }),
};

/** `kvm_emulate_hypercall+12 (x86.c:9761)`, `no symbol`, or '' while unresolved. */
export function describeSymbol(symbol: ResolvedSymbol | undefined): string {
  if (symbol === undefined) return '';
  if (symbol.function === undefined) return symbol.none ?? 'no symbol';
  let text = symbol.offset ? `${symbol.function}+${symbol.offset}` : symbol.function;
  if (symbol.module !== undefined) text += ` [${symbol.module}]`;
  if (symbol.file !== undefined && symbol.line !== undefined) text += ` at ${symbol.file}:${symbol.line}`;
  return text;
}
