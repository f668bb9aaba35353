/**
 * Guest physical memory, read through the RSP relay while the guest is stopped.
 *
 * QEMU's stub reads physical addresses after `Qqemu.PhyMemMode:1` (QEMU docs, "GDB usage": "maint packet
 * Qqemu.PhyMemMode:1"); the mode is switched on only inside one batch of the adapter's own requests and
 * put back to what gdb last set before gdb speaks again, so neither gdb nor the user ever sees it on.
 * Reads issued in the same turn of the event loop go out as one pipelined burst (QEMU 7.2 caps an `m`
 * reply at 2048 bytes, so a 4-KiB table is two packets): a walker that asks for all tables of a level at
 * once pays one round trip per level. Stubs without the mode are detected once per session; for a Linux
 * guest hvdbg then reads through the kernel's direct map (`page_offset_base` + physical address).
 *
 * Reads are limited to guest RAM and ROM when the stub can say where they are (QEMU's `info mtree -f`):
 * a physical read of a device's MMIO range would run the device's read handler.
 */
import { PhysicalMemoryError, TABLE_BYTES, type PhysicalMemory } from '../x86/paging/memory';
import { TargetRunningError, type ChannelState, type RspRelay, type StubChannel } from './rsp/relay';

export type PhysicalAccessMethod = 'qemu-phymem' | 'direct-map';

export interface GuestPhysicalMemory extends PhysicalMemory {
  /** How physical addresses are reached; known after the first access. */
  readonly method: PhysicalAccessMethod | undefined;
  /**
   * Reads `length` bytes at guest-physical `address`.
   * @throws PhysicalMemoryError (`outside-memory` for an address outside RAM/ROM, `unreadable` when
   *         the stub refuses); TargetRunningError while the guest runs; StubLinkError if the stub is gone.
   */
  read(address: bigint, length: number): Promise<Uint8Array>;
  /** Writes `data` at guest-physical `address` (RAM only). Errors as `read`. */
  write(address: bigint, data: Uint8Array): Promise<void>;
  /** RSP packets the adapter sent for physical accesses, and bytes of memory they read, since creation. */
  readonly counters: { packets: number; bytes: number };
}

/** A guest-physical range that is RAM or ROM, from QEMU's memory tree. */
export interface MemoryRegion {
  readonly start: bigint;
  /** Inclusive. */
  readonly end: bigint;
  readonly kind: 'ram' | 'rom';
  readonly name: string;
}

/** Where RAM and ROM are (undefined: unknown, every address is tried), and the direct-map base. */
export interface PhysicalMemoryEnvironment {
  regions(): Promise<readonly MemoryRegion[] | undefined>;
  /** The virtual address of guest-physical 0 in the kernel's direct map (Linux `page_offset_base`). */
  directMapBase(): Promise<bigint | undefined>;
  /**
   * True once the session has resumed the guest (gdb said `^running`), possibly before gdb's resume
   * request has reached the relay: no read is started then.
   */
  guestRunning?(): boolean;
}

/**
 * Parses the flat view of address space "memory" in QEMU's `info mtree -f` into RAM and ROM regions
 * (lines such as `0000000000100000-000000001fffffff (prio 0, ram): pc.ram @0000000000100000`).
 */
export function parseMemoryTree(text: string): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  let inMemory = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('FlatView')) {
      inMemory = false;
      continue;
    }
    if (/^\s*AS "memory"/.test(line)) inMemory = true;
    if (!inMemory) continue;
    const m = /^\s*([0-9a-f]+)-([0-9a-f]+) \(prio -?\d+, (ram|rom|romd)\): (\S+)/.exec(line);
    if (m === null) continue;
    regions.push({
      start: BigInt(`0x${m[1] ?? '0'}`),
      end: BigInt(`0x${m[2] ?? '0'}`),
      kind: m[3] === 'ram' ? 'ram' : 'rom',
      name: m[4] ?? '',
    });
  }
  return regions;
}

/** QEMU 7.2 answers at most 2048 bytes per `m` request. */
const MAX_READ = 2048;

interface Pending {
  readonly address: bigint;
  readonly length: number;
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
}

function hex(value: bigint | number): string {
  return value.toString(16);
}

export class StubPhysicalMemory implements GuestPhysicalMemory {
  method: PhysicalAccessMethod | undefined;
  readonly counters = { packets: 0, bytes: 0 };
  private pending: Pending[] = [];
  private flushScheduled = false;
  private regions: readonly MemoryRegion[] | undefined;
  private regionsKnown = false;
  private directBase: bigint | undefined;

  constructor(
    private readonly relay: RspRelay,
    private readonly environment: PhysicalMemoryEnvironment,
  ) {}

  readTable(physAddr: bigint): Promise<Uint8Array> {
    return this.read(physAddr & ~0xfffn, TABLE_BYTES);
  }

