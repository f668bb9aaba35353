/** Text of the page-table service's answers: hex addresses, entry flags and fields by manual name. */
import { entryFields, type PageEntry } from '../x86/paging/entries';
import { eptEntryFields, eptMemoryTypes, type EptEntry } from '../x86/paging/ept';
import type { DecodedField } from '../x86/bitfields';
import { UserInputError } from '../debugger/userInputError';

/** `0x`-prefixed hex of an unsigned 64-bit value. */
export function hex(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16)}`;
}

/** Parses `0x...`/decimal text as an unsigned 64-bit value, or throws an error naming `what`. */
export function parseHex(text: string, what: string): bigint {
  const t = text.trim().replace(/_/g, '');
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(t))
    throw new UserInputError(`${what}: '${text}' is not a number (write 0x...)`);
  const v = BigInt(t);
  if (v >> 64n !== 0n) throw new UserInputError(`${what}: '${text}' does not fit in 64 bits`);
  return v;
}

/** Bytes as `4K`, `2M`, `1G` (the sizes pages come in). */
export function sizeName(bytes: number | bigint): string {
  const b = BigInt(bytes);
  if (b >= 1n << 30n && b % (1n << 30n) === 0n) return `${b >> 30n}G`;
  if (b >= 1n << 20n && b % (1n << 20n) === 0n) return `${b >> 20n}M`;
  if (b >= 1n << 10n && b % (1n << 10n) === 0n) return `${b >> 10n}K`;
  return `${b}`;
}

/** The set flags of an x86 (or AMD NPT) entry, compact manual names: `P RW US PWT PCD A D PS G PAT XD`. */
export function entryFlags(e: PageEntry): string {
  const paePdpte = e.mode === 'pae' && e.level === 'PDPTE';
  const bit = (n: number): boolean => ((e.raw >> BigInt(n)) & 1n) === 1n;
  const flags: string[] = [];
  if (e.present) flags.push('P');
  if (!paePdpte && bit(1)) flags.push('RW');
  if (!paePdpte && bit(2)) flags.push('US');
  if (e.pwt) flags.push('PWT');
  if (e.pcd) flags.push('PCD');
  if (e.accessed) flags.push('A');
  if (e.dirty) flags.push('D');
  if (e.role === 'large') flags.push('PS');
  if (e.global) flags.push('G');
  if (e.pat) flags.push('PAT');
  if (e.protectionKey !== undefined && e.protectionKey !== 0) flags.push(`PK=${e.protectionKey}`);
  if (e.executeDisable) flags.push('XD');
  return flags.join(' ');
}

/** The set flags of an EPT entry: `R W X MT=WB IPAT A D`. */
export function eptFlags(e: EptEntry): string {
  const flags: string[] = [];
  if (e.read) flags.push('R');
  if (e.write) flags.push('W');
  if (e.execute) flags.push('X');
  if (e.memoryType !== undefined) flags.push(`MT=${eptMemoryTypes[e.memoryType] ?? e.memoryType}`);
  if (e.ignorePat) flags.push('IPAT');
  if (e.role === 'large') flags.push('PS');
  if (e.accessed) flags.push('A');
  if (e.dirty) flags.push('D');
  if (e.suppressVe) flags.push('SVE');
  return flags.join(' ');
}

export interface FieldInfo {
  readonly name: string;
  readonly value: string;
  readonly description: string;
}

function toFields(fields: readonly DecodedField[]): FieldInfo[] {
  return fields.map((f) => ({
    name: f.name,
    value: f.width === 1 ? f.raw.toString() : hex(f.value),
    description: f.meaning === undefined ? f.description : `${f.description} (${f.meaning})`,
  }));
}

/** Every field of an entry by its manual name, with its value and meaning. */
export function entryFieldInfo(e: PageEntry): FieldInfo[] {
  return toFields(entryFields(e));
}

export function eptFieldInfo(e: EptEntry): FieldInfo[] {
  return toFields(eptEntryFields(e));
}
