/**
 * The page-table service wired into a connected session: the vCPUs' CR0/CR3/CR4/EFER through the
 * register service, physical memory through the session's stub link (`dbg.physical`), KVM's guests
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
import type { Debugger } from '../debugger/debugger';
import { vcpuName } from '../debugger/threads';
import { evaluate } from '../gdb/mi/data';
import { findKvmGuests } from '../kvm/guests';
import { pageTableCommand, translateCommand } from './commands';
import type { VcpuPaging } from './roots';
import { PagingService } from './service';
import { UserInputError } from '../debugger/userInputError';

type Key =
  | 'id'
  | 'includeNotPresent'
  | 'threadId'
  | 'rootId'
  | 'from'
  | 'to'
  | 'permissions'
  | 'merge'
  | 'warningsOnly'
  | 'address';

/** A request's arguments, each still to be checked. */
function record(args: unknown): Partial<Record<Key, unknown>> {
  return typeof args === 'object' && args !== null ? args : {};
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

async function vcpus(dbg: Debugger): Promise<VcpuPaging[]> {
  const threads = await dbg.threads.list();
  return Promise.all(
    threads.map(async (t) => {
      const regs = await dbg.registers.main({ threadId: t.id, level: 0, pc: '' });
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

export function createPagingService(dbg: Debugger, _args: CommonArguments): PagingService {
  const gdb = dbg.connection.gdb;
  const service = new PagingService({
    vcpus: () => vcpus(dbg),
    currentThread: () => dbg.threads.currentId(),
    physical: () => dbg.physical,
    kvmGuests: () => findKvmGuests((expression) => evaluate(gdb, expression)),
  });
  const current = (): Promise<number> => dbg.threads.currentId();
  dbg.console.register(pageTableCommand(service, current));
  dbg.console.register(translateCommand(service, current));
  dbg.handle(pageTableRootsRequest.command, (args) => service.roots(num(record(args).threadId)));
  dbg.handle(pageTableChildrenRequest.command, (args) => {
    const a = record(args);
    const id = str(a.id);
    if (id === undefined) throw new UserInputError('hvdbg/pageTableChildren needs "id"');
    return service.children(id, a.includeNotPresent === true);
  });
  dbg.handle(memoryMapRequest.command, (args) => {
    const a = record(args);
    const merge = str(a.merge);
    if (merge !== undefined && merge !== 'ranges' && merge !== 'qemu' && merge !== 'none') {
      throw new UserInputError(`"merge" is ranges, qemu or none, not '${merge}'`);
    }
    const rootId = str(a.rootId);
    const threadId = num(a.threadId);
    const from = str(a.from);
    const to = str(a.to);
    const permissions = str(a.permissions);
    return service.memoryMap({
      ...(rootId === undefined ? {} : { rootId }),
      ...(threadId === undefined ? {} : { threadId }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(permissions === undefined ? {} : { permissions }),
      ...(merge === undefined ? {} : { merge }),
      warningsOnly: a.warningsOnly === true,
    });
  });
  dbg.handle(translateRequest.command, (args) => {
    const a = record(args);
    const address = str(a.address);
    if (address === undefined) throw new UserInputError('hvdbg/translate needs "address" (hex)');
    return service.translate(address, str(a.rootId), num(a.threadId));
  });
  dbg.execution.on('stopped', () => service.forget());
  dbg.execution.on('continued', () => service.forget());
  return service;
}
