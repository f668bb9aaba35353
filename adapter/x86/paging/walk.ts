/**
 * Enumeration of every present page mapping of a guest address space, in ascending virtual order,
 * with bounds for hostile or recursive page tables (Intel SDM Vol. 3A §4.3-4.5; AMD APM Vol. 2 §5.3).
 */
import { canonicalize } from './canonical';
import { decodeEntry, type PageEntry } from './entries';
import { describeMemoryError, type PhysicalMemory } from './memory';
import { CR4_PSE, EFER_NXE, levelsOf, pagingModeOf, rootTableAddress, type PagingContext } from './mode';
import { TableReader, TableReadLimitError } from './tableReader';
import { combinePermissions } from './translate';
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
  const mode = pagingModeOf(ctx);
  const stats = { tableReads: 0, tableVisits: 0, leaves: 0, truncated: false };
  if (mode === 'none') return stats;
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
  const toVirtual = (linear: bigint): bigint => (width === 0 ? linear : canonicalize(linear, width));
  const range = options.range;
  const follow = options.recursive === 'follow';

  const stop = (reason: WalkTruncated['reason'], virtualStart: bigint): WalkTruncated => {
    stats.truncated = true;
    return { kind: 'truncated', reason, virtualStart };
  };

  async function* visit(
    table: bigint,
    depth: number,
    linearBase: bigint,
    chain: bigint[],
    parents: PageEntry[],
  ): AsyncGenerator<WalkItem> {
    const level = levels[depth];
    if (level === undefined) return;
    const regionStart = toVirtual(linearBase);
    if (stats.tableVisits >= maxVisits) {
      yield stop('max-table-visits', regionStart);
      return;
    }
    stats.tableVisits++;
    let raws: bigint[];
    try {
      raws = await reader.entries(table, level.entries, level.entrySize);
    } catch (error) {
      if (error instanceof TableReadLimitError) {
        yield stop('max-table-reads', regionStart);
        return;
      }
      const size = BigInt(level.entries) << BigInt(level.shift);
      const fault = {
        kind: 'memory-error',
        level: level.name,
        tableAddress: table,
        ...describeMemoryError(error, table),
      } as const;
      yield { kind: 'fault', virtualStart: regionStart, size, fault };
      return;
    } finally {
      stats.tableReads = reader.reads;
    }
    const size = 1n << BigInt(level.shift);
    for (const [i, raw] of raws.entries()) {
      const linear = linearBase + (BigInt(i) << BigInt(level.shift));
      const virtualStart = toVirtual(linear);
      if (range !== undefined && (virtualStart + size <= range.start || virtualStart >= range.end)) continue;
      const entry = decodeEntry(raw, level.name, entryOptions);
      if (!entry.present) continue;
      if (entry.reservedBits !== 0n) {
        yield {
          kind: 'fault',
          virtualStart,
          size,
          fault: { kind: 'reserved-bit', level: level.name, reservedBits: entry.reservedBits },
        };
        continue;
      }
      if (entry.role !== 'table') {
        if (stats.leaves >= maxLeaves) {
          yield stop('max-leaves', virtualStart);
          return;
        }
        stats.leaves++;
        const permissions = combinePermissions([...parents, entry]);
        yield {
          kind: 'leaf',
          virtualStart,
          physicalStart: entry.address,
          size,
          level: level.name,
          permissions,
          entry,
        };
        continue;
      }
      const seenAt = chain.indexOf(entry.address);
      const targetLevel = levels[seenAt]?.name;
      if (targetLevel !== undefined && !follow) {
        const entryAddress = table + BigInt(i * level.entrySize);
        yield {
          kind: 'recursive',
          virtualStart,
          size,
          level: level.name,
          entryAddress,
          targetTable: entry.address,
          targetLevel,
        };
        continue;
      }
      yield* visit(entry.address, depth + 1, linear, [...chain, entry.address], [...parents, entry]);
      if (stats.truncated) return;
    }
  }

  const root = rootTableAddress(mode, ctx.cr3, maxPhyAddr);
  yield* visit(root, 0, 0n, [root], []);
  return stats;
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
  const it = walk(mem, ctx, options);
  for (let r = await it.next(); ; r = await it.next()) {
    if (r.done === true)
      return { ...r.value, mappings, recursive, faults, ...(truncatedBy ? { truncatedBy } : {}) };
    const item = r.value;
    if (item.kind === 'leaf') mappings.push(item);
    else if (item.kind === 'recursive') recursive.push(item);
    else if (item.kind === 'fault') faults.push(item);
    else truncatedBy = item;
  }
}
