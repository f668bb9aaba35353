/**
 * The guest side of a hypercall at a stop: the instruction at RIP read from live guest memory (Linux
 * patches `vmcall` into `vmmcall` at boot on AMD, so the ELF is not the truth), decoded with iced-x86 and
 * named from the vCPU's registers; and, when the next stop of that vCPU is right after the instruction
 * (a step over it), the result decoded from RAX. Pure: memory and registers come through small readers.
 */
import { decodeHypercallInstruction } from './decode';
import { describeCall, type KnownHypercall, type UnknownHypercall } from './describe';
import { describeResult, type DecodedResult } from './result';
import type { HypercallContext } from './types';

/** x86's longest instruction (Intel SDM Vol. 2A §2.3.11). */
export const MAX_INSTRUCTION = 15;

/** EFER.LMA (AMD APM Vol. 2 §3.1.7). */
const EFER_LMA = 0x400n;

/** What the vCPU shows at a stop: its registers (gdb names) and a memory reader. */
export interface GuestStop {
  readonly threadId: number;
  /** gdb register names (`rip`, `rax`, `efer`, ...), unsigned 64-bit values. */
  readonly registers: Readonly<Record<string, bigint>>;
  /** Reads up to `count` bytes at a guest-virtual address; rejects when nothing is readable. */
  readBytes(address: bigint, count: number): Promise<Uint8Array>;
}

export interface GuestHypercall {
  readonly call: KnownHypercall | UnknownHypercall;
  /** Present when this stop is right after the call (stepped over it). */
  readonly result?: DecodedResult;
}

/** Why there is no hypercall at this stop. */
export interface NoGuestHypercall {
  readonly none: string;
}

/** The code width from EFER.LMA (CS.L is not in gdb's register set; compatibility mode decodes as 64-bit). */
export function bitnessOf(registers: Readonly<Record<string, bigint>>): 32 | 64 {
  const efer = registers['efer'];
  return efer === undefined || (efer & EFER_LMA) !== 0n ? 64 : 32;
}

/** Per vCPU: the call it stopped on, so that the stop after it shows the result. */
export class GuestHypercallTracker {
  private readonly pending = new Map<number, KnownHypercall | UnknownHypercall>();

  constructor(private readonly context: () => HypercallContext = () => ({})) {}

  /** Analyses one stop of `stop.threadId`; call once per stop of that vCPU, in order. */
  async analyse(stop: GuestStop): Promise<GuestHypercall | NoGuestHypercall> {
    const rip = stop.registers['rip'];
    if (rip === undefined) return { none: 'the stub did not give RIP' };
    const previous = this.pending.get(stop.threadId);
    if (previous !== undefined && rip === previous.site.address + BigInt(previous.site.length)) {
      this.pending.delete(stop.threadId);
      const rax = stop.registers['rax'] ?? 0n;
      return { call: previous, result: describeResult(previous, rax, stop.registers) };
    }
    let bytes: Uint8Array;
    try {
      bytes = await stop.readBytes(rip, MAX_INSTRUCTION);
    } catch (error) {
      if (previous?.site.address !== rip) this.pending.delete(stop.threadId);
      return { none: `guest memory at RIP 0x${rip.toString(16)} is not readable: ${message(error)}` };
    }
    const context = { ...this.context(), bitness: bitnessOf(stop.registers) };
    const site = bytes.length === 0 ? undefined : decodeHypercallInstruction(bytes, rip, context);
    if (site === undefined) {
      this.pending.delete(stop.threadId);
      return { none: `no hypercall instruction at RIP 0x${rip.toString(16)}` };
    }
    const call = describeCall(site, stop.registers, context);
    if (call.kind === 'not-hypercall') {
      this.pending.delete(stop.threadId);
      return { none: `${site.text} at 0x${rip.toString(16)}: ${call.reason}` };
    }
    this.pending.set(stop.threadId, call);
    return { call };
  }

  /** Forgets everything (a new session, symbols changed). */
  clear(): void {
    this.pending.clear();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
