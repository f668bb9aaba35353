/**
 * The little the kernel services need from a debugger: evaluate an expression in the kernel's types, read
 * guest virtual memory, run a gdb command. Kept an interface so the services can be tested on recorded
 * answers; {@link gdbKernelTarget} is the real one.
 */
import type { GdbBackend } from '../gdb/backend';
import { cli } from '../gdb/mi/cli';
import { evaluate, readMemory } from '../gdb/mi/data';
import { quoteCliPath } from '../gdb/miValues';

export interface KernelTarget {
  /** gdb's printed value of `expression` (e.g. `0xffffffffa9cde2ab "bare hardware"`); rejects with gdb's message. */
  evaluate(expression: string): Promise<string>;
  /** `length` bytes of guest virtual memory, or undefined when any of them cannot be read. */
  read(address: bigint, length: number): Promise<Buffer | undefined>;
  /** A gdb CLI command's output. */
  command(line: string, timeoutMs?: number): Promise<string>;
}

export function gdbKernelTarget(gdb: GdbBackend): KernelTarget {
  return {
    evaluate: (expression) => evaluate(gdb, expression),
    read: async (address, length) => {
      const bytes = await readMemory(gdb, address, length).catch(() => undefined);
      return bytes !== undefined && bytes.length === length ? bytes : undefined;
    },
    command: (line, timeoutMs) => cli(gdb, line, timeoutMs),
  };
}

/** Quotes a path for a gdb CLI command line. */
export const gdbPath = quoteCliPath;

/** `0x`-prefixed lower-case hex of a 64-bit value. */
export function hex(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16)}`;
}

/** An integer gdb printed (`18446744072639406080`, `0xffffffffc035f000`, `(void *) 0xffff... <sym>`). */
export function parseAddress(text: string): bigint | undefined {
  const match = /(?:^|[\s)])(0x[0-9a-fA-F]+|\d+)\b/.exec(` ${text.trim()}`);
  return match?.[1] === undefined ? undefined : BigInt.asUintN(64, BigInt(match[1]));
}

/**
 * The C string in a value gdb printed: `"kvm_amd", '\000' <repeats 48 times>` (a char array) or
 * `0xffffffffa9cde2ab "bare hardware"` (a char pointer). Undefined when there is none.
 */
export function parseCString(text: string): string | undefined {
  const match = /"((?:[^"\\]|\\.)*)"/.exec(text);
  if (match?.[1] === undefined) return undefined;
  return match[1].replace(/\\(["\\])/g, '$1');
}
