/**
 * Guest-physical to host-physical translation through Intel EPT (Intel SDM Vol. 3C "EPT Translation
 * Mechanism", EPTP format in "Extended-Page-Table Pointer (EPTP)") and AMD nested paging (AMD APM
 * Vol. 2 §15.25 "Nested Paging": the normal long-mode format, every access treated as a user access).
 */
import { decodeEntry, type PageEntry } from './entries';
import { decodeEptEntry, type EptEntry } from './ept';
import type { PhysicalMemory } from './memory';
import { CR4_LA57, CR4_PAE, EFER_LMA, EFER_NXE, levelsOf, type EntryLevel } from './mode';
import { readWalkEntry, TableReader, type MemoryErrorFault } from './tableReader';
import { canonicalize } from './canonical';
import { describeFault, translate, type Translation } from './translate';

export interface EptContext {
  /** EPTP: bits 2:0 memory type, 5:3 page-walk length - 1 (3 or 4), bit 6 A/D enable, M-1:12 root. */
  readonly eptp: bigint;
  readonly modeBasedExecute?: boolean;
  readonly maxPhyAddr?: number;
}

export interface EptStep {
  readonly level: EntryLevel;
  readonly tableAddress: bigint;
  readonly index: number;
  readonly entryAddress: bigint;
  readonly entry: EptEntry;
}

export type EptFault =
  | { readonly kind: 'invalid-eptp'; readonly pageWalkLength: number }
  | { readonly kind: 'address-too-wide'; readonly width: 48 | 57 }
  | { readonly kind: 'ept-violation'; readonly level: EntryLevel }
  | { readonly kind: 'ept-misconfiguration'; readonly level: EntryLevel; readonly reason: string }
  | MemoryErrorFault;

/** Access rights combined over all EPT levels (logical AND of each bit). */
export interface EptPermissions {
  readonly read: boolean;
  readonly write: boolean;
  readonly execute: boolean;
  readonly userExecute: boolean;
}

export type EptTranslation =
  | {
      readonly ok: true;
      readonly guestPhysical: bigint;
      readonly steps: readonly EptStep[];
      readonly hostPhysical: bigint;
      readonly pageSize: bigint;
      readonly permissions: EptPermissions;
      readonly memoryType: number;
      readonly ignorePat: boolean;
    }
  | {
      readonly ok: false;
      readonly guestPhysical: bigint;
      readonly steps: readonly EptStep[];
      readonly fault: EptFault;
    };

/**
 * Translates a guest-physical address through the EPT paging structures rooted at EPTP. A missing
 * entry is an EPT violation, a malformed one an EPT misconfiguration; table read errors are faults.
 */
export async function translateEpt(
  mem: PhysicalMemory,
  ctx: EptContext,
  gpa: bigint,
): Promise<EptTranslation> {
  const steps: EptStep[] = [];
  const fail = (fault: EptFault): EptTranslation => ({ ok: false, guestPhysical: gpa, steps, fault });
  const pageWalkLength = Number((ctx.eptp >> 3n) & 7n) + 1;
  if (pageWalkLength !== 4 && pageWalkLength !== 5) return fail({ kind: 'invalid-eptp', pageWalkLength });
  const width = pageWalkLength === 5 ? 57 : 48;
  if (gpa < 0n || gpa >> BigInt(width) !== 0n) return fail({ kind: 'address-too-wide', width });
  const m = ctx.maxPhyAddr ?? 52;
  const options = { maxPhyAddr: m, modeBasedExecute: ctx.modeBasedExecute === true };
  const reader = new TableReader(mem);
  let tableAddress = ctx.eptp & ((1n << BigInt(m)) - 1n) & ~0xfffn;
  for (const level of levelsOf(pageWalkLength === 5 ? '5-level' : '4-level')) {
    const index = Number((gpa >> BigInt(level.shift)) & 511n);
    const read = await readWalkEntry(reader, tableAddress, index, 8, level.name);
    if ('fault' in read) return fail(read.fault);
    const raw = read.raw;
    const entry = decodeEptEntry(raw, level.name, options);
    steps.push({
      level: level.name,
      tableAddress,
      index,
      entryAddress: tableAddress + BigInt(index * 8),
      entry,
    });
    if (!entry.present) return fail({ kind: 'ept-violation', level: level.name });
    if (entry.misconfiguration !== undefined) {
      return fail({ kind: 'ept-misconfiguration', level: level.name, reason: entry.misconfiguration });
    }
    if (entry.role !== 'table') {
      const all = (k: keyof EptPermissions): boolean => steps.every((s) => s.entry[k]);
      return {
        ok: true,
        guestPhysical: gpa,
        steps,
        hostPhysical: entry.address | (gpa & (entry.pageBytes - 1n)),
        pageSize: entry.pageBytes,
        permissions: {
          read: all('read'),
          write: all('write'),
          execute: all('execute'),
          userExecute: all('userExecute'),
        },
        memoryType: entry.memoryType ?? 0,
        ignorePat: entry.ignorePat,
      };
    }
    tableAddress = entry.address;
  }
  throw new Error('EPT walk ended without a page-mapping entry');
}

