/**
 * Translation of an address through a root, each level of the walk shown (`hvdbg/translate`,
 * `hv translate`). For an L2 guest root it is the two-dimensional walk of AMD APM Vol. 2 §15.25.6:
 * every guest table address is itself translated through the nested page table, then the final
 * guest-physical address.
 */
import type { BodyOf } from '../protocol/customRequests';
import type { TranslationStepInfo, translateRequest } from '../protocol/pagingRequests';
import { entryFlags, eptFlags, hex } from './format';
import { NestedPhysicalMemory } from './memories';
import type { PagingRoot } from './roots';
import type { PhysicalMemory } from '../x86/paging/memory';
import { translateEpt, translateNpt, type EptFault } from '../x86/paging/nested';
import { permissionString } from '../x86/paging/ranges';
import { describeFault, translate, type Translation, type WalkStep } from '../x86/paging/translate';

export type TranslationBody = BodyOf<typeof translateRequest>;

function steps(t: Translation, stage?: 'guest' | 'nested'): TranslationStepInfo[] {
  return t.steps.map((s: WalkStep) => ({
    level: s.level,
    tableAddress: hex(s.tableAddress),
    index: s.index,
    raw: hex(s.entry.raw),
    flags: entryFlags(s.entry),
    physical: hex(s.entry.address),
    ...(stage === undefined ? {} : { stage }),
  }));
}

function done(
  address: bigint,
  physical: bigint,
  pageSize: bigint,
  permissions: string,
  s: TranslationStepInfo[],
): TranslationBody {
  return {
    address: hex(address),
    ok: true,
    physical: hex(physical),
    pageSize: Number(pageSize),
    permissions,
    steps: s,
    physicalMemoryReference: `phys:${hex(physical)}`,
  };
}

const failed = (address: bigint, fault: string, s: TranslationStepInfo[]): TranslationBody => ({
  address: hex(address),
  ok: false,
  fault,
  steps: s,
});

function eptFault(f: EptFault): string {
  switch (f.kind) {
    case 'invalid-eptp':
      return `invalid EPTP: page-walk length ${f.pageWalkLength}`;
    case 'address-too-wide':
      return `guest-physical address wider than ${f.width} bits`;
    case 'ept-violation':
      return `EPT violation: not present at ${f.level}`;
    case 'ept-misconfiguration':
      return `EPT misconfiguration at ${f.level}: ${f.reason}`;
    case 'memory-error':
      return `cannot read the table holding the ${f.level} at ${hex(f.tableAddress)}: ${f.message}`;
  }
}

/** Translates `address` (virtual, or guest-physical for nested tables) through `root`. Never throws for guest state. */
export async function translateThrough(
  root: PagingRoot,
  memory: PhysicalMemory,
  address: bigint,
): Promise<TranslationBody> {
  const format = root.format;
  switch (format.kind) {
    case 'guest': {
      const t = await translate(memory, format.ctx, address);
      if (!t.ok) return failed(address, t.message, steps(t));
      return done(address, t.physicalAddress, t.pageSize, permissionString(t.permissions, true), steps(t));
    }
    case 'npt': {
      const t = await translateNpt(memory, format.npt, address);
      const s = steps(t, 'nested');
      if (!t.ok) return failed(address, `nested page fault: ${t.message}`, s);
      if (t.userViolation !== undefined) {
        return failed(
          address,
          `nested page fault: U/S=0 at ${t.userViolation} (nested walks are user accesses)`,
          s,
        );
      }
      return done(address, t.physicalAddress, t.pageSize, permissionString(t.permissions, true), s);
    }
    case 'ept': {
      const t = await translateEpt(memory, format.ept, address);
      const s: TranslationStepInfo[] = t.steps.map((e) => ({
        level: e.level,
        tableAddress: hex(e.tableAddress),
        index: e.index,
        raw: hex(e.entry.raw),
        flags: eptFlags(e.entry),
        physical: hex(e.entry.address),
        stage: 'nested',
      }));
      if (!t.ok) return failed(address, eptFault(t.fault), s);
      const p = t.permissions;
      return done(
        address,
        t.hostPhysical,
        t.pageSize,
        `${p.read ? 'r' : '-'}${p.write ? 'w' : '-'}${p.execute ? 'x' : '-'}`,
        s,
      );
    }
    case 'l2':
      return translateTwoDimensional(format.ctx, format.npt, memory, address);
  }
}

async function translateTwoDimensional(
  ctx: Parameters<typeof translate>[1],
  npt: Parameters<typeof translateNpt>[1],
  host: PhysicalMemory,
  address: bigint,
): Promise<TranslationBody> {
  const nested = new NestedPhysicalMemory(host, npt);
  const t = await translate(nested, ctx, address);
  const s: TranslationStepInfo[] = [];
  const guestSteps = steps(t, 'guest');
  for (const [i, step] of t.steps.entries()) {
    const n = await nested.translations.get(step.tableAddress & ~0xfffn);
    if (n !== undefined) s.push(...steps(n, 'nested'));
    const g = guestSteps[i];
    if (g !== undefined) s.push(g);
  }
  if (!t.ok) {
    // A table the NPT does not map: its nested steps are the last ones.
    const last =
      t.fault.kind === 'memory-error'
        ? await nested.translations.get(t.fault.tableAddress & ~0xfffn)
        : undefined;
    if (last !== undefined && !last.ok) s.push(...steps(last, 'nested'));
    return failed(address, t.message, s);
  }
  const n = await translateNpt(host, npt, t.physicalAddress);
  s.push(...steps(n, 'nested'));
  if (!n.ok)
    return failed(
      address,
      `guest-physical ${hex(t.physicalAddress)}: nested page fault: ${describeFault(n.fault)}`,
      s,
    );
  const pageSize = n.pageSize < t.pageSize ? n.pageSize : t.pageSize;
  const rights =
    permissionString(t.permissions, true) + (n.permissions.writable ? '' : ' (read-only in the NPT)');
  return done(address, n.physicalAddress, pageSize, rights, s);
}
