/**
 * How the Page Tables, Memory Map and Translate views print the adapter's answers
 * (adapter/protocol/pagingRequests.ts). No `vscode` import (unit-tested in plain Node): strings only, the
 * decoding itself is the adapter's.
 */
import type {
  MemoryMapRange,
  PageTableEntryInfo,
  PagingRootInfo,
  TranslationStepInfo,
} from '../../adapter/protocol/pagingRequests';

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** A byte count as the manuals name page sizes: `4 KiB`, `2 MiB`, `1 GiB`, `1.5 MiB`, `512 bytes`. */
export function bytes(n: bigint | number): string {
  let value = BigInt(n);
  let unit = 0;
  // Whole units while exact; one decimal otherwise.
  while (unit < UNITS.length - 1 && value >= 1024n && value % 1024n === 0n) {
    value /= 1024n;
    unit++;
  }
  if (value >= 1024n && unit < UNITS.length - 1) {
    let v = Number(value);
    while (v >= 1024 && unit < UNITS.length - 1) {
      v /= 1024;
      unit++;
    }
    return `${v.toFixed(1)} ${UNITS[unit]}`;
  }
  return `${value} ${UNITS[unit]}`;
}

/** A hex wire string (`0x…`) as a byte count (`bytes()`), or the string itself when it is not hex. */
export function hexBytes(hex: string): string {
  try {
    return bytes(BigInt(hex));
  } catch {
    return hex;
  }
}

/** `0xffff888000000000` → `0xffff_8880_0000_0000` (groups of 4 digits, easier to read in a tree). */
export function groupHex(hex: string): string {
  const m = /^0x([0-9a-f]+)$/i.exec(hex);
  if (m?.[1] === undefined || m[1].length <= 8) return hex;
  const digits = m[1];
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 4) groups.unshift(digits.slice(Math.max(0, end - 4), end));
  return `0x${groups.join('_')}`;
}

/** `0xffff_8880_0000_0000 – 0xffff_8880_3fff_ffff` (inclusive ends). */
export function span(start: string, end: string): string {
  return `${groupHex(start)} – ${groupHex(end)}`;
}

const MODES: Readonly<Record<PagingRootInfo['mode'], string>> = {
  none: 'paging off',
  '32-bit': '32-bit paging',
  pae: 'PAE paging',
  '4-level': '4-level paging',
  '5-level': '5-level paging (LA57)',
  npt: 'AMD NPT',
  ept: 'Intel EPT',
};

export function modeName(mode: PagingRootInfo['mode']): string {
  return MODES[mode];
}

/**
 * A root's row. The adapter's label (`vCPU 0 CR3 0x5268000`) and description (`5-level paging (LA57)`)
 * are shown as they are; the register and the mode are added where they do not already say them.
 */
export function rootText(root: PagingRootInfo): { label: string; description: string; tooltip: string } {
  const register = root.kind === 'nested' ? (root.mode === 'ept' ? 'EPTP' : 'nCR3') : 'CR3';
  const mode = modeName(root.mode);
  const parts: string[] = [];
  if (!root.label.includes(root.cr3)) parts.push(`${register} ${root.cr3}`);
  if (root.description === '' || !root.description.toLowerCase().includes(mode.toLowerCase()))
    parts.push(mode);
  if (root.description !== '') parts.push(root.description);
  return {
    label: root.label,
    description: parts.join(' · '),
    tooltip: [root.label, `${register} = ${root.cr3}`, mode, root.description]
      .filter((s, i, all) => s !== '' && all.indexOf(s) === i)
      .join('\n'),
  };
}

/** An entry's row: `PML4E 273`, `0xffff_8880_… – … → 0x1a0f000 · P RW A XD · 2 MiB`. */
export function entryText(entry: PageTableEntryInfo): { label: string; description: string } {
  const label = `${entry.level} ${entry.index}`;
  const range = span(entry.virtualStart, entry.virtualEnd);
  if (entry.kind === 'not-present') return { label, description: `${range} · not present (${entry.raw})` };
  const size =
    entry.kind === 'page' && entry.pageSize !== undefined ? ` · ${bytes(entry.pageSize)} page` : '';
  return { label, description: `${range} → ${entry.physical} · ${entry.flags}${size}` };
}

/**
 * An entry's tooltip, Markdown: the raw value, each field by its manual name, the problem if any.
 * Table cells have their `|` escaped.
 */
