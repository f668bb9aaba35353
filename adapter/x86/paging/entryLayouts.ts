/**
 * Named-bit layouts of paging-structure entries for display (every bit by its manual name).
 * 32-bit paging: Intel SDM Vol. 3A §4.3, Tables 4-4 to 4-6. PAE: §4.4, Tables 4-8 to 4-11.
 * 4-level and 5-level: §4.5, Tables 4-14 to 4-20. AMD APM Vol. 2 §5.3-5.4 names bits 11:9 "AVL".
 * Reserved bits are not listed (see `PageEntry.reservedBits`).
 */
import { defineLayout, type BitField, type Layout } from '../bitfields';
import type { EntryLevel, PagingMode } from './mode';

/** What an entry does: references a table, maps a 4-KByte page (PTE) or maps a large page (PS=1). */
export type EntryRole = 'table' | 'page' | 'large';

const f = (name: string, lsb: number, description: string, width = 1): BitField => ({
  name,
  lsb,
  width,
  description,
});

const addr = (lsb: number, width: number, description: string): BitField => ({
  name: 'address',
  lsb,
  width,
  format: 'address',
  description,
});

const present = f('P', 0, 'Present');
const pwt = f('PWT', 3, 'Page-level write-through');
const pcd = f('PCD', 4, 'Page-level cache disable');
const common: BitField[] = [
  present,
  f('R/W', 1, 'Read/write: writes allowed to the region if 1'),
  f('U/S', 2, 'User/supervisor: user-mode accesses allowed to the region if 1'),
  pwt,
  pcd,
  f('A', 5, 'Accessed'),
];
const ign6 = f('IGN6', 6, 'Ignored');
const ign8 = f('IGN8', 8, 'Ignored');
const avl = f('AVL', 9, 'Available to software (ignored by the processor)', 3);
const dirty = f('D', 6, 'Dirty: software has written to the page');
const ps = f('PS', 7, 'Page size: maps a large page if 1 (must be 0 in PML5E/PML4E)');
const global = f('G', 8, 'Global: translation not flushed on CR3 writes if CR4.PGE=1');
const patLarge = f('PAT', 12, 'Page attribute table index bit 2 (large page)');
const xd = f('XD', 63, 'Execute-disable (AMD: NX), if IA32_EFER.NXE=1');
const pk = f('PK', 59, 'Protection key (if CR4.PKE=1 for user pages, CR4.PKS=1 for supervisor pages)', 4);

function build(mode: Exclude<PagingMode, 'none'>, level: EntryLevel, role: EntryRole): Layout {
  const long = mode === '4-level' || mode === '5-level';
  const fields: BitField[] = [];
  if (mode === 'pae' && level === 'PDPTE') {
    fields.push(present, pwt, pcd, avl, addr(12, 40, 'Physical address of the page directory'));
    return defineLayout('PDPTE (PAE)', 64, 'Intel SDM Vol. 3A §4.4.1, Table 4-8', fields);
  }
  fields.push(...common);
  if (role === 'table') fields.push(ign6, ps, ign8);
  else if (role === 'page') fields.push(dirty, f('PAT', 7, 'Page attribute table index bit 2'), global);
  else fields.push(dirty, ps, global, patLarge);
  fields.push(avl);
  if (mode === '32-bit') {
    if (role === 'large') {
      fields.push(f('PA39:32', 13, 'Bits 39:32 of the 4-MByte page address (PSE-36)', 8));
      fields.push(addr(22, 10, 'Bits 31:22 of the 4-MByte page address'));
    } else {
      fields.push(
        addr(12, 20, role === 'page' ? 'Physical address of the 4-KByte page' : 'Page table address'),
      );
    }
    return defineLayout(`${level} (32-bit)`, 32, 'Intel SDM Vol. 3A §4.3, Tables 4-4 to 4-6', fields);
  }
  const shift = role === 'large' ? (level === 'PDPTE' ? 30 : 21) : 12;
  fields.push(
    addr(shift, 52 - shift, role === 'table' ? 'Physical address of the next table' : 'Page frame address'),
  );
  if (long && role === 'table') fields.push(f('AVL_HI', 52, 'Ignored (available to software)', 11));
  if (long && role !== 'table') fields.push(f('AVL_HI', 52, 'Ignored (available to software)', 7), pk);
  fields.push(xd);
  const source = long
    ? 'Intel SDM Vol. 3A §4.5, Tables 4-14 to 4-20'
    : 'Intel SDM Vol. 3A §4.4.2, Tables 4-9 to 4-11';
  return defineLayout(`${level} (${mode})`, 64, source, fields);
}

const cache = new Map<string, Layout>();

/** The display layout of an entry at `level` with the given role in `mode`. */
export function entryLayout(mode: Exclude<PagingMode, 'none'>, level: EntryLevel, role: EntryRole): Layout {
  const key = `${mode}/${level}/${role}`;
  let layout = cache.get(key);
  if (layout === undefined) {
    layout = build(mode, level, role);
    cache.set(key, layout);
  }
  return layout;
}
