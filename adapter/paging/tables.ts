/** The entries of one page table, for the lazy Page Tables tree (`hvdbg/pageTableChildren`). */
import type { PageTableEntryInfo } from '../protocol/pagingRequests';
import { describeMemoryError, readEntry, type PhysicalMemory } from '../x86/paging/memory';
import {
  decodeFor,
  regionStart,
  rootLevels,
  rootTable,
  tableId,
  type PagingRoot,
  type TableRef,
} from './roots';
import { hex } from './format';

/**
 * The entries of the table `ref` names (only present ones unless `includeNotPresent`). A table that
 * cannot be read comes back as `problem` with no entries; a bad entry carries its own `problem`.
 */
export async function tableEntries(
  root: PagingRoot,
  ref: TableRef,
  memory: PhysicalMemory,
  includeNotPresent = false,
): Promise<{ entries: PageTableEntryInfo[]; problem?: string }> {
  const levels = rootLevels(root.format);
  const level = levels[ref.depth];
  if (level === undefined) throw new Error(`${root.info.label} has no level ${ref.depth}`);
  let page: Uint8Array;
  try {
    page = await memory.readTable(ref.table & ~0xfffn);
  } catch (error) {
    const { message } = describeMemoryError(error, ref.table);
    return { entries: [], problem: `cannot read the ${level.name} table at ${hex(ref.table)}: ${message}` };
  }
  const offset = Number(ref.table & 0xfffn);
  const size = 1n << BigInt(level.shift);
  const top = rootTable(root.format);
  const entries: PageTableEntryInfo[] = [];
  for (let index = 0; index < level.entries; index++) {
    const raw = readEntry(page, offset + index * level.entrySize, level.entrySize);
    const view = decodeFor(root.format, raw, level.name);
    if (!view.present && !includeNotPresent) continue;
    const linear = ref.linearBase + BigInt(index) * size;
    const virtualStart = regionStart(root.format, linear);
    const base = {
      level: level.name,
      index,
      virtualStart: hex(virtualStart),
      virtualEnd: hex(virtualStart + size - 1n),
      physical: hex(view.address),
      raw: hex(raw),
      flags: view.flags,
      fields: view.fields,
    };
    if (!view.present) {
      entries.push({ ...base, kind: 'not-present' });
      continue;
    }
    const problems: string[] = view.problem === undefined ? [] : [view.problem];
    if (view.role !== 'table') {
      entries.push({
        ...base,
        kind: 'page',
        pageSize: Number(view.pageBytes),
        ...(problems.length === 0 ? {} : { problem: problems.join('; ') }),
      });
      continue;
    }
    const child = ref.depth + 1 < levels.length && view.problem === undefined;
    if ((view.address & ~0xfffn) === (ref.table & ~0xfffn)) {
      problems.push('points back at its own table (a recursive self-map)');
    } else if (ref.depth > 0 && (view.address & ~0xfffn) === (top & ~0xfffn)) {
      problems.push(`points back at the root table (a recursive map)`);
    }
    entries.push({
      ...base,
      kind: 'table',
      ...(child
        ? {
            childId: tableId({
              rootId: ref.rootId,
              depth: ref.depth + 1,
              table: view.address,
              linearBase: linear,
            }),
          }
        : {}),
      ...(problems.length === 0 ? {} : { problem: problems.join('; ') }),
    });
  }
  return { entries };
}
