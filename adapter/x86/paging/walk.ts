/**
 * Enumeration of every present page mapping of a guest address space, in ascending virtual order,
 * with bounds for hostile or recursive page tables (Intel SDM Vol. 3A §4.3-4.5; AMD APM Vol. 2 §5.3).
 * Before enumerating, the tables are read one level at a time, each level's reads issued together
 * (a live stub gets them as one pipelined burst: 4 or 5 round trips instead of one per table).
 */
import { canonicalize } from './canonical';
import { decodeEntry, decodeEntryCore, type EntryOptions, type PageEntry } from './entries';
import { describeMemoryError, type PhysicalMemory } from './memory';
import {
  CR4_PSE,
  EFER_NXE,
  levelsOf,
  pagingModeOf,
  rootTableAddress,
  type LevelSpec,
  type PagingContext,
} from './mode';
import { TableReader, TableReadLimitError } from './tableReader';
import type { Permissions } from './translate';
import type {
  Leaf,
  RecursiveEntry,
  WalkFault,
  WalkItem,
  WalkOptions,
  WalkStats,
  WalkTruncated,
} from './walkItems';

export type {
  Leaf,
  RecursiveEntry,
  WalkFault,
  WalkItem,
  WalkOptions,
  WalkStats,
  WalkTruncated,
} from './walkItems';

/**
 * Yields every present leaf mapping in ascending virtual order, plus recursive entries, faulty regions
 * and, last, a `truncated` item if a limit was hit. Returns the counters. Yields nothing when CR0.PG=0.
 * Never throws for guest state: table read errors become `fault` items.
 */
export async function* walk(
  mem: PhysicalMemory,
  ctx: PagingContext,
  options: WalkOptions = {},
): AsyncGenerator<WalkItem, WalkStats, undefined> {
  const { items, stats } = await walkItems(mem, ctx, options);
  yield* items;
  return stats;
}

/**
 * `walk`'s items as one array (no promise per item: a full walk of a small Linux guest has about
 * 10,000 leaves), and its counters.
 */
