/**
 * The custom DAP requests of the page-table service (adapter/paging/), declared with the helpers of
 * customRequests.ts. No `vscode` import: the adapter, the extension's views and tests use this file.
 *
 * Wire conventions (as customRequests.ts): addresses, CR3 values and raw entries are `0x`-prefixed hex
 * strings; sizes in `pageSize` are bytes as numbers, `size` strings are hex bytes.
 */

import { request, schema } from './customRequests';

/**
 * A root of page tables: a vCPU's CR3 (`guest`), or a hypervisor's nested table (`nested`: an NPT's nCR3
 * or an EPTP) and the guest root translated through it.
 */
export interface PagingRootInfo {
  /** Stable within the stop: `cpu1`, `kvm0.vcpu0.npt`, `kvm0.vcpu0.guest`. */
  readonly id: string;
  readonly label: string;
  readonly kind: 'guest' | 'nested';
  /** The DAP thread (vCPU) whose CR3 this is. */
  readonly threadId?: number;
  readonly mode: 'none' | '32-bit' | 'pae' | '4-level' | '5-level' | 'npt' | 'ept';
  /** Hex: CR3, or nCR3/EPTP for nested roots. */
  readonly cr3: string;
  readonly description: string;
  /** The id to pass to pageTableChildrenRequest for the top table; absent when paging is off. */
  readonly tableId?: string;
}

/** The roots of the stopped session: each vCPU's CR3, and the nested roots of the hypervisor's guests. */
export const pageTableRootsRequest = request<
  { threadId?: number },
  { roots: PagingRootInfo[]; problems: string[] }
>('hvdbg/pageTableRoots', schema.object({ threadId: schema.integer }));

/** One entry of a page table (Intel SDM Vol. 3A, 4.5; AMD APM Vol. 2, 5.3 and 15.25). */
export interface PageTableEntryInfo {
  /** 'PML5E' | 'PML4E' | 'PDPTE' | 'PDE' | 'PTE'. */
  readonly level: string;
  readonly index: number;
  /** Hex, inclusive; guest-physical for nested roots. */
  readonly virtualStart: string;
  readonly virtualEnd: string;
  /** Hex: the child table's or the page's physical address. */
  readonly physical: string;
  /** Hex: the entry as read. */
  readonly raw: string;
  /** Manual names of the set flags: "P RW US A D G XD". */
  readonly flags: string;
  readonly fields: readonly { name: string; value: string; description: string }[];
  readonly kind: 'table' | 'page' | 'not-present';
  /** Bytes, for `page`. */
  readonly pageSize?: number;
  /** For `table`: the id to pass to pageTableChildrenRequest. */
  readonly childId?: string;
  /** Reserved bits set, a table outside guest memory, a loop... */
  readonly problem?: string;
}

/** The entries of one table (only present ones unless `includeNotPresent`). */
export const pageTableChildrenRequest = request<
  { id: string; includeNotPresent?: boolean },
  { entries: PageTableEntryInfo[]; problem?: string }
>(
  'hvdbg/pageTableChildren',
  schema.object({ id: { ...schema.string, minLength: 1 }, includeNotPresent: schema.boolean }, ['id']),
);

/** One range of the memory map: contiguous virtual and physical, same flags and page size. */
export interface MemoryMapRange {
  readonly virtualStart: string;
  /** Hex, inclusive. */
  readonly virtualEnd: string;
  readonly physicalStart: string;
  /** Hex bytes. */
  readonly size: string;
  readonly flags: string;
  /** Bytes. */
  readonly pageSize: number;
  readonly warnings: readonly ('writable-executable' | 'user-kernel')[];
}

/**
 * The merged memory map of a root (default: the thread's CR3). `from`/`to` bound the virtual range (hex,
 * inclusive); `permissions` keeps ranges having all the listed ones (`w`, `x`, `u`, `wx`...).
 */
export const memoryMapRequest = request<
  {
    rootId?: string;
    threadId?: number;
    from?: string;
    to?: string;
    permissions?: string;
    merge?: 'ranges' | 'qemu' | 'none';
    warningsOnly?: boolean;
  },
  {
    ranges: MemoryMapRange[];
    stats: { tables: number; leaves: number; packets: number; bytes: number; milliseconds: number };
    problems: string[];
  }
>(
  'hvdbg/memoryMap',
  schema.object({
    rootId: schema.string,
    threadId: schema.integer,
    from: schema.string,
    to: schema.string,
    permissions: { type: 'string', pattern: '^[urwx!]*$' },
    merge: { enum: ['ranges', 'qemu', 'none'] },
    warningsOnly: schema.boolean,
  }),
);

/** One level of a translation. */
export interface TranslationStepInfo {
  readonly level: string;
  /** Hex: the table's physical address. */
  readonly tableAddress: string;
  readonly index: number;
  readonly raw: string;
  readonly flags: string;
  /** Hex: the address the entry points to. */
  readonly physical: string;
  /** For two-dimensional translation: a step of the guest's tables or of the nested tables. */
  readonly stage?: 'guest' | 'nested';
}

/**
 * Translates a virtual address (hex) through a root (default: the thread's CR3). `physicalMemoryReference`
 * (`phys:0x<hex>`) opens the physical address in VS Code's memory view (readMemory/writeMemory).
 */
export const translateRequest = request<
  { address: string; threadId?: number; rootId?: string },
  {
    address: string;
    ok: boolean;
    physical?: string;
    pageSize?: number;
    permissions?: string;
    fault?: string;
    steps: TranslationStepInfo[];
    physicalMemoryReference?: string;
  }
>(
  'hvdbg/translate',
  schema.object(
    { address: { ...schema.string, minLength: 1 }, threadId: schema.integer, rootId: schema.string },
    ['address'],
  ),
);

/** The commands the paging service answers. */
export const PAGING_REQUESTS: readonly string[] = [
  pageTableRootsRequest.command,
  pageTableChildrenRequest.command,
  memoryMapRequest.command,
  translateRequest.command,
];
