/**
 * The memory map of a root: every present leaf mapping (walk.ts) merged into ranges (ranges.ts),
 * filtered by virtual range and permission, with writable+executable and user-accessible kernel
 * (upper-half) ranges flagged.
 */
import type { MemoryMapRange } from '../protocol/pagingRequests';
import { upperHalfStart } from '../x86/paging/canonical';
import type { PhysicalMemory } from '../x86/paging/memory';
import { pagingModeOf } from '../x86/paging/mode';
import { mergeRanges, permissionString, type MappedRange } from '../x86/paging/ranges';
import { describeFault } from '../x86/paging/translate';
import { walkItems, type Leaf, type WalkItem } from '../x86/paging/walk';
import { entryFlags, hex } from './format';
import { nptAsContext, type PagingRoot } from './roots';
import { UserInputError } from '../debugger/userInputError';

/**
 * How leaves merge: `ranges` (default) same U/S, R/W, XD, page size and physically contiguous;
 * `qemu` as QEMU's `info mem` (same U/S and R/W, adjacent virtually); `none`: one range per leaf.
 */
export type MergeMode = 'ranges' | 'qemu' | 'none';

/** A permission filter: letters that must hold (`u`, `r`, `w`, `x`) and, after `!`, must not. */
export interface PermissionFilter {
  readonly require: ReadonlySet<string>;
  readonly forbid: ReadonlySet<string>;
}

/** Parses `w`, `wx`, `u!x` (user, not executable)... @throws Error naming the bad letter. */
export function parsePermissions(text: string): PermissionFilter {
  const require = new Set<string>();
  const forbid = new Set<string>();
  let negate = false;
  for (const c of text.toLowerCase()) {
    if (c === '!') {
      negate = true;
      continue;
    }
    if (!'urwx'.includes(c)) {
      throw new UserInputError(
        `'${text}': permissions are the letters u (user), r, w, x, each may follow '!' (not)`,
      );
    }
    (negate ? forbid : require).add(c);
    negate = false;
  }
  return { require, forbid };
}

export interface MemoryMapOptions {
  /** Virtual range [start, end] (inclusive). */
  readonly from?: bigint;
  readonly to?: bigint;
  readonly permissions?: PermissionFilter;
  readonly merge?: MergeMode;
  /** Only ranges with a warning. */
  readonly warningsOnly?: boolean;
}

/** A range of the map, with the leaf's entry flags when not merged (`merge: 'none'`). */
export type MapRange = MemoryMapRange & { readonly entryFlags?: string; readonly level?: string };

export interface MemoryMapResult {
  readonly ranges: MapRange[];
  readonly tables: number;
  readonly leaves: number;
  readonly problems: string[];
}

const MAX_PROBLEMS = 40;

/** Walks `root` and builds its map. Never throws for guest state: bad tables become `problems`. */
export async function memoryMap(
  root: PagingRoot,
  memory: PhysicalMemory,
  options: MemoryMapOptions = {},
): Promise<MemoryMapResult> {
  const format = root.format;
  if (format.kind === 'ept') {
    return { ranges: [], tables: 0, leaves: 0, problems: ['the memory map of an EPT is not implemented'] };
  }
  const ctx = format.kind === 'npt' ? nptAsContext(format.npt) : format.ctx;
  const mode = pagingModeOf(ctx);
  if (mode === 'none') {
    return { ranges: [], tables: 0, leaves: 0, problems: ['paging is off (CR0.PG=0): no page tables'] };
  }
  const from = options.from ?? 0n;
  const to = options.to ?? (1n << 64n) - 1n;
  if (to < from) throw new UserInputError(`the range ${hex(from)}-${hex(to)} is empty`);
  const range =
    options.from === undefined && options.to === undefined ? {} : { range: { start: from, end: to + 1n } };
  const walked = await walkItems(memory, ctx, { ...range, guestPhysical: format.kind === 'npt' });
  const leaves: Leaf[] = [];
  const problems: string[] = [];
  let extra = 0;
  const problem = (text: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
    else extra++;
  };
  const stats = walked.stats;
  for (const item of walked.items) {
    if (item.kind === 'leaf') leaves.push(item);
    else problem(describeItem(item));
  }
  if (extra > 0) problems.push(`... and ${extra} more`);

  const upper =
    mode === '5-level' ? upperHalfStart(57) : mode === '4-level' ? upperHalfStart(48) : 0x80000000n;
  const merge = options.merge ?? 'ranges';
  const merged: MappedRange[] =
    merge === 'none'
      ? leaves.map((l) => ({
          virtualStart: l.virtualStart,
          virtualEnd: l.virtualStart + l.size,
          size: l.size,
          physicalStart: l.physicalStart,
          physicallyContiguous: true,
          permissions: l.permissions,
          mappings: 1,
        }))
      : mergeRanges(
          leaves,
          merge === 'ranges'
            ? { requirePhysicalContiguity: true, compareExecute: true, comparePageSize: true }
            : {},
        );
  const ranges: MapRange[] = [];
  let next = 0;
  for (const m of merged) {
    // The leaves of this range (both lists ascend by virtual address; walk order is ascending).
    let smallest = 0n;
    let wx = false;
    const first = leaves[next];
    for (let taken = 0; taken < m.mappings; taken++, next++) {
      const l = leaves[next];
      if (l === undefined) break;
      if (smallest === 0n || l.size < smallest) smallest = l.size;
      wx ||= l.permissions.writable && l.permissions.executable;
    }
    const warnings: ('writable-executable' | 'user-kernel')[] = [];
    if (wx) warnings.push('writable-executable');
    if (format.kind !== 'npt' && m.permissions.user && m.virtualStart >= upper) warnings.push('user-kernel');
    if (!admits(m, options.permissions) || (options.warningsOnly === true && warnings.length === 0)) continue;
    ranges.push({
      virtualStart: hex(m.virtualStart),
      virtualEnd: hex(m.virtualEnd - 1n),
      physicalStart: hex(m.physicalStart),
      size: hex(m.size),
      flags: permissionString(m.permissions, merge !== 'qemu'),
      pageSize: Number(smallest),
      warnings,
      ...(merge === 'none' && first !== undefined
        ? { entryFlags: entryFlags(first.entry), level: first.level }
        : {}),
    });
  }
  return { ranges, tables: stats.tableReads, leaves: stats.leaves, problems };
}

function admits(m: MappedRange, filter: PermissionFilter | undefined): boolean {
  if (filter === undefined) return true;
  const has: Record<string, boolean> = {
    u: m.permissions.user,
    r: true,
    w: m.permissions.writable,
    x: m.permissions.executable,
  };
  for (const c of filter.require) if (has[c] !== true) return false;
  for (const c of filter.forbid) if (has[c] === true) return false;
  return true;
}

function describeItem(item: Exclude<WalkItem, Leaf>): string {
  switch (item.kind) {
    case 'fault':
      return `${hex(item.virtualStart)}-${hex(item.virtualStart + item.size - 1n)} not mapped: ${describeFault(item.fault)}`;
    case 'recursive':
      return `the ${item.level} at ${hex(item.entryAddress)} (${hex(item.virtualStart)}-${hex(item.virtualStart + item.size - 1n)}) points back at the ${item.targetLevel} table ${hex(item.targetTable)}: a recursive map, not walked again`;
    case 'truncated':
      return `the walk stopped at ${hex(item.virtualStart)}: ${item.reason} limit reached (a hostile or corrupt table?)`;
  }
}