export async function walkItems(
  mem: PhysicalMemory,
  ctx: PagingContext,
  options: WalkOptions = {},
): Promise<{ items: WalkItem[]; stats: WalkStats }> {
  const mode = pagingModeOf(ctx);
  const stats = { tableReads: 0, tableVisits: 0, leaves: 0, truncated: false };
  const items: WalkItem[] = [];
  if (mode === 'none') return { items, stats };
  const levels = levelsOf(mode);
  const maxPhyAddr = options.maxPhyAddr ?? 52;
  const entryOptions = {
    mode,
    nxe: (ctx.efer & EFER_NXE) !== 0n,
    pse: (ctx.cr4 & CR4_PSE) !== 0n,
    maxPhyAddr,
  };
  const reader = new TableReader(mem, options.maxTableReads ?? 16384);
  const maxVisits = options.maxTableVisits ?? 65536;
  const maxLeaves = options.maxLeaves ?? 1_000_000;
  const width = mode === '5-level' ? 57 : mode === '4-level' ? 48 : 0;
  const toVirtual = (linear: bigint): bigint =>
    width === 0 || options.guestPhysical === true ? linear : canonicalize(linear, width);
  const range = options.range;
  const follow = options.recursive === 'follow';
  const outside = (virtualStart: bigint, size: bigint): boolean =>
    range !== undefined && (virtualStart + size <= range.start || virtualStart >= range.end);

  const stop = (reason: WalkTruncated['reason'], virtualStart: bigint): WalkTruncated => {
    stats.truncated = true;
    return { kind: 'truncated', reason, virtualStart };
  };

  const all = PERMISSIONS[7] as Permissions;
  const nxe = entryOptions.nxe && mode !== '32-bit';
  /** Access rights of an entry combined with its parents' (SDM Vol. 3A §4.6.1), one shared object each. */
  const combined = (inherited: Permissions, raw: bigint, depth: number): Permissions => {
    // A PAE PDPTE has no R/W, U/S or XD bit.
    const all3 = mode === 'pae' && depth === 0;
    const w = inherited.writable && (all3 || (raw & 2n) !== 0n);
    const u = inherited.user && (all3 || (raw & 4n) !== 0n);
    const x = inherited.executable && !(nxe && !all3 && raw >> 63n === 1n);
    return PERMISSIONS[(w ? 1 : 0) | (u ? 2 : 0) | (x ? 4 : 0)] as Permissions;
  };

  /** Visits one table, pushing its items; returns false when a limit stopped the walk. */
  async function visit(
    table: bigint,
    depth: number,
    linearBase: bigint,
    chain: bigint[],
    inherited: Permissions,
  ): Promise<boolean> {
    const level = levels[depth];
    if (level === undefined) return true;
    const regionStart = toVirtual(linearBase);
    if (stats.tableVisits >= maxVisits) {
      items.push(stop('max-table-visits', regionStart));
      return false;
    }
    stats.tableVisits++;
    let page: Uint8Array;
    try {
      page = await reader.page(table);
    } catch (error) {
      if (error instanceof TableReadLimitError) {
        items.push(stop('max-table-reads', regionStart));
        return false;
      }
      const size = BigInt(level.entries) << BigInt(level.shift);
      const fault = {
        kind: 'memory-error',
        level: level.name,
        tableAddress: table,
        ...describeMemoryError(error, table),
      } as const;
      items.push({ kind: 'fault', virtualStart: regionStart, size, fault });
      return true;
    } finally {
      stats.tableReads = reader.reads;
    }
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const offset = Number(table & 0xfffn);
    const shift = BigInt(level.shift);
    const size = 1n << shift;
    for (let i = 0; i < level.entries; i++) {
      const at = offset + i * level.entrySize;
      // P (bit 0) first: most entries of a table are empty, and decoding costs.
      if (((page[at] ?? 0) & 1) === 0) continue;
      const linear = linearBase + (BigInt(i) << shift);
      const virtualStart = toVirtual(linear);
      if (outside(virtualStart, size)) continue;
      const raw = level.entrySize === 8 ? view.getBigUint64(at, true) : BigInt(view.getUint32(at, true));
      const entry = decodeEntryCore(raw, level.name, entryOptions);
      if (entry.reservedBits !== 0n) {
        items.push({
          kind: 'fault',
          virtualStart,
          size,
          fault: { kind: 'reserved-bit', level: level.name, reservedBits: entry.reservedBits },
        });
        continue;
      }
      const permissions = combined(inherited, raw, depth);
      if (entry.role !== 'table') {
        if (stats.leaves >= maxLeaves) {
          items.push(stop('max-leaves', virtualStart));
          return false;
        }
        stats.leaves++;
        items.push(
          new LeafItem(virtualStart, entry.address, size, level.name, permissions, raw, entryOptions),
        );
        continue;
      }
      const seenAt = chain.indexOf(entry.address);
      const targetLevel = levels[seenAt]?.name;
      if (targetLevel !== undefined && !follow) {
        const entryAddress = table + BigInt(i * level.entrySize);
        items.push({
          kind: 'recursive',
          virtualStart,
          size,
          level: level.name,
          entryAddress,
          targetTable: entry.address,
          targetLevel,
        });
        continue;
      }
      if (!(await visit(entry.address, depth + 1, linear, [...chain, entry.address], permissions)))
        return false;
    }
    return true;
  }

  const root = rootTableAddress(mode, ctx.cr3, maxPhyAddr);
  if (options.prefetch !== false) {
    await prefetchLevels(reader, levels, root, entryOptions, (linear, size) =>
      outside(toVirtual(linear), size),
    );
  }
  await visit(root, 0, 0n, [root], all);
  stats.tableReads = reader.reads;
  return { items, stats };
}

