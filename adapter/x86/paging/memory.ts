/**
 * Access to guest physical memory for page-table walks: one 4-KByte table per read.
 */

/** Size of a paging-structure page (Intel SDM Vol. 3A §4.1.1: every paging structure is 4 KBytes). */
export const TABLE_BYTES = 4096;

/** Why a physical read failed. */
export type PhysicalMemoryErrorReason = 'outside-memory' | 'unreadable';

/**
 * Typed error a `PhysicalMemory` throws for a table it cannot provide. Walkers report it as a fault,
 * never propagate it.
 */
export class PhysicalMemoryError extends Error {
  constructor(
    message: string,
    /** Physical address that was requested. */
    readonly address: bigint,
    readonly reason: PhysicalMemoryErrorReason = 'outside-memory',
  ) {
    super(message);
    this.name = 'PhysicalMemoryError';
  }
}

/** Guest physical memory as seen by the page walker. */
export interface PhysicalMemory {
  /**
   * Reads the 4096 bytes of the 4-KByte aligned page at `physAddr`.
   * @throws PhysicalMemoryError when the page is outside guest memory or unreadable.
   */
  readTable(physAddr: bigint): Promise<Uint8Array>;
}

/** A `PhysicalMemory` over a map from 4-KByte aligned physical page address to its bytes. */
export class MapPhysicalMemory implements PhysicalMemory {
  constructor(readonly pages: Map<bigint, Uint8Array> = new Map()) {}

  readTable(physAddr: bigint): Promise<Uint8Array> {
    if ((physAddr & 0xfffn) !== 0n) {
      return Promise.reject(
        new RangeError(`table address 0x${physAddr.toString(16)} is not 4-KByte aligned`),
      );
    }
    const page = this.pages.get(physAddr);
    if (page === undefined) {
      return Promise.reject(
        new PhysicalMemoryError(`no guest memory at 0x${physAddr.toString(16)}`, physAddr, 'outside-memory'),
      );
    }
    return Promise.resolve(page);
  }
}

/** Reads a little-endian entry of `size` bytes (4 or 8) at byte `offset` of `page`. */
export function readEntry(page: Uint8Array, offset: number, size: 4 | 8): bigint {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  return size === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true));
}

/** Writes a little-endian entry of `size` bytes (4 or 8) at byte `offset` of `page`. */
export function writeEntry(page: Uint8Array, offset: number, size: 4 | 8, value: bigint): void {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (size === 8) view.setBigUint64(offset, BigInt.asUintN(64, value), true);
  else view.setUint32(offset, Number(BigInt.asUintN(32, value)), true);
}

/** Describes an error thrown by a `PhysicalMemory` for a fault report. */
export function describeMemoryError(error: unknown, address: bigint): { reason: string; message: string } {
  if (error instanceof PhysicalMemoryError) return { reason: error.reason, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { reason: 'unreadable', message: `reading 0x${address.toString(16)}: ${message}` };
}
