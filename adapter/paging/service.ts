/**
 * The page-table service: roots, lazy table entries, memory map and translation for the custom
 * requests of adapter/protocol/pagingRequests.ts and the `hv pt` / `hv translate` console commands. It
 * reads through small interfaces (the vCPUs' registers, physical memory, KVM's guests) so that it runs
 * on memory images in unit tests and on the live session in the adapter.
 */
import type { BodyOf } from '../protocol/customRequests';
import type {
  memoryMapRequest,
  pageTableChildrenRequest,
  pageTableRootsRequest,
} from '../protocol/pagingRequests';
import type { KvmGuests } from '../hypervisors/kvm/guests';
import type { PhysicalMemory } from '../x86/paging/memory';
import { parseHex } from './format';
import { CachedPhysicalMemory, NestedPhysicalMemory, type PagingPhysicalMemory } from './memories';
import { memoryMap, parsePermissions, type MapRange, type MergeMode } from './memoryMap';
import { kvmRoots, parseTableId, vcpuRoot, type PagingRoot, type VcpuPaging } from './roots';
import { tableEntries } from './tables';
import { translateThrough, type TranslationBody } from './translation';
import { UserInputError } from '../debugger/userInputError';

/** What the service reads the session through. */
export interface PagingSource {
  /** Every vCPU's paging registers. */
  vcpus(): Promise<VcpuPaging[]>;
  /** The DAP thread of gdb's selected vCPU. */
  currentThread(): Promise<number>;
  /** Guest-physical memory; undefined when the session cannot read it. */
  physical(): PagingPhysicalMemory | undefined;
  /** KVM's guests in the debugged kernel (for nested roots). */
  kvmGuests(): Promise<KvmGuests>;
}

export type RootsBody = BodyOf<typeof pageTableRootsRequest>;
export type ChildrenBody = BodyOf<typeof pageTableChildrenRequest>;
export type MemoryMapBody = Omit<BodyOf<typeof memoryMapRequest>, 'ranges'> & { ranges: MapRange[] };

export interface MemoryMapArgs {
  readonly rootId?: string;
  readonly threadId?: number;
  readonly from?: string;
  readonly to?: string;
  readonly permissions?: string;
  /** `ranges` (default), `qemu` (as `info mem`) or `none` (one range per leaf, as `info tlb`). */
  readonly merge?: MergeMode;
  readonly warningsOnly?: boolean;
}

export class PagingService {
  private kvm: Promise<KvmGuests> | undefined;

  constructor(private readonly source: PagingSource) {}

  /** The guest ran: KVM's guests may have changed. */
  forget(): void {
    this.kvm = undefined;
  }

  private kvmGuests(): Promise<KvmGuests> {
    this.kvm ??= this.source.kvmGuests().catch((error: unknown) => ({
      vcpus: [],
      problems: [`KVM guests: ${error instanceof Error ? error.message : String(error)}`],
    }));
    return this.kvm;
  }

  /** Every vCPU's root (only `threadId`'s when given), then the nested roots of KVM's guests. */
  async roots(threadId?: number): Promise<RootsBody> {
    const { roots, problems } = await this.allRoots();
    const shown = roots.filter(
      (r) => threadId === undefined || r.info.kind === 'nested' || r.info.threadId === threadId,
    );
    return { roots: shown.map((r) => r.info), problems };
  }

  private async allRoots(): Promise<{ roots: PagingRoot[]; problems: string[] }> {
    const vcpus = await this.source.vcpus();
    const roots = vcpus.map((v) => vcpuRoot(v));
    const host = vcpus[0];
    const kvm = await this.kvmGuests();
    if (host !== undefined) for (const k of kvm.vcpus) roots.push(...kvmRoots(k, host));
    const problems = [...kvm.problems];
    for (const k of kvm.vcpus) {
      if (!k.nestedPaging)
        problems.push(`KVM VM ${k.vmIndex} vCPU ${k.vcpuId}: nested paging is off (shadow paging)`);
    }
    return { roots, problems };
  }

