/**
 * Intel EPT paging-structure entries (Intel SDM Vol. 3C "EPT Translation Mechanism", §29.3.2 in recent
 * editions (§28.2.2 in older ones), tables "Format of an EPT PML5 Entry" to "Format of an EPT
 * Page-Table Entry"; "EPT Misconfigurations" §29.3.3.1).
 */
import { defineLayout, decode, type BitField, type DecodedField, type Layout } from '../bitfields';
import type { EntryRole } from './entryLayouts';
import type { EntryLevel } from './mode';

/** EPT memory types (SDM Vol. 3C "EPT and Memory Typing"); 2, 3 and 7 are reserved. */
export const eptMemoryTypes: Readonly<Record<number, string>> = {
  0: 'UC',
  1: 'WC',
  4: 'WT',
  5: 'WP',
  6: 'WB',
};

export interface EptOptions {
  /** The "mode-based execute control for EPT" VM-execution control: bit 2 is then supervisor-mode execute. */
  readonly modeBasedExecute?: boolean;
  /** MAXPHYADDR, default 52. */
  readonly maxPhyAddr?: number;
}

export interface EptEntry {
  readonly level: EntryLevel;
  readonly role: EntryRole;
  readonly raw: bigint;
  /** Any of bits 2:0 set (or bit 10 with mode-based execute control). */
  readonly present: boolean;
  readonly read: boolean;
  readonly write: boolean;
  /** Bit 2: execute (supervisor-mode linear addresses only, with mode-based execute control). */
  readonly execute: boolean;
  /** Bit 10 with mode-based execute control (user-mode linear addresses); equals `execute` otherwise. */
  readonly userExecute: boolean;
  /** Bits 5:3 of a page-mapping entry; `undefined` for table references. */
  readonly memoryType: number | undefined;
  /** Bit 6 of a page-mapping entry: ignore the guest PAT memory type. */
  readonly ignorePat: boolean;
  /** Bit 8 (if EPTP bit 6 enables accessed/dirty flags). */
  readonly accessed: boolean;
  /** Bit 9 of a page-mapping entry. */
  readonly dirty: boolean;
  /** Bit 63 of a page-mapping entry: suppress #VE. */
  readonly suppressVe: boolean;
  readonly address: bigint;
  /** 4 KiB, 2 MiB or 1 GiB for page-mapping entries; 0n for table references. */
  readonly pageBytes: bigint;
  readonly reservedBits: bigint;
  /** Why a present entry causes an EPT misconfiguration, if it does. */
  readonly misconfiguration: string | undefined;
}

const bits = (lo: number, hi: number): bigint =>
  hi < lo ? 0n : ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
const set = (raw: bigint, n: number): boolean => ((raw >> BigInt(n)) & 1n) === 1n;

/** Decodes an EPT entry at `level` (the SDM's EPT PML5E, EPT PML4E, EPT PDPTE, EPT PDE, EPT PTE). */
export function decodeEptEntry(raw: bigint, level: EntryLevel, options: EptOptions = {}): EptEntry {
  const m = options.maxPhyAddr ?? 52;
  const mbec = options.modeBasedExecute === true;
  const role: EntryRole =
    level === 'PTE' ? 'page' : (level === 'PDE' || level === 'PDPTE') && set(raw, 7) ? 'large' : 'table';
  const leaf = role !== 'table';
  const shift = role === 'large' ? (level === 'PDPTE' ? 30 : 21) : 12;
  const present = (raw & 7n) !== 0n || (mbec && set(raw, 10));
  let reserved = bits(m, 51);
  if (role === 'table') reserved |= level === 'PML4E' || level === 'PML5E' ? bits(3, 7) : bits(3, 6);
  if (role === 'large') reserved |= bits(12, shift - 1);
  const reservedBits = present ? raw & reserved : 0n;
  const memoryType = leaf ? Number((raw >> 3n) & 7n) : undefined;
  let misconfiguration: string | undefined;
  if (present) {
    if (set(raw, 1) && !set(raw, 0)) misconfiguration = 'write access without read access';
    else if (reservedBits !== 0n) misconfiguration = `reserved bit(s) 0x${reservedBits.toString(16)} set`;
    else if (memoryType !== undefined && eptMemoryTypes[memoryType] === undefined) {
      misconfiguration = `reserved memory type ${memoryType}`;
    }
  }
  return {
    level,
    role,
    raw,
    present,
    read: set(raw, 0),
    write: set(raw, 1),
    execute: set(raw, 2),
    userExecute: mbec ? set(raw, 10) : set(raw, 2),
    memoryType,
    ignorePat: leaf && set(raw, 6),
    accessed: set(raw, 8),
    dirty: leaf && set(raw, 9),
    suppressVe: leaf && set(raw, 63),
    address: raw & bits(shift, m - 1),
    pageBytes: leaf ? 1n << BigInt(shift) : 0n,
    reservedBits,
    misconfiguration,
  };
}

const f = (name: string, lsb: number, description: string, width = 1): BitField => ({
  name,
  lsb,
  width,
  description,
});

function buildLayout(level: EntryLevel, role: EntryRole): Layout {
  const shift = role === 'large' ? (level === 'PDPTE' ? 30 : 21) : 12;
  const fields: BitField[] = [
    f('R', 0, 'Read access'),
    f('W', 1, 'Write access'),
    f('X', 2, 'Execute access'),
  ];
  if (role !== 'table') {
    fields.push({ name: 'MT', lsb: 3, width: 3, description: 'EPT memory type', values: eptMemoryTypes });
    fields.push(f('IPAT', 6, 'Ignore PAT memory type'));
  }
  if (role === 'large') fields.push(f('PS', 7, 'Maps a large page'));
  fields.push(f('A', 8, 'Accessed (if EPTP bit 6 = 1)'));
  if (role !== 'table') fields.push(f('D', 9, 'Dirty (if EPTP bit 6 = 1)'));
  fields.push(f('XU', 10, 'Execute access for user-mode linear addresses (mode-based execute control)'));
  fields.push({
    name: 'address',
    lsb: shift,
    width: 52 - shift,
    format: 'address',
    description: 'Physical address',
  });
  if (role !== 'table') {
    fields.push(f('VGP', 57, 'Verify guest paging'), f('PW', 58, 'Paging-write access'));
    fields.push(f('SSS', 60, 'Supervisor shadow stack'));
    if (role === 'page') fields.push(f('SPP', 61, 'Sub-page write permissions'));
    fields.push(f('SVE', 63, 'Suppress #VE'));
  }
  return defineLayout(`EPT ${level}`, 64, 'Intel SDM Vol. 3C "EPT Translation Mechanism"', fields);
}

const layouts = new Map<string, Layout>();

/** Every bit of an EPT entry by name (R, W, X, MT, IPAT, PS, A, D, XU, address, VGP, PW, SSS, SPP, SVE). */
export function eptEntryFields(entry: EptEntry): DecodedField[] {
  const key = `${entry.level}/${entry.role}`;
  let layout = layouts.get(key);
  if (layout === undefined) {
    layout = buildLayout(entry.level, entry.role);
    layouts.set(key, layout);
  }
  return decode(layout, entry.raw);
}