export function entryTooltip(entry: PageTableEntryInfo): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const kind =
    entry.kind === 'table' ? 'points to a table' : entry.kind === 'page' ? 'maps a page' : 'not present';
  const lines = [
    `**${entry.level} ${entry.index}** = \`${entry.raw}\` (${kind})`,
    '',
    `${span(entry.virtualStart, entry.virtualEnd)} → \`${entry.physical}\``,
  ];
  if (entry.problem !== undefined) lines.push('', `$(warning) **${cell(entry.problem)}**`);
  if (entry.fields.length > 0) {
    lines.push('', '| field | value | meaning |', '|:--|:--|:--|');
    for (const f of entry.fields)
      lines.push(`| ${cell(f.name)} | \`${cell(f.value)}\` | ${cell(f.description)} |`);
  }
  return lines.join('\n');
}

/** A memory-map row: label `start – end`, description `→ phys · size · flags · page size`. */
export function rangeText(range: MemoryMapRange): { label: string; description: string; tooltip: string } {
  const warnings = range.warnings.map(warningText);
  const description = [
    `→ ${range.physicalStart}`,
    hexBytes(range.size),
    range.flags,
    `${bytes(range.pageSize)} pages`,
    ...warnings,
  ].join(' · ');
  const tooltip = [
    `virtual ${range.virtualStart} – ${range.virtualEnd}`,
    `physical ${range.physicalStart}`,
    `size ${range.size} (${hexBytes(range.size)}), ${bytes(range.pageSize)} pages`,
    `flags ${range.flags}`,
    ...warnings.map((w) => `⚠ ${w}`),
  ].join('\n');
  return { label: span(range.virtualStart, range.virtualEnd), description, tooltip };
}

export function warningText(warning: MemoryMapRange['warnings'][number]): string {
  return warning === 'writable-executable' ? 'W+X' : 'user-accessible kernel range';
}

/** The Memory Map's filter: a virtual range and/or permissions, as the adapter's request takes them. */
export interface MemoryMapFilter {
  readonly from?: string;
  readonly to?: string;
  readonly permissions?: string;
}

const ADDRESS = /^(0x[0-9a-f]+|[0-9]+)$/i;

/** `0x…` or decimal → `0x…` hex (lower case), or undefined when it is neither. */
export function normalizeAddress(text: string): string | undefined {
  const t = text.trim().replace(/_/g, '');
  if (!ADDRESS.test(t)) return undefined;
  const value = BigInt(t);
  if (value > 0xffff_ffff_ffff_ffffn) return undefined;
  return `0x${value.toString(16)}`;
}

/**
 * Parses what the user typed in the filter box: `0xffffffff81000000-0xffffffff82000000 wx`, `x`,
 * `0xffff888000000000-` (from only), `-0x7fffffffffff` (to only), `u`. Permissions are letters among
 * `r w x u` (all must hold). Empty text: no filter. Returns an error message the user can act on.
 */
export function parseMemoryMapFilter(text: string): { filter: MemoryMapFilter } | { error: string } {
  let from: string | undefined;
  let to: string | undefined;
  let permissions: string | undefined;
  for (const token of text
    .trim()
    .split(/[\s,]+/)
    .filter((t) => t !== '')) {
    if (/^[rwxu]+$/i.test(token)) {
      if (permissions !== undefined) return { error: `two permission sets: "${permissions}" and "${token}"` };
      permissions = token.toLowerCase();
      continue;
    }
    const dash = token.search(/[-–]|\.\./);
    if (dash < 0) {
      return {
        error: `"${token}" is neither a range (0xSTART-0xEND, 0xSTART-, -0xEND) nor permissions (letters r, w, x, u)`,
      };
    }
    const sep = token.startsWith('..', dash) ? 2 : 1;
    const left = token.slice(0, dash);
    const right = token.slice(dash + sep);
    if (left !== '') {
      from = normalizeAddress(left);
      if (from === undefined) return { error: `"${left}" is not an address (hex 0x… or decimal, 64 bits)` };
    }
    if (right !== '') {
      to = normalizeAddress(right);
      if (to === undefined) return { error: `"${right}" is not an address (hex 0x… or decimal, 64 bits)` };
    }
    if (from !== undefined && to !== undefined && BigInt(from) > BigInt(to))
      return { error: `the range ends (${to}) before it starts (${from})` };
  }
  const filter: { from?: string; to?: string; permissions?: string } = {};
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  if (permissions !== undefined) filter.permissions = permissions;
  return { filter };
}

