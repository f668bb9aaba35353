/**
 * The page-table service wired into a connected session: the vCPUs' CR0/CR3/CR4/EFER through the
 * register service, physical memory through the session's stub link (`host.physical`), KVM's guests
 * through gdb expressions, the custom requests of adapter/protocol/pagingRequests.ts and `hv pt` /
 * `hv translate` in the Debug Console.
 */
import type { CommonArguments } from '../protocol/config';
import {
  memoryMapRequest,
  pageTableChildrenRequest,
  pageTableRootsRequest,
  translateRequest,
} from '../protocol/pagingRequests';
import type { SessionHost } from '../session/host';
import { vcpuName } from '../debugger/threads';
import { evaluate } from '../gdb/mi/data';
import { findKvmGuests } from '../hypervisors/kvm/guests';
import { pageTableCommand, translateCommand } from './commands';
import type { VcpuPaging } from './roots';
import { PagingService } from './service';

async function vcpus(host: SessionHost): Promise<VcpuPaging[]> {
  const threads = await host.threads.list();
  return Promise.all(
    threads.map(async (t) => {
      const regs = await host.registers.main({ threadId: t.id, level: 0, pc: '' });
      const value = (name: string): bigint | undefined => regs.find((r) => r.name === name)?.value;
      const cr3 = value('cr3');
      if (cr3 === undefined) throw new Error(`the stub gives no CR3 for ${vcpuName(t)}`);
      const cr0 = value('cr0');
      return {
        threadId: t.id,
        name: vcpuName(t),
        ...(cr0 === undefined ? {} : { cr0 }),
        cr3,
        cr4: value('cr4') ?? 0n,
        efer: value('efer') ?? 0n,
      };
    }),
  );
}

export function createPagingService(host: SessionHost, _args: CommonArguments): PagingService {
  const gdb = host.gdb;
  const service = new PagingService({
    vcpus: () => vcpus(host),
    currentThread: () => host.threads.currentId(),
    physical: () => host.physical,
    kvmGuests: () => findKvmGuests((expression) => evaluate(gdb, expression)),
  });
  const current = (): Promise<number> => host.threads.currentId();
  host.addCommand(pageTableCommand(service, current));
  host.addCommand(translateCommand(service, current));
  host.handle(pageTableRootsRequest, (args) => service.roots(args.threadId));
  host.handle(pageTableChildrenRequest, (args) => service.children(args.id, args.includeNotPresent === true));
  host.handle(memoryMapRequest, (args) =>
    service.memoryMap({ ...args, warningsOnly: args.warningsOnly === true }),
  );
  host.handle(translateRequest, (args) => service.translate(args.address, args.rootId, args.threadId));
  // What a stop's walks learned dies when the guest runs (every resume: a step, a continue, an internal one).
  host.stops.onResume(() => service.forget());
  return service;
}
