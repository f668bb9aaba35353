/**
 * The physical memories a request reads through: the session's guest-physical memory with a cache for
 * the request's lifetime, and an L2 guest's physical memory seen through the nested page table of its
 * hypervisor (AMD NPT: AMD APM Vol. 2 §15.25, two-dimensional translation).
 */
import { PhysicalMemoryError, type PhysicalMemory } from '../x86/paging/memory';
import { translateNpt, type NptContext } from '../x86/paging/nested';
import type { Translation } from '../x86/paging/translate';

/**
 * What the service needs of the session's physical memory (adapter/target/physicalMemory.ts's
 * `GuestPhysicalMemory` fits): tables, arbitrary reads for the memory view, and counters.
 */
export interface PagingPhysicalMemory extends PhysicalMemory {
  read(address: bigint, length: number): Promise<Uint8Array>;
  write(address: bigint, data: Uint8Array): Promise<void>;
  /** RSP packets sent / bytes of memory read so far. */
  readonly counters?: { readonly packets: number; readonly bytes: number };
}

/** Each 4-KByte page read at most once (concurrent reads of a page share one read). */
export class CachedPhysicalMemory implements PhysicalMemory {
  private readonly pages = new Map<bigint, Promise<Uint8Array>>();

  constructor(private readonly memory: PhysicalMemory) {}

  readTable(physAddr: bigint): Promise<Uint8Array> {
    let page = this.pages.get(physAddr);
    if (page === undefined) {
      page = this.memory.readTable(physAddr);
      page.catch(() => undefined);
      this.pages.set(physAddr, page);
    }
    return page;
  }
}

/**
 * An L2 guest's physical memory: a table at guest-physical address G is read at the L1-physical
 * address the nested page table maps G to. Remembers each translation (for the steps of a 2-D walk).
 * @throws PhysicalMemoryError (`outside-memory`) when the NPT does not map G.
 */
export class NestedPhysicalMemory implements PhysicalMemory {
  /** NPT translations done, by guest-physical page. */
  readonly translations = new Map<bigint, Promise<Translation>>();

  constructor(
    private readonly host: PhysicalMemory,
    private readonly npt: NptContext,
  ) {}

  translatePage(gpa: bigint): Promise<Translation> {
    const page = gpa & ~0xfffn;
    let t = this.translations.get(page);
    if (t === undefined) {
      t = translateNpt(this.host, this.npt, page);
      this.translations.set(page, t);
    }
    return t;
  }

  async readTable(gpa: bigint): Promise<Uint8Array> {
    const t = await this.translatePage(gpa);
    if (!t.ok) {
      throw new PhysicalMemoryError(
        `guest-physical 0x${gpa.toString(16)} is not mapped by the nested page table (${t.message})`,
        gpa,
        'outside-memory',
      );
    }
    return this.host.readTable(t.physicalAddress & ~0xfffn);
  }
}