/** The filter as the view's description shows it: `0x…–0x… · wx`; empty for none. */
export function filterText(filter: MemoryMapFilter): string {
  const parts: string[] = [];
  if (filter.from !== undefined || filter.to !== undefined)
    parts.push(`${filter.from ?? '0x0'}–${filter.to ?? 'end'}`);
  if (filter.permissions !== undefined) parts.push(filter.permissions);
  return parts.join(' · ');
}

/** The filter as typed in the filter box (parseMemoryMapFilter's input): `0x…-0x… wx`. */
export function filterInput(filter: MemoryMapFilter): string {
  const parts: string[] = [];
  if (filter.from !== undefined || filter.to !== undefined)
    parts.push(`${filter.from ?? ''}-${filter.to ?? ''}`);
  if (filter.permissions !== undefined) parts.push(filter.permissions);
  return parts.join(' ');
}

/**
 * An address from a Variables view entry: its `memoryReference` when it has one (a pointer), else the
 * first hex number of its value (`(void *) 0xffffffff81000000 <_text>`, `0x1a0e000`), else a decimal
 * value (`4096`). Undefined when the value holds no number.
 */
export function addressOfVariable(variable: {
  value?: string;
  memoryReference?: string;
}): string | undefined {
  const ref = variable.memoryReference;
  if (ref !== undefined && normalizeAddress(ref) !== undefined) return normalizeAddress(ref);
  const value = variable.value ?? '';
  const hex = /\b0x[0-9a-f]+\b/i.exec(value)?.[0];
  if (hex !== undefined) return normalizeAddress(hex);
  const decimal = /^\s*(\d+)\s*$/.exec(value)?.[1];
  return decimal === undefined ? undefined : normalizeAddress(decimal);
}

/** One level of a walk: `PML4E[273] @ 0x1a0e888 = 0x8000000001a0f063 P RW A → 0x1a0f000` (stage prefix for 2-D). */
export function stepText(step: TranslationStepInfo): { label: string; detail: string } {
  const stage = step.stage === undefined ? '' : `${step.stage === 'nested' ? 'nested' : 'guest'} · `;
  return {
    label: `${stage}${step.level}[${step.index}] → ${step.physical}`,
    detail: `table ${step.tableAddress} · entry ${step.raw} · ${step.flags === '' ? 'no flags' : step.flags}`,
  };
}

/** The translation's headline: `0xffffffff81000000 → 0x1000000 (2 MiB page, r-x)` or the fault. */
export function translationSummary(result: {
  address: string;
  ok: boolean;
  physical?: string;
  pageSize?: number;
  permissions?: string;
  fault?: string;
}): string {
  if (!result.ok || result.physical === undefined)
    return `${result.address}: not mapped — ${result.fault ?? 'no translation'}`;
  const details = [
    result.pageSize === undefined ? undefined : `${bytes(result.pageSize)} page`,
    result.permissions,
  ].filter((s) => s !== undefined && s !== '');
  return `${result.address} → ${result.physical}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/**
 * The `vscode-debug-memory` URI VS Code's own "View Binary Data" opens (the workbench's
 * `getUriForDebugMemory` in src/vs/workbench/contrib/debug/common/debugModel.ts): authority the session
 * id, path `/<memoryReference>/<name>.bin`, both URI-encoded. The Hex Editor extension renders it.
 */
export function debugMemoryUriParts(
  sessionId: string,
  memoryReference: string,
  displayName: string,
): { scheme: string; authority: string; path: string } {
  return {
    scheme: 'vscode-debug-memory',
    authority: sessionId,
    path: `/${encodeURIComponent(memoryReference)}/${encodeURIComponent(displayName)}.bin`,
  };
}

/** The address in a memory reference or readMemory answer: `phys:0x1000` / `0x1000` → 0x1000n; undefined if none. */
export function referenceAddress(reference: string): bigint | undefined {
  const hex = /^(?:[a-z]+:)?\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(reference)?.[1];
  return hex === undefined ? undefined : BigInt(hex);
}

/** A classic hex dump (16 bytes a line, address, hex, ASCII), for the memory fallback without Hex Editor. */
export function hexDump(base: bigint, data: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    const address = (base + BigInt(off)).toString(16).padStart(16, '0');
    lines.push(`${address}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`);
  }
  return lines.join('\n');
}
