// Builds synthetic guest physical memory images for paging tests.
import { MapPhysicalMemory, writeEntry } from '../../../../adapter/x86/paging/memory';

export const P = 1n;
export const RW = 1n << 1n;
export const US = 1n << 2n;
export const A = 1n << 5n;
export const D = 1n << 6n;
export const PS = 1n << 7n;
export const G = 1n << 8n;
export const XD = 1n << 63n;

export class MemoryImage {
  readonly memory = new MapPhysicalMemory();

  /** The page at `address` (4-KByte aligned), created zeroed on first use. */
  page(address: bigint): Uint8Array {
    let page = this.memory.pages.get(address);
    if (page === undefined) {
      page = new Uint8Array(4096);
      this.memory.pages.set(address, page);
    }
    return page;
  }

  /** Writes entry `index` of the table at `table` (which may be unaligned, e.g. a PAE PDPT). */
  set(table: bigint, index: number, value: bigint, size: 4 | 8 = 8): this {
    writeEntry(this.page(table & ~0xfffn), Number(table & 0xfffn) + index * size, size, value);
    return this;
  }
}

export const LONG = { cr4: 1n << 5n, efer: (1n << 8n) | (1n << 10n) | (1n << 11n) };
export const LONG_NO_NXE = { cr4: 1n << 5n, efer: (1n << 8n) | (1n << 10n) };
export const LA57 = { cr4: (1n << 5n) | (1n << 12n), efer: (1n << 8n) | (1n << 10n) | (1n << 11n) };

/**
 * PML4[0] → PDPT[0] → PD: PD[0] 2 MiB at 0x200000; PD[1] → PT: 0x400000, 0x401000, 0x500000, 0x501000 (RO).
 * PML4[510] → the PML4 itself. PML4[511] → PDPT[510]: 1 GiB at 0x40000000 (kernel, supervisor).
 */
export function linuxLike(): MemoryImage {
  return new MemoryImage()
    .set(0x1000n, 0, 0x2000n | P | RW | US)
    .set(0x2000n, 0, 0x3000n | P | RW | US)
    .set(0x3000n, 0, 0x200000n | P | RW | US | PS)
    .set(0x3000n, 1, 0x4000n | P | RW | US)
    .set(0x4000n, 0, 0x400000n | P | RW | US)
    .set(0x4000n, 1, 0x401000n | P | RW | US)
    .set(0x4000n, 2, 0x500000n | P | RW | US)
    .set(0x4000n, 3, 0x501000n | P | US)
    .set(0x1000n, 510, 0x1000n | P | RW)
    .set(0x1000n, 511, 0x5000n | P | RW)
    .set(0x5000n, 510, 0x40000000n | P | RW | PS | G);
}
