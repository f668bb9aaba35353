/**
 * Merging of page mappings into ranges, like QEMU's `info mem` (hmp `info mem`, target/i386/monitor.c:
 * virtually contiguous pages with the same user/write protection form one range, whatever their
 * physical addresses).
 */
import { hex16 } from './canonical';
import type { Permissions } from './translate';

/** What `mergeRanges` needs of a leaf mapping (a `Leaf` from `walk` fits). */
export interface MappingLike {
  readonly virtualStart: bigint;
  readonly physicalStart: bigint;
  readonly size: bigint;
  readonly permissions: Permissions;
  /** The page size, when the merge compares it; else the size of the whole mapping. */
  readonly pageSize?: bigint;
}

/** A run of merged mappings; `virtualEnd` is exclusive. */
export interface MappedRange {
  readonly virtualStart: bigint;
  readonly virtualEnd: bigint;
  readonly size: bigint;
  /** Physical address of the first page of the range. */
  readonly physicalStart: bigint;
  /** True when every page follows the previous one physically too. */
  readonly physicallyContiguous: boolean;
  readonly permissions: Permissions;
  /** Number of leaf mappings merged. */
  readonly mappings: number;
}

export interface MergeOptions {
  /** Also require physical contiguity (default false, as QEMU's `info mem`). */
  readonly requirePhysicalContiguity?: boolean;
  /** Also require the same execute permission (default false: QEMU compares only U/S and R/W). */
  readonly compareExecute?: boolean;
  /** Also require the same page size (default false). */
  readonly comparePageSize?: boolean;
}

function sameProtection(a: Permissions, b: Permissions, compareExecute: boolean): boolean {
  return a.user === b.user && a.writable === b.writable && (!compareExecute || a.executable === b.executable);
}

/**
 * Merges leaves into ranges: a leaf joins the previous range when it starts at that range's end and has
 * the same protection (and, if asked, continues it physically). Input need not be sorted.
 */
export function mergeRanges(leaves: Iterable<MappingLike>, options: MergeOptions = {}): MappedRange[] {
  const sorted = [...leaves];
  // A walk yields its leaves in order already: sort only when needed.
  if (sorted.some((leaf, i) => i > 0 && (sorted[i - 1]?.virtualStart ?? 0n) > leaf.virtualStart)) {
    sorted.sort((a, b) => (a.virtualStart < b.virtualStart ? -1 : a.virtualStart > b.virtualStart ? 1 : 0));
  }
  const out: MappedRange[] = [];
  let cur: { -readonly [K in keyof MappedRange]: MappedRange[K] } | undefined;
  let physicalEnd = 0n;
  let pageSize = 0n;
  for (const leaf of sorted) {
    const physicallyNext = cur !== undefined && leaf.physicalStart === physicalEnd;
    if (
      cur !== undefined &&
      leaf.virtualStart === cur.virtualEnd &&
      sameProtection(cur.permissions, leaf.permissions, options.compareExecute === true) &&
      (physicallyNext || options.requirePhysicalContiguity !== true) &&
      (options.comparePageSize !== true || (leaf.pageSize ?? leaf.size) === pageSize)
    ) {
      cur.virtualEnd += leaf.size;
      cur.size += leaf.size;
      cur.mappings++;
      cur.physicallyContiguous &&= physicallyNext;
    } else {
      if (cur !== undefined) out.push(cur);
      pageSize = leaf.pageSize ?? leaf.size;
      cur = {
        virtualStart: leaf.virtualStart,
        virtualEnd: leaf.virtualStart + leaf.size,
        size: leaf.size,
        physicalStart: leaf.physicalStart,
        physicallyContiguous: true,
        permissions: leaf.permissions,
        mappings: 1,
      };
    }
    physicalEnd = leaf.physicalStart + leaf.size;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/**
 * QEMU-style protection string: `u`/`-`, `r`, `w`/`-` (e.g. `urw`, `-rw`, `ur-`), followed by `x`/`-`
 * when `withExecute` is set.
 */
export function permissionString(p: Permissions, withExecute = false): string {
  return `${p.user ? 'u' : '-'}r${p.writable ? 'w' : '-'}${withExecute ? (p.executable ? 'x' : '-') : ''}`;
}

/** Formats a range as QEMU's `info mem` does: `start-end size prot`, addresses as 16 hex digits. */
export function formatRange(range: MappedRange, withExecute = false): string {
  const end = BigInt.asUintN(64, range.virtualEnd);
  return `${hex16(range.virtualStart)}-${hex16(end)} ${hex16(range.size)} ${permissionString(range.permissions, withExecute)}`;
}
