/**
 * Roots of page tables and how each reads its entries: a vCPU's CR3 (Intel SDM Vol. 3A §4.5, AMD APM
 * Vol. 2 §5.3), a hypervisor's nested table (AMD NPT from the VMCB's nCR3, APM Vol. 2 §15.25; Intel EPT
 * from an EPTP, SDM Vol. 3C "EPT Translation Mechanism") and the guest CR3 behind it, whose tables are
 * guest-physical (L2) addresses translated through the nested table.
 */
import type { PagingRootInfo } from '../protocol/pagingRequests';
import type { KvmVcpu } from '../hypervisors/kvm/guests';
import { canonicalize } from '../x86/paging/canonical';
import { decodeEntry } from '../x86/paging/entries';
import { decodeEptEntry } from '../x86/paging/ept';
import {
  CR4_LA57,
  CR4_PAE,
  CR4_PSE,
  EFER_LMA,
  EFER_NXE,
  levelsOf,
  pagingModeOf,
  rootTableAddress,
  type EntryLevel,
  type LevelSpec,
  type PagingContext,
  type PagingMode,
} from '../x86/paging/mode';
import { decodeNptEntry, type EptContext, type NptContext } from '../x86/paging/nested';
import type { FieldInfo } from './format';
import { entryFieldInfo, entryFlags, eptFieldInfo, eptFlags, hex } from './format';
import { UserInputError } from '../debugger/userInputError';

/** How a root's tables are read and decoded. */
export type RootFormat =
  /** A vCPU's CR3: tables at (L1) physical addresses. */
  | { readonly kind: 'guest'; readonly ctx: PagingContext }
  /** An AMD nested page table: long-mode entries, guest-physical addresses on the "virtual" side. */
  | { readonly kind: 'npt'; readonly npt: NptContext }
  /** An Intel EPT (no lab: decoded for completeness). */
  | { readonly kind: 'ept'; readonly ept: EptContext }
  /** An L2 guest's CR3: tables at L2-physical addresses, read through `npt`. */
  | { readonly kind: 'l2'; readonly ctx: PagingContext; readonly npt: NptContext };

export interface PagingRoot {
  readonly info: PagingRootInfo;
  readonly format: RootFormat;
}

/** A vCPU's paging registers (QEMU's x86-64 target description: cr0, cr3, cr4, efer). */
export interface VcpuPaging {
  readonly threadId: number;
  /** `vCPU 0`. */
  readonly name: string;
  readonly cr0?: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
}

const MAX_PHY_ADDR = 52;

/** The mode a root's tables are walked in (`npt`/`ept` roots: the nested table's own depth). */
export function rootMode(format: RootFormat): Exclude<PagingMode, 'none'> | 'none' {
  switch (format.kind) {
    case 'guest':
    case 'l2':
      return pagingModeOf(format.ctx);
    case 'npt':
      return format.npt.la57 === true ? '5-level' : '4-level';
    case 'ept':
      return ((format.ept.eptp >> 3n) & 7n) === 4n ? '5-level' : '4-level';
  }
}

export function rootLevels(format: RootFormat): readonly LevelSpec[] {
  const mode = rootMode(format);
  return mode === 'none' ? [] : levelsOf(mode);
}

/** Physical address of the top table (guest-physical for `l2`). */
export function rootTable(format: RootFormat): bigint {
  const mask = ((1n << BigInt(MAX_PHY_ADDR)) - 1n) & ~0xfffn;
  switch (format.kind) {
    case 'guest':
    case 'l2': {
      const mode = pagingModeOf(format.ctx);
      return mode === 'none' ? 0n : rootTableAddress(mode, format.ctx.cr3, MAX_PHY_ADDR);
    }
    case 'npt':
      return format.npt.ncr3 & mask;
    case 'ept':
      return format.ept.eptp & mask;
  }
}

