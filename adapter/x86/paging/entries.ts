/**
 * Decoding of paging-structure entries: flags by meaning, the physical address, and the reserved bits
 * that would make the processor raise #PF with PFEC.RSVD (Intel SDM Vol. 3A §4.3-4.5 entry tables and
 * §4.7 "Page-Fault Exceptions"; AMD APM Vol. 2 §5.3-5.4).
 */
import { decode, type DecodedField } from '../bitfields';
import { entryLayout, type EntryRole } from './entryLayouts';
import type { EntryLevel, PagingMode } from './mode';

/** Settings that change how an entry is read. */
export interface EntryOptions {
  readonly mode: Exclude<PagingMode, 'none'>;
  /** IA32_EFER.NXE: bit 63 is XD if set, reserved otherwise (64-bit entry formats). */
  readonly nxe: boolean;
  /** CR4.PSE: with 32-bit paging, PDE.PS=1 maps a 4-MByte page only if set. */
  readonly pse: boolean;
  /** MAXPHYADDR (CPUID.80000008H:EAX[7:0]), 1..52; default 52. 32-bit paging caps it at 40. */
  readonly maxPhyAddr?: number;
}

/** A decoded paging-structure entry. Flags absent from an entry's format read as `false`. */
export interface PageEntry {
  readonly level: EntryLevel;
  readonly mode: Exclude<PagingMode, 'none'>;
  readonly role: EntryRole;
  readonly raw: bigint;
  /** P (bit 0). */
  readonly present: boolean;
  /** R/W (bit 1); `true` for PAE PDPTEs, which have no R/W bit. */
  readonly writable: boolean;
  /** U/S (bit 2); `true` for PAE PDPTEs, which have no U/S bit. */
  readonly user: boolean;
  readonly pwt: boolean;
  readonly pcd: boolean;
  readonly accessed: boolean;
  /** D (bit 6), page-mapping entries only. */
  readonly dirty: boolean;
  /** G (bit 8), page-mapping entries only. */
  readonly global: boolean;
  /** PAT: bit 7 of a PTE, bit 12 of a large-page entry. */
  readonly pat: boolean;
  /** XD/NX (bit 63) when IA32_EFER.NXE=1. */
  readonly executeDisable: boolean;
  /** Bits 62:59 of 4/5-level page-mapping entries; `undefined` elsewhere. */
  readonly protectionKey: number | undefined;
  /** Physical address of the next table, or of the page for a page-mapping entry. */
  readonly address: bigint;
  /** Bytes mapped by a page-mapping entry (4 KiB, 2 MiB, 4 MiB or 1 GiB); 0n for a table reference. */
  readonly pageBytes: bigint;
  /** Mask of reserved bits that are set (0n if none, or if the entry is not present). */
  readonly reservedBits: bigint;
}

// Decoding runs once per present entry of a full walk (about 10,000 on a small Linux guest): the masks
// are computed once.
const BIT: readonly bigint[] = Array.from({ length: 64 }, (_, n) => 1n << BigInt(n));
const bit = (n: number): bigint => BIT[n] ?? 1n << BigInt(n);
const MASKS = new Map<number, bigint>();
/** Mask of bits hi:lo (empty when hi < lo). */
function bits(lo: number, hi: number): bigint {
  if (hi < lo) return 0n;
  const key = lo * 64 + hi;
  let mask = MASKS.get(key);
  if (mask === undefined) {
    mask = ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
    MASKS.set(key, mask);
  }
  return mask;
}
const set = (raw: bigint, n: number): boolean => (raw & bit(n)) !== 0n;

function roleOf(raw: bigint, level: EntryLevel, o: EntryOptions): EntryRole {
  if (level === 'PTE') return 'page';
  if (!set(raw, 7)) return 'table';
  if (level === 'PDE') return o.mode !== '32-bit' || o.pse ? 'large' : 'table';
  if (level === 'PDPTE') return o.mode === '4-level' || o.mode === '5-level' ? 'large' : 'table';
  return 'table';
}

/** Bytes mapped by a page-mapping entry at `level` in `mode` (SDM Vol. 3A Table 4-1). */
export function pageBytesAt(mode: Exclude<PagingMode, 'none'>, level: EntryLevel): bigint {
  if (level === 'PTE') return 0x1000n;
  if (level === 'PDE') return mode === '32-bit' ? 0x400000n : 0x200000n;
  if (level === 'PDPTE') return 0x40000000n;
  throw new RangeError(`${level} entries cannot map a page`);
}

