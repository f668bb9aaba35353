/**
 * Items and options of a page-table walk (see `walk.ts`).
 */
import type { PageEntry } from './entries';
import type { EntryLevel } from './mode';
import type { Permissions, TranslationFault } from './translate';

/** A present page-mapping entry. */
export interface Leaf {
  readonly kind: 'leaf';
  readonly virtualStart: bigint;
  readonly physicalStart: bigint;
  /** Page size in bytes. */
  readonly size: bigint;
  readonly level: EntryLevel;
  readonly permissions: Permissions;
  /** The mapping entry (G, D, A, PAT, PCD, PWT, protection key...). */
  readonly entry: PageEntry;
}

/** A table-referencing entry that points back at a table of its own chain (e.g. a recursive PML4E). */
export interface RecursiveEntry {
  readonly kind: 'recursive';
  readonly virtualStart: bigint;
  readonly size: bigint;
  readonly level: EntryLevel;
  readonly entryAddress: bigint;
  /** The table it points to, and the level at which the walk already read it. */
  readonly targetTable: bigint;
  readonly targetLevel: EntryLevel;
}

/** A region that cannot be translated: reserved bits set, or a table that cannot be read. */
export interface WalkFault {
  readonly kind: 'fault';
  readonly virtualStart: bigint;
  readonly size: bigint;
  readonly fault: TranslationFault;
}

/** Emitted once, last, when a limit stopped the walk. */
export interface WalkTruncated {
  readonly kind: 'truncated';
  readonly reason: 'max-table-reads' | 'max-table-visits' | 'max-leaves';
  /** Start of the region that was being enumerated when the walk stopped. */
  readonly virtualStart: bigint;
}

export type WalkItem = Leaf | RecursiveEntry | WalkFault | WalkTruncated;

export interface WalkOptions {
  /** MAXPHYADDR, default 52. */
  readonly maxPhyAddr?: number;
  /** Distinct 4-KByte tables read from memory (each is read at most once), default 16384. */
  readonly maxTableReads?: number;
  /** Table visits, counting a table shared by several entries once per entry, default 65536. */
  readonly maxTableVisits?: number;
  /** Leaves reported, default 1,000,000. */
  readonly maxLeaves?: number;
  /** Only regions intersecting the virtual range [start, end). */
  readonly range?: { readonly start: bigint; readonly end: bigint };
  /** `report` (default): report a recursive entry and do not descend; `follow`: walk it as hardware does. */
  readonly recursive?: 'report' | 'follow';
  /**
   * The walked addresses are guest-physical (a nested page table: AMD NPT): not sign-extended to
   * canonical form. Default false.
   */
  readonly guestPhysical?: boolean;
  /** Read the tables level by level, each level's reads together, before enumerating (default true). */
  readonly prefetch?: boolean;
}

/** Counters returned when the walk finishes. */
export interface WalkStats {
  readonly tableReads: number;
  readonly tableVisits: number;
  readonly leaves: number;
  readonly truncated: boolean;
}