/** The paging context of an NPT walked as an ordinary long-mode table (its entries have that format). */
export function nptAsContext(npt: NptContext): PagingContext {
  return {
    cr3: npt.ncr3,
    cr4: CR4_PAE | (npt.la57 === true ? CR4_LA57 : 0n),
    efer: EFER_LMA | (npt.nxe ? EFER_NXE : 0n),
  };
}

/** The first address of entry `index` of a table whose region starts at `linearBase`, as shown. */
export function regionStart(format: RootFormat, linear: bigint): bigint {
  if (format.kind === 'npt' || format.kind === 'ept') return linear;
  const mode = pagingModeOf(format.ctx);
  if (mode === '4-level') return canonicalize(linear, 48);
  if (mode === '5-level') return canonicalize(linear, 57);
  return linear;
}

/** One entry decoded the root's way. */
export interface EntryView {
  readonly present: boolean;
  readonly role: 'table' | 'page' | 'large';
  readonly address: bigint;
  readonly pageBytes: bigint;
  readonly flags: string;
  readonly fields: FieldInfo[];
  /** Reserved bits, an EPT misconfiguration, a nested U/S=0. */
  readonly problem?: string;
}

export function decodeFor(format: RootFormat, raw: bigint, level: EntryLevel): EntryView {
  if (format.kind === 'ept') {
    const e = decodeEptEntry(raw, level, format.ept);
    return {
      present: e.present,
      role: e.role,
      address: e.address,
      pageBytes: e.pageBytes,
      flags: eptFlags(e),
      fields: eptFieldInfo(e),
      ...(e.misconfiguration === undefined ? {} : { problem: `EPT misconfiguration: ${e.misconfiguration}` }),
    };
  }
  if (format.kind === 'npt') {
    const e = decodeNptEntry(raw, level, format.npt);
    const problem =
      e.reservedBits !== 0n
        ? `reserved bit(s) ${hex(e.reservedBits)} set: a nested walk through it is a #NPF`
        : e.userViolation
          ? 'U/S=0: nested walks are user accesses, so this entry causes a #NPF'
          : undefined;
    return {
      present: e.present,
      role: e.role,
      address: e.address,
      pageBytes: e.pageBytes,
      flags: entryFlags(e),
      fields: entryFieldInfo(e),
      ...(problem === undefined ? {} : { problem }),
    };
  }
  const mode = pagingModeOf(format.ctx);
  if (mode === 'none') throw new Error('paging is off (CR0.PG=0): there are no page tables');
  const e = decodeEntry(raw, level, {
    mode,
    nxe: (format.ctx.efer & EFER_NXE) !== 0n,
    pse: (format.ctx.cr4 & CR4_PSE) !== 0n,
    maxPhyAddr: MAX_PHY_ADDR,
  });
  return {
    present: e.present,
    role: e.role,
    address: e.address,
    pageBytes: e.pageBytes,
    flags: entryFlags(e),
    fields: entryFieldInfo(e),
    ...(e.reservedBits === 0n
      ? {}
      : { problem: `reserved bit(s) ${hex(e.reservedBits)} set: an access through it is a #PF (RSVD=1)` }),
  };
}

/** A table's id: which root, which level, where it is and which region it maps. */
export interface TableRef {
  readonly rootId: string;
  readonly depth: number;
  readonly table: bigint;
  readonly linearBase: bigint;
}

export function tableId(ref: TableRef): string {
  return `${ref.rootId}/${ref.depth}/${ref.table.toString(16)}/${ref.linearBase.toString(16)}`;
}

export function parseTableId(id: string): TableRef {
  const m = /^(.+)\/(\d+)\/([0-9a-f]+)\/([0-9a-f]+)$/.exec(id);
  if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined || m[4] === undefined) {
    throw new UserInputError(
      `'${id}' is not a page-table id (from hvdbg/pageTableRoots or hvdbg/pageTableChildren)`,
    );
  }
  return {
    rootId: m[1],
    depth: Number(m[2]),
    table: BigInt(`0x${m[3]}`),
    linearBase: BigInt(`0x${m[4]}`),
  };
}

