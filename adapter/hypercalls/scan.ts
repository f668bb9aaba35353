/**
 * Finds hypercall instructions in a block of guest code (for a "Hypercall sites" view).
 *
 * Linear sweep: decoding starts at the first byte and runs to the end, each instruction after the last.
 * Caveats: data inside code (jump tables, literal pools, padding) decodes as instructions, and a wrong start
 * desynchronises the sweep until it falls back into step, so a site may be invented or missed (bytes that do
 * not decode are skipped one at a time); start at a function entry for best results. Read the bytes from the running guest: boot-time patching (alternatives,
 * paravirt, static calls) changes which instruction is where. `register-call` sites are left out: they need
 * the register value at run time.
 */
import { classifyInstruction, type HypercallSite } from './decode';
import { iced } from './iced';
import type { HypercallContext } from './types';

export interface FoundSite {
  readonly address: bigint;
  /** Intel-syntax text of the instruction. */
  readonly instruction: string;
  readonly site: HypercallSite;
}

/**
 * Every hypercall site in `bytes`, which were read from guest-virtual `baseAddress`, in address order.
 * Port-I/O sites are candidates (VMware's backdoor only if the registers say so at run time).
 * Throws {@link HypercallDecoderUnavailableError} when iced-x86 cannot be loaded.
 */
export function findHypercallSites(
  bytes: Uint8Array,
  baseAddress: bigint,
  context: HypercallContext = {},
): FoundSite[] {
  const m = iced();
  const decoder = new m.Decoder(context.bitness ?? 64, bytes, m.DecoderOptions.None);
  const ins = new m.Instruction();
  const found: FoundSite[] = [];
  try {
    decoder.ip = baseAddress;
    while (decoder.canDecode) {
      decoder.decodeOut(ins);
      if (ins.isInvalid) {
        // Resynchronise one byte after the start of what did not decode (iced may have consumed more).
        const next = Number(ins.ip - baseAddress) + 1;
        decoder.position = next;
        decoder.ip = baseAddress + BigInt(next);
        continue;
      }
      const site = classifyInstruction(m, ins, bytes, baseAddress, context);
      if (site !== undefined && site.kind !== 'register-call') {
        found.push({ address: site.address, instruction: site.text, site });
      }
    }
  } finally {
    ins.free();
    decoder.free();
  }
  return found;
}