function reservedMask(level: EntryLevel, role: EntryRole, o: EntryOptions, m: number): bigint {
  if (o.mode === '32-bit') {
    // 4-MByte PDE: bit 21, and bits 20:13 holding physical bits >= MAXPHYADDR (Table 4-4).
    return role === 'large' ? bit(21) | bits(m - 19, 20) : 0n;
  }
  if (o.mode === 'pae' && level === 'PDPTE') return bits(1, 2) | bits(5, 8) | bits(m, 63); // Table 4-8
  let r = o.mode === 'pae' ? bits(m, 62) : bits(m, 51);
  if (!o.nxe) r |= bit(63);
  if (level === 'PML4E' || level === 'PML5E') r |= bit(7);
  if (role === 'large') r |= bits(13, level === 'PDPTE' ? 29 : 20);
  return r;
}

function addressOf(raw: bigint, level: EntryLevel, role: EntryRole, o: EntryOptions, m: number): bigint {
  if (o.mode === '32-bit') {
    if (role !== 'large') return raw & 0xfffff000n;
    return ((raw & 0xffc00000n) | (((raw >> 13n) & 0xffn) << 32n)) & bits(0, m - 1);
  }
  const shift = role === 'large' ? (level === 'PDPTE' ? 30 : 21) : 12;
  return raw & bits(shift, m - 1);
}

/** What a walk needs of a present entry before deciding anything: its role, address and reserved bits. */
export interface EntryCore {
  readonly role: EntryRole;
  readonly address: bigint;
  readonly reservedBits: bigint;
}

/**
 * `decodeEntry`'s role, address and reserved bits of a present entry, without building a `PageEntry`
 * (a full walk does this for every present entry). `maxPhyAddr` is taken as valid (walkers check it
 * through `decodeEntry` first).
 */
export function decodeEntryCore(raw: bigint, level: EntryLevel, options: EntryOptions): EntryCore {
  const maxPhyAddr = options.maxPhyAddr ?? 52;
  const m = options.mode === '32-bit' ? Math.min(maxPhyAddr, 40) : maxPhyAddr;
  const role = roleOf(raw, level, options);
  return {
    role,
    address: addressOf(raw, level, role, options, m),
    reservedBits: raw & reservedMask(level, role, options, m),
  };
}

/**
 * Decodes an entry read from a paging structure at `level`.
 * @throws RangeError if `maxPhyAddr` is outside 1..52.
 */
export function decodeEntry(raw: bigint, level: EntryLevel, options: EntryOptions): PageEntry {
  const maxPhyAddr = options.maxPhyAddr ?? 52;
  if (!Number.isInteger(maxPhyAddr) || maxPhyAddr < 1 || maxPhyAddr > 52) {
    throw new RangeError(`MAXPHYADDR must be 1..52, got ${maxPhyAddr}`);
  }
  const m = options.mode === '32-bit' ? Math.min(maxPhyAddr, 40) : maxPhyAddr;
  const role = roleOf(raw, level, options);
  const paePdpte = options.mode === 'pae' && level === 'PDPTE';
  const long = options.mode === '4-level' || options.mode === '5-level';
  const leaf = role !== 'table';
  const present = set(raw, 0);
  return {
    level,
    mode: options.mode,
    role,
    raw,
    present,
    writable: paePdpte || set(raw, 1),
    user: paePdpte || set(raw, 2),
    pwt: set(raw, 3),
    pcd: set(raw, 4),
    accessed: !paePdpte && set(raw, 5),
    dirty: leaf && set(raw, 6),
    global: leaf && set(raw, 8),
    pat: role === 'page' ? set(raw, 7) : role === 'large' && set(raw, 12),
    executeDisable: options.mode !== '32-bit' && !paePdpte && options.nxe && set(raw, 63),
    protectionKey: long && leaf ? Number((raw >> 59n) & 0xfn) : undefined,
    address: addressOf(raw, level, role, options, m),
    pageBytes: leaf ? pageBytesAt(options.mode, level) : 0n,
    reservedBits: present ? raw & reservedMask(level, role, options, m) : 0n,
  };
}

/** Every bit of the entry by its manual name (P, R/W, U/S, PWT, PCD, A, D, PS, G, PAT, AVL, PK, XD...). */
export function entryFields(entry: PageEntry): DecodedField[] {
  return decode(entryLayout(entry.mode, entry.level, entry.role), entry.raw);
}

/** Compact flag string of an entry, e.g. `P R/W U/S A D PS XD`. */
export function entryFlagString(entry: PageEntry): string {
  return entryFields(entry)
    .filter((d) => d.width === 1 && d.raw === 1n)
    .map((d) => d.name)
    .join(' ');
}