const MODE_TEXT: Record<PagingMode, string> = {
  none: 'paging off (CR0.PG=0)',
  '32-bit': '32-bit paging',
  pae: 'PAE paging',
  '4-level': '4-level paging',
  '5-level': '5-level paging (LA57)',
};

function infoOf(
  id: string,
  label: string,
  kind: 'guest' | 'nested',
  format: RootFormat,
  cr3: bigint,
  description: string,
  threadId?: number,
): PagingRoot {
  const mode = format.kind === 'npt' ? 'npt' : format.kind === 'ept' ? 'ept' : pagingModeOf(format.ctx);
  const levels = rootLevels(format);
  const table = rootTable(format);
  const info: PagingRootInfo = {
    id,
    label,
    kind,
    ...(threadId === undefined ? {} : { threadId }),
    mode,
    cr3: hex(cr3),
    description,
    ...(levels.length === 0 ? {} : { tableId: tableId({ rootId: id, depth: 0, table, linearBase: 0n }) }),
  };
  return { info, format };
}

/** The root of a vCPU's CR3 (or of another CR3 in that vCPU's paging mode, e.g. a process's). */
export function vcpuRoot(v: VcpuPaging, cr3 = v.cr3): PagingRoot {
  const ctx: PagingContext = {
    ...(v.cr0 === undefined ? {} : { cr0: v.cr0 }),
    cr3,
    cr4: v.cr4,
    efer: v.efer,
  };
  const mode = pagingModeOf(ctx);
  const own = cr3 === v.cr3;
  const id = own ? `cpu${v.threadId}` : `cr3:${cr3.toString(16)}@${v.threadId}`;
  const label = own ? `${v.name} CR3 ${hex(cr3)}` : `CR3 ${hex(cr3)}`;
  const description = `${MODE_TEXT[mode]}${own ? '' : ` (the paging mode of ${v.name})`}`;
  return infoOf(id, label, 'guest', { kind: 'guest', ctx }, cr3, description, v.threadId);
}

/**
 * The roots of one KVM vCPU: its nested page table and, behind it, its guest's own CR3. `host` is the
 * L1 vCPU's CR4/EFER (NPT depth follows the host's CR4.LA57, its XD bit the host's EFER.NXE).
 */
export function kvmRoots(k: KvmVcpu, host: { cr4: bigint; efer: bigint }): PagingRoot[] {
  const base = `kvm${k.vmIndex}.vcpu${k.vcpuId}`;
  const who = `KVM VM ${k.vmIndex}${k.pid === undefined ? '' : ` (pid ${k.pid})`} vCPU ${k.vcpuId}`;
  if (!k.nestedPaging) return [];
  const npt: NptContext = {
    ncr3: k.nestedCr3,
    nxe: (host.efer & EFER_NXE) !== 0n,
    la57: (host.cr4 & CR4_LA57) !== 0n,
  };
  const nested = infoOf(
    `${base}.npt`,
    `${who} nCR3 ${hex(k.nestedCr3)}`,
    'nested',
    { kind: 'npt', npt },
    k.nestedCr3,
    `AMD nested page table (VMCB ${hex(k.vmcb)}): guest-physical → L1-physical, ${npt.la57 === true ? '5' : '4'}-level`,
  );
  const ctx: PagingContext = { cr0: k.guest.cr0, cr3: k.guest.cr3, cr4: k.guest.cr4, efer: k.guest.efer };
  const guest = infoOf(
    `${base}.guest`,
    `${who} guest CR3 ${hex(k.guest.cr3)}`,
    'nested',
    { kind: 'l2', ctx, npt },
    k.guest.cr3,
    `${MODE_TEXT[pagingModeOf(ctx)]} of the guest (VMCB save area); its tables are guest-physical, read through the nested page table`,
  );
  return [nested, guest];
}
