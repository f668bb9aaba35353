/**
 * Guest memory and disassembly for VS Code's memory view and Disassembly view. Addresses are guest
 * virtual addresses of the selected vCPU; memory references are `0x`-prefixed hex strings, or
 * `phys:0x...` for guest-physical memory (read through the session's stub link, `dbg.physical`).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GdbBackend } from '../gdb/backend';
import { disassemble, readMemory, writeMemory, type DisassembledInstruction } from '../gdb/mi/data';
import type { SourceResolver } from './sources';
import type { GuestPhysicalMemory } from '../target/physicalMemory';

/** The prefix of a memory reference to guest-physical memory (`phys:0x1000`). */
export const PHYSICAL_PREFIX = 'phys:';

/** x86's longest instruction (Intel SDM Vol. 2A §2.3.11). */
const MAX_INSN = 15;

export function parseAddress(reference: string, offset = 0): bigint {
  const trimmed = reference.trim();
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(trimmed)) throw new Error(`'${reference}' is not an address`);
  return BigInt.asUintN(64, BigInt(trimmed) + BigInt(offset));
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
    const data =
      count === 0 ? new Uint8Array(0) : await physical.read(address, count).catch(() => new Uint8Array(0));
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
    if (reference.startsWith(PHYSICAL_PREFIX)) {
      await this.physicalMemory().write(parseAddress(reference.slice(PHYSICAL_PREFIX.length), offset), data);
      return data.length;
    }
    await writeMemory(this.gdb, parseAddress(reference, offset), data);
    return data.length;
  }

  /**
   * `instructionCount` instructions starting `instructionOffset` instructions from `reference + offset`.
   * Going backwards on x86 needs a starting point that decodes in step with the target address; we try
   * start addresses until the listing passes through the target address.
   */
  async disassemble(
    args: DebugProtocol.DisassembleArguments,
  ): Promise<DebugProtocol.DisassembledInstruction[]> {
    const target = parseAddress(args.memoryReference, args.offset ?? 0);
    const before = Math.max(0, -(args.instructionOffset ?? 0));
    const count = args.instructionCount;
    let listing: DisassembledInstruction[] = [];
    let index = 0;
    if (before > 0) {
      for (let slack = 0; slack < MAX_INSN; slack++) {
        const start = target - BigInt(before * MAX_INSN + slack);
        const attempt = await this.list(start, target + BigInt((count + 1) * MAX_INSN));
        const at = attempt.findIndex((i) => i.address === target);
        if (at >= 0) {
          listing = attempt;
          index = at - before;
          break;
        }
      }
    }
    if (listing.length === 0) {
      const skip = Math.max(0, args.instructionOffset ?? 0);
      listing = await this.list(target, target + BigInt((skip + count + 1) * MAX_INSN));
      index = skip - before;
    }
    const out: DebugProtocol.DisassembledInstruction[] = [];
    let lastLine: string | undefined;
    for (let i = index; out.length < count; i++) {
      const insn = i >= 0 ? listing[i] : undefined;
      if (insn === undefined) {
        out.push({
          address: `0x${(target + BigInt(i)).toString(16)}`,
          instruction: '??',
          presentationHint: 'invalid',
        });
        continue;
      }
      const item: DebugProtocol.DisassembledInstruction = {
        address: `0x${insn.address.toString(16)}`,
        instruction: insn.text,
        instructionBytes: insn.opcodes,
      };
      if (insn.func !== undefined) item.symbol = `${insn.func}+${insn.offset ?? 0}`;
      const lineKey = `${insn.fullname ?? ''}:${insn.line ?? ''}`;
      if (insn.line !== undefined && lineKey !== lastLine) {
        const source = this.sources.toSource(insn.file, insn.fullname);
        if (source !== undefined) item.location = source;
        item.line = insn.line;
      }
      lastLine = lineKey;
      out.push(item);
    }
    return out;
  }

  private list(start: bigint, end: bigint): Promise<DisassembledInstruction[]> {
    return disassemble(this.gdb, start, end).catch(() => []);
  }
}