export interface NptContext {
  /** nCR3 from the VMCB: root of the nested page tables. */
  readonly ncr3: bigint;
  /** EFER.NXE in effect for the nested walk (the host's). */
  readonly nxe: boolean;
  /** 5-level nested paging (host CR4.LA57). */
  readonly la57?: boolean;
  readonly maxPhyAddr?: number;
}

/** A decoded nested page-table entry; `userViolation` when a present entry has U/S=0. */
export type NptEntry = PageEntry & { readonly userViolation: boolean };

/** Decodes an AMD nested page-table entry (long-mode format, AMD APM Vol. 2 §15.25.5). */
export function decodeNptEntry(
  raw: bigint,
  level: EntryLevel,
  ctx: Pick<NptContext, 'nxe' | 'la57' | 'maxPhyAddr'>,
): NptEntry {
  const mode = ctx.la57 === true ? '5-level' : '4-level';
  const entry = decodeEntry(raw, level, { mode, nxe: ctx.nxe, pse: false, maxPhyAddr: ctx.maxPhyAddr ?? 52 });
  return { ...entry, userViolation: entry.present && !entry.user };
}

/**
 * Translates a guest-physical address through AMD nested page tables. The walk is an ordinary
 * long-mode walk; since nested walks are user accesses, `userViolation` names the first level with
 * U/S=0 (the access would cause #NPF).
 */
export async function translateNpt(
  mem: PhysicalMemory,
  ctx: NptContext,
  gpa: bigint,
): Promise<Translation & { readonly userViolation: EntryLevel | undefined }> {
  const la57 = ctx.la57 === true;
  const width = la57 ? 57 : 48;
  const cr4 = CR4_PAE | (la57 ? CR4_LA57 : 0n);
  const efer = EFER_LMA | (ctx.nxe ? EFER_NXE : 0n);
  const options = ctx.maxPhyAddr === undefined ? {} : { maxPhyAddr: ctx.maxPhyAddr };
  if (gpa < 0n || gpa >> BigInt(width) !== 0n) {
    const fault = { kind: 'address-too-wide', width } as const;
    const mode = la57 ? '5-level' : '4-level';
    return {
      ok: false,
      mode,
      virtualAddress: gpa,
      steps: [],
      fault,
      message: describeFault(fault),
      userViolation: undefined,
    };
  }
  // Only bits width-1:0 index the walk; sign-extending them keeps the canonical check from refusing a gPA.
  const t = await translate(mem, { cr3: ctx.ncr3, cr4, efer }, canonicalize(gpa, width), options);
  const userViolation = t.steps.find((s) => s.entry.present && !s.entry.user)?.level;
  return { ...t, virtualAddress: gpa, userViolation };
}