  /**
   * The root an id names: `cpu<thread>`, `cr3:<hex>@<thread>` (another CR3 in that vCPU's mode),
   * `kvm<i>.vcpu<j>.npt|guest`; default: the thread's (or the selected vCPU's) CR3.
   */
  async root(rootId: string | undefined, threadId?: number): Promise<PagingRoot> {
    const id = rootId ?? `cpu${threadId ?? (await this.source.currentThread())}`;
    const other = /^cr3:([0-9a-f]+)@(\d+)$/i.exec(id);
    if (other?.[1] !== undefined && other[2] !== undefined) {
      const v = (await this.source.vcpus()).find((c) => c.threadId === Number(other[2]));
      if (v === undefined) throw new UserInputError(`no vCPU with thread id ${other[2]}`);
      return vcpuRoot(v, BigInt(`0x${other[1]}`));
    }
    if (id.startsWith('cpu')) {
      const v = (await this.source.vcpus()).find((c) => `cpu${c.threadId}` === id);
      if (v !== undefined) return vcpuRoot(v);
    } else {
      const found = (await this.allRoots()).roots.find((r) => r.info.id === id);
      if (found !== undefined) return found;
    }
    throw new UserInputError(
      `no page-table root '${id}' (the guest may have run since: ask hvdbg/pageTableRoots again)`,
    );
  }

  /** A fresh per-request cache over the session's physical memory. */
  private memory(): { memory: PhysicalMemory; counters: () => { packets: number; bytes: number } } {
    const physical = this.source.physical();
    if (physical === undefined) {
      throw new UserInputError(
        'this session cannot read guest-physical memory (the stub offers no physical memory access)',
      );
    }
    const counters = (): { packets: number; bytes: number } => ({
      packets: physical.counters?.packets ?? 0,
      bytes: physical.counters?.bytes ?? 0,
    });
    return { memory: new CachedPhysicalMemory(physical), counters };
  }

  private memoryFor(root: PagingRoot, base: PhysicalMemory): PhysicalMemory {
    return root.format.kind === 'l2' ? new NestedPhysicalMemory(base, root.format.npt) : base;
  }

  async children(id: string, includeNotPresent = false): Promise<ChildrenBody> {
    const ref = parseTableId(id);
    const root = await this.root(ref.rootId);
    const { memory } = this.memory();
    return tableEntries(root, ref, this.memoryFor(root, memory), includeNotPresent);
  }

  async memoryMap(args: MemoryMapArgs): Promise<MemoryMapBody> {
    const root = await this.root(args.rootId, args.threadId);
    const { memory, counters } = this.memory();
    const before = counters();
    const started = performance.now();
    const map = await memoryMap(root, this.memoryFor(root, memory), {
      ...(args.from === undefined ? {} : { from: parseHex(args.from, 'from') }),
      ...(args.to === undefined ? {} : { to: parseHex(args.to, 'to') }),
      ...(args.permissions === undefined || args.permissions === ''
        ? {}
        : { permissions: parsePermissions(args.permissions) }),
      ...(args.merge === undefined ? {} : { merge: args.merge }),
      ...(args.warningsOnly === undefined ? {} : { warningsOnly: args.warningsOnly }),
    });
    const milliseconds = performance.now() - started;
    const after = counters();
    return {
      ranges: map.ranges,
      stats: {
        tables: map.tables,
        leaves: map.leaves,
        packets: after.packets - before.packets,
        bytes: after.bytes - before.bytes,
        milliseconds,
      },
      problems: map.problems,
    };
  }

  async translate(
    address: string,
    rootId?: string,
    threadId?: number,
  ): Promise<TranslationBody & { milliseconds: number }> {
    const va = parseHex(address, 'address');
    const root = await this.root(rootId, threadId);
    const { memory } = this.memory();
    const started = performance.now();
    const body = await translateThrough(root, memory, va);
    return { ...body, milliseconds: performance.now() - started };
  }
}
