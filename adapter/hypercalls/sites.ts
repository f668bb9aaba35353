/**
 * The hypercall sites of a loaded kernel, for the Hypercall Sites view: the `vmcall`/`vmmcall`
 * instructions (and calls into Xen's hypercall page, when the kernel has one) of the program's ELF
 * `.text`, grouped by function, each with what the running guest really has there (Linux patches
 * `vmcall` into `vmmcall` on AMD through ALTERNATIVE, so the file and the guest differ).
 *
 * Scanning 15 MB of kernel text instruction by instruction takes seconds, so candidates are found by
 * their bytes first (`0f 01 c1` vmcall, `0f 01 d9` vmmcall, `e8 rel32` into the hypercall page), then
 * confirmed by a linear sweep (adapter/hypercalls/scan.ts) from the start of the function holding them,
 * which rejects byte patterns inside other instructions.
 */
import type { HypercallSiteGroup, HypercallSiteInfo } from '../protocol/hypercallRequests';
import type { ResolvedSymbol } from '../protocol/customRequests';
import { decodeHypercallInstruction } from './decode';
import { hex } from './registers';
import { findHypercallSites } from './scan';
import type { HypercallContext } from './types';
import { XEN_HYPERCALL_PAGE_SIZE } from './xen';

/** An ELF section as gdb's `maint info sections` lists it. */
export interface SectionRange {
  readonly name: string;
  readonly start: bigint;
  readonly end: bigint;
  /** Offset of the section's contents in the file. */
  readonly fileOffset: number;
}

/**
 * Parses gdb's `maint info sections` for the exec file's sections:
 * `Exec file: '/x/vmlinux', file type elf64-x86-64.` then
 * ` [0]      0xffffffff81000000->0xffffffff81e01ef2 at 0x00200000: .text ALLOC LOAD ... CODE HAS_CONTENTS`.
 * Sections of other objfiles (`Object file: ...`) are left out.
 */
export function parseMaintSections(text: string): { file?: string; sections: SectionRange[] } {
  const sections: SectionRange[] = [];
  let file: string | undefined;
  let inExec = false;
  for (const line of text.split('\n')) {
    const header = /^(Exec|Object) file: [`'](.*)', file type/.exec(line);
    if (header !== null) {
      inExec = header[1] === 'Exec';
      if (inExec) file = header[2];
      continue;
    }
    if (!inExec) continue;
    const m = /^\s*\[\d+\]\s+0x([0-9a-f]+)->0x([0-9a-f]+) at 0x([0-9a-f]+): (\S+)/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined || m[4] === undefined) continue;
    sections.push({
      name: m[4],
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      fileOffset: Number.parseInt(m[3], 16),
    });
  }
  return file === undefined ? { sections } : { file, sections };
}

/** Offsets in `bytes` where a hypercall instruction may start (byte patterns, not yet confirmed). */
export function candidateOffsets(bytes: Uint8Array, base: bigint, context: HypercallContext = {}): number[] {
  const out: number[] = [];
  const page = context.xenHypercallPage;
  const pageEnd = page === undefined ? undefined : page + BigInt(XEN_HYPERCALL_PAGE_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 2 < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x0f && bytes[i + 1] === 0x01 && (bytes[i + 2] === 0xc1 || bytes[i + 2] === 0xd9)) {
      out.push(i);
    } else if (b === 0xe8 && page !== undefined && pageEnd !== undefined && i + 5 <= bytes.length) {
      const target = base + BigInt(i + 5) + BigInt(view.getInt32(i + 1, true));
      if (target >= page && target < pageEnd) out.push(i);
    }
  }
  return out;
}

/** What the scanner needs from the session. */
export interface SiteEnvironment {
  /** Function, file and line of an address (gdb `info symbol`, `info line *addr`). */
  resolve(address: bigint): Promise<ResolvedSymbol>;
  /** Live guest bytes; rejects when not readable. */
  readGuest(address: bigint, count: number): Promise<Uint8Array>;
}

/**
 * The confirmed sites of `text` (the bytes of the ELF's `.text`, linked at `base`), grouped by function
 * in address order, with the live instruction at each.
 */
export async function collectSites(
  text: Uint8Array,
  base: bigint,
  env: SiteEnvironment,
  context: HypercallContext = {},
): Promise<HypercallSiteGroup[]> {
  const byFunction = new Map<string, { start: bigint; symbol: ResolvedSymbol; offsets: number[] }>();
  for (const offset of candidateOffsets(text, base, context)) {
    const address = base + BigInt(offset);
    const symbol = await env.resolve(address);
    const name = symbol.function ?? '??';
    const start = symbol.function === undefined ? address : address - BigInt(symbol.offset ?? 0);
    const key = `${name}@${start.toString(16)}`;
    const group = byFunction.get(key) ?? { start, symbol, offsets: [] };
    group.offsets.push(offset);
    byFunction.set(key, group);
  }
  const groups: HypercallSiteGroup[] = [];
  for (const group of byFunction.values()) {
    const from = Math.max(0, Number(group.start - base));
    const last = Math.max(...group.offsets);
    const slice = text.subarray(from, Math.min(text.length, last + 16));
    const wanted = new Set(group.offsets.map((o) => base + BigInt(o)));
    const found = findHypercallSites(slice, base + BigInt(from), context).filter((s) =>
      wanted.has(s.address),
    );
    const sites: HypercallSiteInfo[] = [];
    for (const f of found) sites.push(await siteInfo(f.address, f.instruction, f.site.length, env, context));
    if (sites.length > 0) groups.push({ function: group.symbol.function ?? '??', sites });
  }
  return groups.sort((a, b) => compareHex(a.sites[0]?.address, b.sites[0]?.address));
}

async function siteInfo(
  address: bigint,
  elfInstruction: string,
  length: number,
  env: SiteEnvironment,
  context: HypercallContext,
): Promise<HypercallSiteInfo> {
  const symbol = await env.resolve(address);
  let instruction = elfInstruction;
  let liveError: string | undefined;
  try {
    const live = await env.readGuest(address, Math.max(length, 15));
    const site = decodeHypercallInstruction(live, address, context);
    if (site !== undefined) instruction = site.text;
    else
      liveError = `the guest has ${Buffer.from(live.subarray(0, length)).toString('hex')} here, not a hypercall`;
  } catch (error) {
    liveError = `not readable in the guest: ${error instanceof Error ? error.message : String(error)}`;
  }
  const abi = /^vmm?call$/.test(elfInstruction)
    ? 'kvm'
    : /hypercall_page|call/.test(elfInstruction)
      ? 'xen'
      : undefined;
  return {
    address: hex(address),
    instruction,
    elfInstruction,
    ...(abi === undefined ? {} : { abi }),
    symbol,
    ...(liveError === undefined ? {} : { liveError }),
  };
}

function compareHex(a: string | undefined, b: string | undefined): number {
  const x = BigInt(a ?? '0');
  const y = BigInt(b ?? '0');
  return x < y ? -1 : x > y ? 1 : 0;
}