/** The 8 combinations of access rights, shared by every leaf (indexed by W | U << 1 | X << 2). */
const PERMISSIONS: readonly Permissions[] = Array.from({ length: 8 }, (_, i) =>
  Object.freeze({ writable: (i & 1) !== 0, user: (i & 2) !== 0, executable: (i & 4) !== 0 }),
);

/** A leaf whose full entry decode (`entry`) is done only when asked for. */
class LeafItem implements Leaf {
  readonly kind = 'leaf';
  private decoded: PageEntry | undefined;

  constructor(
    readonly virtualStart: bigint,
    readonly physicalStart: bigint,
    readonly size: bigint,
    readonly level: Leaf['level'],
    readonly permissions: Permissions,
    private readonly raw: bigint,
    private readonly options: EntryOptions,
  ) {}

  get entry(): PageEntry {
    this.decoded ??= decodeEntry(this.raw, this.level, this.options);
    return this.decoded;
  }
}

/**
 * Reads the tables below `root` breadth first: all tables of one level with one `Promise.all`, so that
 * the reads of a level go out together. Only what the walk will visit (present, in range, no reserved
 * bits, each table once). Errors and limits are left for the walk, which meets them in the cache.
 */
async function prefetchLevels(
  reader: TableReader,
  levels: readonly LevelSpec[],
  root: bigint,
  entryOptions: EntryOptions,
  outside: (linear: bigint, size: bigint) => boolean,
): Promise<void> {
  const seen = new Set<bigint>([root & ~0xfffn]);
  let current = [{ table: root, linearBase: 0n }];
  for (const [depth, level] of levels.entries()) {
    if (current.length === 0) return;
    const pages = await Promise.all(
      current.map((t) =>
        reader.page(t.table).then(
          (page) => ({ ...t, page }),
          () => undefined,
        ),
      ),
    );
    if (depth === levels.length - 1) return;
    const next: { table: bigint; linearBase: bigint }[] = [];
    const shift = BigInt(level.shift);
    for (const t of pages) {
      if (t === undefined) continue;
      const view = new DataView(t.page.buffer, t.page.byteOffset, t.page.byteLength);
      const offset = Number(t.table & 0xfffn);
      for (let i = 0; i < level.entries; i++) {
        const at = offset + i * level.entrySize;
        if (((t.page[at] ?? 0) & 1) === 0) continue;
        const linear = t.linearBase + (BigInt(i) << shift);
        if (outside(linear, 1n << shift)) continue;
        const raw = level.entrySize === 8 ? view.getBigUint64(at, true) : BigInt(view.getUint32(at, true));
        const entry = decodeEntryCore(raw, level.name, entryOptions);
        if (entry.reservedBits !== 0n || entry.role !== 'table') continue;
        const page = entry.address & ~0xfffn;
        if (seen.has(page)) continue;
        seen.add(page);
        next.push({ table: entry.address, linearBase: linear });
      }
    }
    current = next;
  }
}

/** Everything a walk produced, collected. */
export interface WalkResult extends WalkStats {
  readonly mappings: Leaf[];
  readonly recursive: RecursiveEntry[];
  readonly faults: WalkFault[];
  readonly truncatedBy?: WalkTruncated;
}

/** Runs `walk` to completion and collects its items. */
export async function collectWalk(
  mem: PhysicalMemory,
  ctx: PagingContext,
  options: WalkOptions = {},
): Promise<WalkResult> {
  const mappings: Leaf[] = [];
  const recursive: RecursiveEntry[] = [];
  const faults: WalkFault[] = [];
  let truncatedBy: WalkTruncated | undefined;
  const { items, stats } = await walkItems(mem, ctx, options);
  for (const item of items) {
    if (item.kind === 'leaf') mappings.push(item);
    else if (item.kind === 'recursive') recursive.push(item);
    else if (item.kind === 'fault') faults.push(item);
    else truncatedBy = item;
  }
  return { ...stats, mappings, recursive, faults, ...(truncatedBy ? { truncatedBy } : {}) };
}
