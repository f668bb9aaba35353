/**
 * Guest memory and disassembly for VS Code's memory view and Disassembly view. Addresses are guest
 * virtual addresses of the selected vCPU; memory references are `0x`-prefixed hex strings, or
 * `phys:0x...` for guest-physical memory (read through the session's stub link, `dbg.physical`).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GdbBackend } from '../gdb/backend';
import { disassemble, readMemory, writeMemory } from '../gdb/mi/data';
import { disassembleAround } from './disassembly';
import type { SourceResolver } from './sources';
import type { GuestPhysicalMemory } from '../target/physicalMemory';
import { TargetRunningError } from '../target/rsp/relay';
import { PhysicalMemoryError } from '../x86/paging/memory';
import { UserInputError } from './userInputError';

/** The prefix of a memory reference to guest-physical memory (`phys:0x1000`). */
export const PHYSICAL_PREFIX = 'phys:';

/**
 * The most one `readMemory` answers (16 MiB): VS Code's memory view asks for pages; a count of 2^31
 * would have gdb allocate and transfer 2 GiB while every other request waits.
 */
export const MAX_READ_BYTES = 16 * 2 ** 20;

/** A memory reference plus an offset, as a 64-bit address; a reference that is no address is the client's. */
export function parseAddress(reference: string, offset = 0): bigint {
  const trimmed = reference.trim();
  if (!/^(0x[0-9a-fA-F]{1,16}|\d{1,20})$/.test(trimmed))
    throw new UserInputError(`'${reference.slice(0, 80)}' is not a memory reference (0x-prefixed hex)`);
  if (!Number.isSafeInteger(offset)) throw new UserInputError(`the offset ${offset} is not an integer`);
  return BigInt.asUintN(64, BigInt(trimmed) + BigInt(offset));
}

/**
 * The most instructions one `disassemble` lists, and the farthest its `instructionOffset` reaches (VS Code
 * asks for a few dozen around what is shown): gdb lists 15 bytes for each, within the request's time.
 */
export const MAX_DISASSEMBLE = 4096;

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0)
    throw new UserInputError(`readMemory: the count ${count} is not a byte count`);
  if (count > MAX_READ_BYTES)
    throw new UserInputError(
      `readMemory: ${count} bytes is more than hvdbg reads at once (${MAX_READ_BYTES}); read in parts`,
    );
}

export class MemoryService {
  constructor(
    private readonly gdb: GdbBackend,
    private readonly sources: SourceResolver,
    private readonly physical?: GuestPhysicalMemory,
  ) {}

  async read(
    reference: string,
    offset: number,
    count: number,
  ): Promise<DebugProtocol.ReadMemoryResponse['body']> {
    checkCount(count);
    if (reference.startsWith(PHYSICAL_PREFIX)) return this.readPhysical(reference, offset, count);
    const address = parseAddress(reference, offset);
    const data =
      count === 0 ? Buffer.alloc(0) : await readMemory(this.gdb, address, count).catch(() => Buffer.alloc(0));
    return {
      address: `0x${address.toString(16)}`,
      data: data.toString('base64'),
      ...(data.length < count ? { unreadableBytes: count - data.length } : {}),
    };
  }

  /** Guest-physical memory: unreadable parts (outside RAM, refused) come back as `unreadableBytes`. */
  private async readPhysical(
    reference: string,
    offset: number,
    count: number,
  ): Promise<DebugProtocol.ReadMemoryResponse['body']> {
    const address = parseAddress(reference.slice(PHYSICAL_PREFIX.length), offset);
    const physical = this.physicalMemory();
    // Memory outside RAM, refused by the stub or of a running guest is unreadable; a stub or gdb that is
    // gone is an error, not unreadable memory.
    const data =
      count === 0
        ? new Uint8Array(0)
        : await physical.read(address, count).catch((error: unknown) => {
            if (error instanceof PhysicalMemoryError || error instanceof TargetRunningError)
              return new Uint8Array(0);
            throw error;
          });
    return {
      address: `${PHYSICAL_PREFIX}0x${address.toString(16)}`,
      data: Buffer.from(data).toString('base64'),
      ...(data.length < count ? { unreadableBytes: count - data.length } : {}),
    };
  }

  private physicalMemory(): GuestPhysicalMemory {
    if (this.physical === undefined) throw new Error('this session cannot access guest-physical memory');
    return this.physical;
  }

  async write(reference: string, offset: number, base64: string): Promise<number> {
    const data = Buffer.from(base64, 'base64');
    if (data.length > MAX_READ_BYTES)
      throw new UserInputError(
        `writeMemory: ${data.length} bytes is more than hvdbg writes at once (${MAX_READ_BYTES})`,
      );
    if (reference.startsWith(PHYSICAL_PREFIX)) {
      await this.physicalMemory().write(parseAddress(reference.slice(PHYSICAL_PREFIX.length), offset), data);
      return data.length;
    }
    await writeMemory(this.gdb, parseAddress(reference, offset), data);
    return data.length;
  }

  /** The Disassembly view's rows (see adapter/debugger/disassembly.ts). */
  disassemble(args: DebugProtocol.DisassembleArguments): Promise<DebugProtocol.DisassembledInstruction[]> {
    const offset = args.instructionOffset ?? 0;
    if (args.instructionCount > MAX_DISASSEMBLE || Math.abs(offset) > MAX_DISASSEMBLE)
      throw new UserInputError(
        `disassemble: hvdbg lists at most ${MAX_DISASSEMBLE} instructions, at most ${MAX_DISASSEMBLE} away ` +
          `from the reference (asked: ${args.instructionCount} at ${offset})`,
      );
    return disassembleAround(
      (start, end) => disassemble(this.gdb, start, end),
      parseAddress(args.memoryReference, args.offset ?? 0),
      args.instructionOffset ?? 0,
      args.instructionCount,
      (file, fullname) => this.sources.toSource(file, fullname),
    );
  }
}
