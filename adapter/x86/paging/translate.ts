/**
 * Linear-to-physical translation by walking the guest's paging structures, as the processor does
 * (Intel SDM Vol. 3A §4.3 32-bit, §4.4 PAE, §4.5 4-level/5-level paging; access rights §4.6;
 * page faults §4.7; AMD APM Vol. 2 §5.3-5.6).
 */
import { isCanonical } from './canonical';
import { decodeEntry, type PageEntry } from './entries';
import type { PhysicalMemory } from './memory';
import { CR4_PSE, EFER_NXE, levelsOf, pagingModeOf, rootTableAddress } from './mode';
import type { EntryLevel, PagingContext, PagingMode } from './mode';
import { readWalkEntry, TableReader, type MemoryErrorFault } from './tableReader';

/** One entry read during a walk. */
export interface WalkStep {
  readonly level: EntryLevel;
  /** Physical address of the table holding the entry. */
  readonly tableAddress: bigint;
  readonly index: number;
  /** Physical address of the entry itself. */
  readonly entryAddress: bigint;
  readonly entry: PageEntry;
}

/** Effective access rights combined over all levels (SDM Vol. 3A §4.6.1). */
export interface Permissions {
  /** R/W=1 at every level. */
  readonly writable: boolean;
  /** U/S=1 at every level. */
  readonly user: boolean;
  /** XD=0 at every level (always true when IA32_EFER.NXE=0 or with 32-bit paging). */
  readonly executable: boolean;
}

/** Why a translation failed. */
export type TranslationFault =
  | { readonly kind: 'non-canonical'; readonly width: 48 | 57 }
  | { readonly kind: 'address-too-wide'; readonly width: 32 | 48 | 57 }
  | { readonly kind: 'not-present'; readonly level: EntryLevel }
  | { readonly kind: 'reserved-bit'; readonly level: EntryLevel; readonly reservedBits: bigint }
  | MemoryErrorFault;

interface TranslationBase {
  readonly mode: PagingMode;
  readonly virtualAddress: bigint;
  /** Entries read, from the root table down; the last is the faulting or page-mapping entry. */
  readonly steps: readonly WalkStep[];
}

export interface TranslationSuccess extends TranslationBase {
  readonly ok: true;
  readonly physicalAddress: bigint;
  /** 4 KiB, 2 MiB, 4 MiB or 1 GiB (4 KiB when paging is off). */
  readonly pageSize: bigint;
  readonly permissions: Permissions;
}

export interface TranslationFailure extends TranslationBase {
  readonly ok: false;
  readonly fault: TranslationFault;
  readonly message: string;
}

export type Translation = TranslationSuccess | TranslationFailure;

export interface TranslateOptions {
  /** MAXPHYADDR, default 52. */
  readonly maxPhyAddr?: number;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** A one-line explanation of a fault, e.g. `not present at PDE`. */
export function describeFault(fault: TranslationFault): string {
  switch (fault.kind) {
    case 'non-canonical':
      return `non-canonical address (${fault.width}-bit linear addresses)`;
    case 'address-too-wide':
      return `address wider than ${fault.width} bits`;
    case 'not-present':
      return `not present at ${fault.level}`;
    case 'reserved-bit':
      return `reserved bit(s) ${hex(fault.reservedBits)} set in ${fault.level}`;
    case 'memory-error':
      return `cannot read the table holding the ${fault.level} at ${hex(fault.tableAddress)} (${fault.reason}): ${fault.message}`;
  }
}

/** Combines access rights over the entries of a walk (SDM Vol. 3A §4.6.1). */
export function combinePermissions(entries: readonly PageEntry[]): Permissions {
  return {
    writable: entries.every((e) => e.writable),
    user: entries.every((e) => e.user),
    executable: entries.every((e) => !e.executeDisable),
  };
}

/** Checks the linear address against the mode's width; returns a fault if it is invalid. */
export function addressFault(mode: PagingMode, va: bigint): TranslationFault | undefined {
  if (mode === '4-level' || mode === '5-level') {
    const width = mode === '5-level' ? 57 : 48;
    return isCanonical(va, width) ? undefined : { kind: 'non-canonical', width };
  }
  return va < 0n || va > 0xffffffffn ? { kind: 'address-too-wide', width: 32 } : undefined;
}

/**
 * Translates `virtualAddress` with the paging mode selected by `ctx`. Never throws for guest state:
 * unreadable tables, absent entries, reserved bits and bad addresses come back as a `fault`.
 */
export async function translate(
  mem: PhysicalMemory,
  ctx: PagingContext,
  virtualAddress: bigint,
  options: TranslateOptions = {},
): Promise<Translation> {
  const mode = pagingModeOf(ctx);
  const steps: WalkStep[] = [];
  const fail = (fault: TranslationFault): TranslationFailure => ({
    ok: false,
    mode,
    virtualAddress,
    steps,
    fault,
    message: describeFault(fault),
  });
  const all = { writable: true, user: true, executable: true };
  if (mode === 'none') {
    return {
      ok: true,
      mode,
      virtualAddress,
      steps,
      physicalAddress: virtualAddress,
      pageSize: 0x1000n,
      permissions: all,
    };
  }
  const bad = addressFault(mode, virtualAddress);
  if (bad !== undefined) return fail(bad);
  const maxPhyAddr = options.maxPhyAddr ?? 52;
  const entryOptions = {
    mode,
    nxe: (ctx.efer & EFER_NXE) !== 0n,
    pse: (ctx.cr4 & CR4_PSE) !== 0n,
    maxPhyAddr,
  };
  const reader = new TableReader(mem);
  let tableAddress = rootTableAddress(mode, ctx.cr3, maxPhyAddr);
  for (const level of levelsOf(mode)) {
    const index = Number((virtualAddress >> BigInt(level.shift)) & BigInt(level.entries - 1));
    const read = await readWalkEntry(reader, tableAddress, index, level.entrySize, level.name);
    if ('fault' in read) return fail(read.fault);
    const raw = read.raw;
    const entry = decodeEntry(raw, level.name, entryOptions);
    const entryAddress = tableAddress + BigInt(index * level.entrySize);
    steps.push({ level: level.name, tableAddress, index, entryAddress, entry });
    if (!entry.present) return fail({ kind: 'not-present', level: level.name });
    if (entry.reservedBits !== 0n) {
      return fail({ kind: 'reserved-bit', level: level.name, reservedBits: entry.reservedBits });
    }
    if (entry.role !== 'table') {
      const permissions = combinePermissions(steps.map((s) => s.entry));
      const physicalAddress = entry.address | (virtualAddress & (entry.pageBytes - 1n));
      return {
        ok: true,
        mode,
        virtualAddress,
        steps,
        physicalAddress,
        pageSize: entry.pageBytes,
        permissions,
      };
    }
    tableAddress = entry.address;
  }
  // Unreachable: the last level of every mode is the PTE, which always maps a page.
  throw new Error('paging walk ended without a page-mapping entry');
}