  read(address: bigint, length: number): Promise<Uint8Array> {
    if (length <= 0) return Promise.resolve(new Uint8Array(0));
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.push({ address, length, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async write(address: bigint, data: Uint8Array): Promise<void> {
    if (this.environment.guestRunning?.() === true) throw new TargetRunningError();
    await this.checkInside(address, data.length, 'ram');
    await this.ensureMethod();
    await this.relay.whenIdle(async (channel, state) => {
      const access = this.access(state);
      const requests: string[] = [];
      for (let offset = 0; offset < data.length; offset += MAX_READ) {
        const part = data.subarray(offset, offset + MAX_READ);
        const at = access.translate(address + BigInt(offset));
        requests.push(`M${hex(at)},${hex(part.length)}:${Buffer.from(part).toString('hex')}`);
      }
      const replies = await this.send(channel, access.wrap(requests));
      const failed = access.unwrap(replies).find((r) => r.toString('latin1') !== 'OK');
      if (failed !== undefined) {
        throw new PhysicalMemoryError(
          `the gdbstub refused to write ${data.length} bytes at physical 0x${hex(address)} (${failed.toString('latin1')})`,
          address,
          'unreadable',
        );
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    void this.readBatch(batch).catch((error: unknown) => {
      for (const request of batch) request.reject(error);
    });
  }

  private async readBatch(batch: readonly Pending[]): Promise<void> {
    if (this.environment.guestRunning?.() === true) throw new TargetRunningError();
    const valid: Pending[] = [];
    for (const request of batch) {
      try {
        await this.checkInside(request.address, request.length, 'any');
        valid.push(request);
      } catch (error) {
        request.reject(error);
      }
    }
    if (valid.length === 0) return;
    await this.ensureMethod();
    await this.relay.whenIdle(async (channel, state) => {
      const access = this.access(state);
      const requests: string[] = [];
      const parts: number[] = [];
      for (const request of valid) {
        let count = 0;
        for (let offset = 0; offset < request.length; offset += MAX_READ) {
          const size = Math.min(MAX_READ, request.length - offset);
          requests.push(`m${hex(access.translate(request.address + BigInt(offset)))},${hex(size)}`);
          count++;
        }
        parts.push(count);
      }
      const replies = access.unwrap(await this.send(channel, access.wrap(requests)));
      let next = 0;
      valid.forEach((request, i) => {
        const chunks = replies.slice(next, next + (parts[i] ?? 0));
        next += parts[i] ?? 0;
        const bad = chunks.find((c) => c.length === 0 || c[0] === 0x45 /* E */ || c.length % 2 !== 0);
        if (bad !== undefined) {
          request.reject(
            new PhysicalMemoryError(
              `the gdbstub could not read physical 0x${hex(request.address)} (${bad.toString('latin1') || 'no reply'})`,
              request.address,
              'unreadable',
            ),
          );
          return;
        }
        const bytes = Buffer.from(Buffer.concat(chunks).toString('latin1'), 'hex');
        this.counters.bytes += bytes.length;
        request.resolve(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      });
    });
  }

  private async send(channel: StubChannel, requests: readonly string[]): Promise<Buffer[]> {
    this.counters.packets += requests.length;
    return channel.exchange(requests);
  }

  /**
   * Decides once how physical addresses are reached (asking the stub for `qqemu.PhyMemMode`), and for
   * the direct map learns its base through gdb — outside any lend, since gdb needs the stub for that.
   */
  private async ensureMethod(): Promise<void> {
    if (this.method === undefined) {
      this.method = await this.relay.whenIdle(async (channel) => {
        this.counters.packets++;
        const [reply] = await channel.exchange(['qqemu.PhyMemMode']);
        const answer = reply?.toString('latin1') ?? '';
        return answer === '0' || answer === '1' ? 'qemu-phymem' : 'direct-map';
      });
    }
    if (this.method === 'direct-map' && this.directBase === undefined) {
      this.directBase = await this.environment.directMapBase();
      if (this.directBase === undefined) {
        throw new PhysicalMemoryError(
          'this gdbstub has no physical-memory mode (Qqemu.PhyMemMode) and no Linux direct map is known ' +
            '(no page_offset_base symbol): load the guest kernel\'s vmlinux as "program"',
          0n,
          'unreadable',
        );
      }
    }
  }

  /** How to address and wrap one batch, given what gdb left the stub's mode at. */
  private access(state: ChannelState): {
    translate: (address: bigint) => bigint;
    wrap: (requests: string[]) => string[];
    unwrap: (replies: Buffer[]) => Buffer[];
  } {
    if (this.method === 'qemu-phymem') {
      // Switch on only if gdb left it off, and put gdb's value back in the same burst.
      const needed = state.gdbPhyMemMode === '0';
      return {
        translate: (address) => address,
        wrap: (requests) => (needed ? ['Qqemu.PhyMemMode:1', ...requests, 'Qqemu.PhyMemMode:0'] : requests),
        unwrap: (replies) => (needed ? replies.slice(1, -1) : replies),
      };
    }
    const base = this.directBase ?? 0n;
    return {
      translate: (address) => base + address,
      wrap: (requests) => requests,
      unwrap: (replies) => replies,
    };
  }

  private async checkInside(address: bigint, length: number, kind: 'ram' | 'any'): Promise<void> {
    if (!this.regionsKnown) {
      this.regions = await this.environment.regions();
      this.regionsKnown = true;
    }
    const regions = this.regions;
    if (regions === undefined) return;
    const last = address + BigInt(length) - 1n;
    const region = regions.find((r) => r.start <= address && last <= r.end);
    if (region !== undefined && (kind === 'any' || region.kind === 'ram')) return;
    const what =
      region !== undefined
        ? `${region.name} is ${region.kind}`
        : 'it is not guest RAM or ROM (a hole or a device: reading it could trigger the device)';
    throw new PhysicalMemoryError(
      `physical 0x${hex(address)}-0x${hex(last)}: ${what}`,
      address,
      'outside-memory',
    );
  }
}
