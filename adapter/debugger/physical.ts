/**
 * The session's guest physical memory: the relay-backed reader, told where RAM is (QEMU's memory tree)
 * and where a Linux kernel's direct map starts (for stubs without a physical mode).
 */
import { evaluate } from '../gdb/mi/data';
import type { Connection } from './connect';
import { parseMemoryTree, StubPhysicalMemory, type GuestPhysicalMemory } from '../target/physicalMemory';

export function physicalMemoryFor(connection: Connection, guestRunning: () => boolean): GuestPhysicalMemory {
  const { gdb, stub, relay } = connection;
  return new StubPhysicalMemory(relay, {
    regions: async () => {
      if (stub.name !== 'qemu') return undefined;
      const regions = parseMemoryTree(await stub.monitor('info mtree -f'));
      return regions.length > 0 ? regions : undefined;
    },
    guestRunning,
    directMapBase: async () => {
      try {
        return BigInt(await evaluate(gdb, '(unsigned long)page_offset_base'));
      } catch {
        return undefined;
      }
    },
  });
}
