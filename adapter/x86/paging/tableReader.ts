/**
 * Cached, counted reads of paging structures through a `PhysicalMemory`: each 4-KByte page is read at
 * most once per reader (concurrent requests for a page share one read, so a caller may prefetch with
 * `Promise.all`), and an optional limit bounds the number of distinct reads.
 */
import {
  describeMemoryError,
  PhysicalMemoryError,
  readEntry,
  TABLE_BYTES,
  type PhysicalMemory,
} from './memory';
import type { EntryLevel } from './mode';

/** Thrown by `TableReader` when a new read would exceed its `maxReads`. */
export class TableReadLimitError extends Error {
  constructor(readonly limit: number) {
    super(`table read limit of ${limit} reached`);
    this.name = 'TableReadLimitError';
  }
}

export class TableReader {
  private readonly pages = new Map<bigint, Promise<Uint8Array>>();
  /** Distinct pages read from memory so far. */
  reads = 0;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly maxReads = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * The page holding the table at `tableAddress` (which need not be page aligned: the PAE PDPT is
   * 32-byte aligned).
   * @throws PhysicalMemoryError (or whatever the memory throws) if the page cannot be read;
   *         TableReadLimitError when the read limit is reached.
   */
  page(tableAddress: bigint): Promise<Uint8Array> {
    const base = tableAddress & ~0xfffn;
    const cached = this.pages.get(base);
    if (cached !== undefined) return cached;
    if (this.reads >= this.maxReads) return Promise.reject(new TableReadLimitError(this.maxReads));
    this.reads++;
    const page = this.read(base);
    // A failed read stays cached: the same error for every entry of that table, read once.
    page.catch(() => undefined);
    this.pages.set(base, page);
    return page;
  }

  private async read(base: bigint): Promise<Uint8Array> {
    const page = await this.memory.readTable(base);
    if (page.byteLength < TABLE_BYTES) {
      throw new PhysicalMemoryError(
        `short read at 0x${base.toString(16)}: ${page.byteLength} of ${TABLE_BYTES} bytes`,
        base,
        'unreadable',
      );
    }
    return page;
  }

  /** Reads entry `index` (of `size` bytes) of the table at `tableAddress`. */
  async entry(tableAddress: bigint, index: number, size: 4 | 8): Promise<bigint> {
    const page = await this.page(tableAddress);
    return readEntry(page, Number(tableAddress & 0xfffn) + index * size, size);
  }

  /** Reads `count` consecutive entries starting at index 0 of the table at `tableAddress`. */
  async entries(tableAddress: bigint, count: number, size: 4 | 8): Promise<bigint[]> {
    const page = await this.page(tableAddress);
    const offset = Number(tableAddress & 0xfffn);
    return Array.from({ length: count }, (_, i) => readEntry(page, offset + i * size, size));
  }
}

/** A walk that could not read a table: where, and why (a `PhysicalMemoryError`'s reason, or `unreadable`). */
export interface MemoryErrorFault {
  readonly kind: 'memory-error';
  readonly level: EntryLevel;
  readonly tableAddress: bigint;
  readonly reason: string;
  readonly message: string;
}

/**
 * One step of a walk: reads entry `index` (of `size` bytes) of the table at `tableAddress`; a memory
 * error becomes the walk's fault at `level` instead of an exception.
 */
export async function readWalkEntry(
  reader: TableReader,
  tableAddress: bigint,
  index: number,
  size: 4 | 8,
  level: EntryLevel,
): Promise<{ raw: bigint } | { fault: MemoryErrorFault }> {
  try {
    return { raw: await reader.entry(tableAddress, index, size) };
  } catch (error) {
    return {
      fault: { kind: 'memory-error', level, tableAddress, ...describeMemoryError(error, tableAddress) },
    };
  }
}
