/** Numbers as the VM Exits views print them. No `vscode` import (unit-tested in plain Node). */
import type { ResolvedSymbol } from '../../adapter/protocol/customRequests';

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `812 ns`, `2.10 µs`, `3.40 ms`. */
export function duration(ns: number): string {
  if (ns < 1000) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function percent(p: number): string {
  return `${p.toFixed(p >= 10 ? 1 : 2)}%`;
}

/** `kvm_emulate_hypercall+12 · x86.c:9761`, `no symbol`, or `resolving…`. */
export function where(symbol: ResolvedSymbol | undefined): string {
  if (symbol === undefined) return 'resolving…';
  if (symbol.function === undefined) return symbol.none ?? 'no symbol';
  const fn = symbol.offset ? `${symbol.function}+${symbol.offset}` : symbol.function;
  if (symbol.file === undefined || symbol.line === undefined) return fn;
  const base = symbol.file.slice(symbol.file.lastIndexOf('/') + 1);
  return `${fn} · ${base}:${symbol.line}`;
}
