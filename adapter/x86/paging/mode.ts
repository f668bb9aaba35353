/**
 * Paging modes and their level structure (Intel SDM Vol. 3A §4.1.1 "Four Paging Modes", Table 4-1;
 * AMD APM Vol. 2 §5.1 "Page Translation Overview").
 */
import type { LinearAddressWidth } from './canonical';

/** `none`: CR0.PG=0. The others follow SDM §4.1.1 names: 32-bit, PAE, 4-level and 5-level paging. */
export type PagingMode = 'none' | '32-bit' | 'pae' | '4-level' | '5-level';

/** Paging-structure entry names used by the manuals (SDM §4.2 "Hierarchical Paging Structures"). */
export type EntryLevel = 'PML5E' | 'PML4E' | 'PDPTE' | 'PDE' | 'PTE';

/** The registers that select and root the paging mode. Missing `cr0` is taken as CR0.PG=1. */
export interface PagingContext {
  readonly cr0?: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
}

/** One level of a paging mode's hierarchy. */
export interface LevelSpec {
  readonly name: EntryLevel;
  /** Lowest linear-address bit this level's index selects (the size of one entry's region is 2^shift). */
  readonly shift: number;
  /** Number of entries in the table (512, 1024, or 4 for the PAE PDPT). */
  readonly entries: number;
  /** Bytes per entry: 8, or 4 with 32-bit paging. */
  readonly entrySize: 4 | 8;
}

export const CR0_PG = 1n << 31n;
export const CR4_PSE = 1n << 4n;
export const CR4_PAE = 1n << 5n;
export const CR4_LA57 = 1n << 12n;
export const CR4_PKE = 1n << 22n;
export const EFER_LME = 1n << 8n;
export const EFER_LMA = 1n << 10n;
export const EFER_NXE = 1n << 11n;

/**
 * The paging mode in effect (SDM Vol. 3A Table 4-1): CR0.PG=0 → none; CR4.PAE=0 → 32-bit;
 * EFER.LMA=0 → PAE; else CR4.LA57 → 5-level or 4-level. EFER.LME with CR0.PG=1 also counts as LMA=1.
 */
export function pagingModeOf(ctx: PagingContext): PagingMode {
  const cr0 = ctx.cr0 ?? CR0_PG;
  if ((cr0 & CR0_PG) === 0n) return 'none';
  if ((ctx.cr4 & CR4_PAE) === 0n) return '32-bit';
  if ((ctx.efer & (EFER_LMA | EFER_LME)) === 0n) return 'pae';
  return (ctx.cr4 & CR4_LA57) !== 0n ? '5-level' : '4-level';
}

const L = (name: EntryLevel, shift: number, entries: number, entrySize: 4 | 8): LevelSpec => ({
  name,
  shift,
  entries,
  entrySize,
});

const LEVELS: Readonly<Record<Exclude<PagingMode, 'none'>, readonly LevelSpec[]>> = {
  '5-level': [
    L('PML5E', 48, 512, 8),
    L('PML4E', 39, 512, 8),
    L('PDPTE', 30, 512, 8),
    L('PDE', 21, 512, 8),
    L('PTE', 12, 512, 8),
  ],
  '4-level': [L('PML4E', 39, 512, 8), L('PDPTE', 30, 512, 8), L('PDE', 21, 512, 8), L('PTE', 12, 512, 8)],
  pae: [L('PDPTE', 30, 4, 8), L('PDE', 21, 512, 8), L('PTE', 12, 512, 8)],
  '32-bit': [L('PDE', 22, 1024, 4), L('PTE', 12, 1024, 4)],
};

/** The levels of a paging mode, from the table CR3 points to down to the PTE. */
export function levelsOf(mode: Exclude<PagingMode, 'none'>): readonly LevelSpec[] {
  return LEVELS[mode];
}

/** Linear-address width: 32 for 32-bit and PAE paging, 48 for 4-level, 57 for 5-level (SDM Table 4-1). */
export function linearAddressWidth(mode: PagingMode): 32 | LinearAddressWidth {
  return mode === '5-level' ? 57 : mode === '4-level' ? 48 : 32;
}

/**
 * Physical address of the first paging structure from CR3 (SDM Vol. 3A §4.3 Table 4-3 for 32-bit paging:
 * bits 31:12; §4.4.1 for PAE: the 32-byte aligned PDPT at bits 31:5; §4.5 Table 4-12 for 4/5-level:
 * bits M-1:12).
 */
export function rootTableAddress(mode: Exclude<PagingMode, 'none'>, cr3: bigint, maxPhyAddr: number): bigint {
  if (mode === '32-bit') return cr3 & 0xfffff000n;
  if (mode === 'pae') return cr3 & 0xffffffe0n;
  return cr3 & ((1n << BigInt(maxPhyAddr)) - 1n) & ~0xfffn;
}
