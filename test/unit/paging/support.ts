// A page-table service over memory images: fake vCPUs, physical memory and KVM guests.
import type { KvmGuests, KvmVcpu } from '../../../adapter/hypervisors/kvm/guests';
import type { PagingPhysicalMemory } from '../../../adapter/paging/memories';
import type { VcpuPaging } from '../../../adapter/paging/roots';
import { PagingService } from '../../../adapter/paging/service';
import type { MapPhysicalMemory } from '../../../adapter/x86/paging/memory';
import { LONG } from '../x86/paging/memoryImage';

export const CR0_PG_PE = 0x80000011n;

/** A `PagingPhysicalMemory` over a memory image, counting reads as one packet per table. */
export function physicalOf(
  memory: MapPhysicalMemory,
): PagingPhysicalMemory & { counters: { packets: number; bytes: number } } {
  const counters = { packets: 0, bytes: 0 };
  return {
    counters,
    async readTable(address) {
      const page = await memory.readTable(address);
      counters.packets++;
      counters.bytes += page.length;
      return page;
    },
    async read(address, length) {
      const page = await memory.readTable(address & ~0xfffn);
      const offset = Number(address & 0xfffn);
      return page.slice(offset, offset + length);
    },
    async write(address, data) {
      const page = await memory.readTable(address & ~0xfffn);
      page.set(data, Number(address & 0xfffn));
    },
  };
}

export function vcpu(cr3: bigint, extra: Partial<VcpuPaging> = {}): VcpuPaging {
  return { threadId: 1, name: 'vCPU 0', cr0: CR0_PG_PE, cr3, ...LONG, ...extra };
}

export function kvmVcpu(nestedCr3: bigint, guestCr3: bigint): KvmVcpu {
  return {
    vmIndex: 0,
    vm: 0xffff888004000000n,
    pid: 42,
    vcpuId: 0,
    vcpu: 0xffff888004100000n,
    vmcb: 0xffff888004200000n,
    nestedPaging: true,
    nestedCr3,
    guest: { cr0: CR0_PG_PE, cr3: guestCr3, cr4: LONG.cr4, efer: LONG.efer },
  };
}

export function service(
  memory: MapPhysicalMemory,
  vcpus: VcpuPaging[],
  kvm: KvmGuests = { vcpus: [], problems: [] },
): { service: PagingService; physical: ReturnType<typeof physicalOf> } {
  const physical = physicalOf(memory);
  return {
    physical,
    service: new PagingService({
      vcpus: () => Promise.resolve(vcpus),
      currentThread: () => Promise.resolve(vcpus[0]?.threadId ?? 1),
      physical: () => physical,
      kvmGuests: () => Promise.resolve(kvm),
    }),
  };
}
