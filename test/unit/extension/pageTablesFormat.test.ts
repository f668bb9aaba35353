/** The paging views' pure parts (no VS Code): how entries, ranges and walks print; the filter box. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MemoryMapRange, PageTableEntryInfo } from '../../../adapter/protocol/pagingRequests';
import {
  addressOfVariable,
  bytes,
  debugMemoryUriParts,
  entryText,
  entryTooltip,
  filterInput,
  filterText,
  groupHex,
  hexDump,
  normalizeAddress,
  parseMemoryMapFilter,
  rangeText,
  referenceAddress,
  rootText,
  stepText,
  translationSummary,
} from '../../../extension/views/pageTablesFormat';

test('sizes by the manuals’ page-size names', () => {
  assert.equal(bytes(4096), '4 KiB');
  assert.equal(bytes(2 * 1024 * 1024), '2 MiB');
  assert.equal(bytes(1n << 30n), '1 GiB');
  assert.equal(bytes(4 * 1024 * 1024), '4 MiB');
  assert.equal(bytes(512), '512 bytes');
  assert.equal(bytes(0x180000), '1.5 MiB');
  assert.equal(bytes(0x1000n * 3n), '12 KiB');
  assert.equal(bytes(1n << 64n), '16 EiB');
});

test('hex addresses grouped by 4 digits', () => {
  assert.equal(groupHex('0xffff888000000000'), '0xffff_8880_0000_0000');
  assert.equal(groupHex('0x1a0e000'), '0x1a0e000');
  assert.equal(groupHex('0x123456789'), '0x1_2345_6789');
  assert.equal(groupHex('not hex'), 'not hex');
});

const pte: PageTableEntryInfo = {
  level: 'PTE',
  index: 5,
  virtualStart: '0xffffffff81005000',
  virtualEnd: '0xffffffff81005fff',
  physical: '0x1005000',
  raw: '0x8000000001005163',
  flags: 'P RW A D G XD',
  fields: [
    { name: 'P', value: '1', description: 'Present' },
    { name: 'R/W', value: '1', description: 'Read/write | writes allowed' },
  ],
  kind: 'page',
  pageSize: 4096,
};

test('a page-table entry: range, physical address, decoded flags, fields in the tooltip', () => {
  assert.deepEqual(entryText(pte), {
    label: 'PTE 5',
    description: '0xffff_ffff_8100_5000 – 0xffff_ffff_8100_5fff → 0x1005000 · P RW A D G XD · 4 KiB page',
  });
  const tooltip = entryTooltip(pte);
  assert.match(tooltip, /\*\*PTE 5\*\* = `0x8000000001005163` \(maps a page\)/);
  assert.match(tooltip, /\| R\/W \| `1` \| Read\/write \\\| writes allowed \|/);
  const table: PageTableEntryInfo = {
    ...pte,
    level: 'PML4E',
    kind: 'table',
    childId: 't1',
    flags: 'P RW US A',
  };
  delete (table as { pageSize?: number }).pageSize;
  assert.equal(entryText(table).description.endsWith('→ 0x1005000 · P RW US A'), true);
  const absent: PageTableEntryInfo = { ...pte, kind: 'not-present', raw: '0x0', flags: '' };
  assert.match(entryText(absent).description, /not present \(0x0\)$/);
  const bad: PageTableEntryInfo = { ...pte, problem: 'reserved bits 51:40 set' };
  assert.match(entryTooltip(bad), /\$\(warning\) \*\*reserved bits 51:40 set\*\*/);
});

test('a root: register, value and paging mode, each said once', () => {
  const text = rootText({
    id: 'cpu1',
    label: 'vCPU 0 CR3 0x1a0e000',
    kind: 'guest',
    threadId: 1,
    mode: '5-level',
    cr3: '0x1a0e000',
    description: '5-level paging (LA57)',
  });
  assert.equal(text.description, '5-level paging (LA57)');
  assert.equal(text.tooltip, 'vCPU 0 CR3 0x1a0e000\nCR3 = 0x1a0e000\n5-level paging (LA57)');
  const npt = rootText({
    id: 'n',
    label: 'KVM guest 0',
    kind: 'nested',
    mode: 'npt',
    cr3: '0x5000',
    description: '',
  });
  assert.equal(npt.description, 'nCR3 0x5000 · AMD NPT');
  const other = rootText({
    id: 'c',
    label: 'CR3 0x9000',
    kind: 'guest',
    mode: '4-level',
    cr3: '0x9000',
    description: 'PCID 3',
  });
  assert.equal(other.description, '4-level paging · PCID 3');
});

test('a memory-map range with its warnings', () => {
  const range: MemoryMapRange = {
    virtualStart: '0xffffffff81000000',
    virtualEnd: '0xffffffff811fffff',
    physicalStart: '0x1000000',
    size: '0x200000',
    flags: 'P RW A D G',
    pageSize: 2 * 1024 * 1024,
    warnings: ['writable-executable'],
  };
  const text = rangeText(range);
  assert.equal(text.label, '0xffff_ffff_8100_0000 – 0xffff_ffff_811f_ffff');
  assert.equal(text.description, '→ 0x1000000 · 2 MiB · P RW A D G · 2 MiB pages · W+X');
  assert.match(text.tooltip, /⚠ W\+X/);
  assert.match(
    rangeText({ ...range, warnings: ['user-kernel'] }).description,
    /user-accessible kernel range$/,
  );
});

test('the memory-map filter box', () => {
  assert.deepEqual(parseMemoryMapFilter(''), { filter: {} });
  assert.deepEqual(parseMemoryMapFilter(' wx '), { filter: { permissions: 'wx' } });
  assert.deepEqual(parseMemoryMapFilter('0xffffffff80000000-0xffffffffffffffff WX'), {
    filter: { from: '0xffffffff80000000', to: '0xffffffffffffffff', permissions: 'wx' },
  });
  assert.deepEqual(parseMemoryMapFilter('0xffff888000000000-'), { filter: { from: '0xffff888000000000' } });
  assert.deepEqual(parseMemoryMapFilter('-0x7fffffffffff u'), {
    filter: { to: '0x7fffffffffff', permissions: 'u' },
  });
  assert.deepEqual(parseMemoryMapFilter('4096..8192'), { filter: { from: '0x1000', to: '0x2000' } });
  assert.deepEqual(parseMemoryMapFilter('0xffff_8880_0000_0000-'), {
    filter: { from: '0xffff888000000000' },
  });
  const errors = ['kernel', '0xzz-0x10', '0x2000-0x1000', 'w x', '0x1ffffffffffffffff-'];
  for (const text of errors) {
    const parsed = parseMemoryMapFilter(text);
    assert.ok('error' in parsed, `"${text}" should be refused`);
  }
  assert.match(
    (parseMemoryMapFilter('0x2000-0x1000') as { error: string }).error,
    /ends \(0x1000\) before it starts/,
  );
  const filter = { from: '0x1000', permissions: 'x' };
  assert.equal(filterText(filter), '0x1000–end · x');
  assert.equal(filterInput(filter), '0x1000- x');
  assert.deepEqual(parseMemoryMapFilter(filterInput(filter)), { filter });
  assert.equal(filterText({}), '');
});

test('addresses from the Variables view and the input box', () => {
  assert.equal(normalizeAddress('0XFFFFFFFF81000000'), '0xffffffff81000000');
  assert.equal(normalizeAddress('4096'), '0x1000');
  assert.equal(normalizeAddress('0x10000000000000000'), undefined);
  assert.equal(normalizeAddress('rip'), undefined);
  assert.equal(addressOfVariable({ value: '(void *) 0xffffffff81000000 <_text>' }), '0xffffffff81000000');
  assert.equal(
    addressOfVariable({ value: '0x0', memoryReference: '0xffff888000001000' }),
    '0xffff888000001000',
  );
  assert.equal(addressOfVariable({ value: '4096' }), '0x1000');
  assert.equal(addressOfVariable({ value: '{...}' }), undefined);
});

test('a walk, step by step, and its headline', () => {
  const step = stepText({
    level: 'PML4E',
    tableAddress: '0x1a0e000',
    index: 511,
    raw: '0x1a11067',
    flags: 'P RW US A D',
    physical: '0x1a11000',
  });
  assert.deepEqual(step, {
    label: 'PML4E[511] → 0x1a11000',
    detail: 'table 0x1a0e000 · entry 0x1a11067 · P RW US A D',
  });
  assert.equal(
    stepText({
      level: 'PTE',
      tableAddress: '0x5000',
      index: 7,
      raw: '0x0',
      flags: '',
      physical: '0x0',
      stage: 'nested',
    }).label,
    'nested · PTE[7] → 0x0',
  );
  assert.equal(
    translationSummary({
      address: '0xffffffff81000000',
      ok: true,
      physical: '0x1000000',
      pageSize: 2097152,
      permissions: 'r-x',
    }),
    '0xffffffff81000000 → 0x1000000 (2 MiB page, r-x)',
  );
  assert.equal(
    translationSummary({ address: '0x1234', ok: false, fault: 'PML4E 0 not present' }),
    '0x1234: not mapped — PML4E 0 not present',
  );
});

test('the memory view URI and the hex-dump fallback', () => {
  assert.deepEqual(debugMemoryUriParts('abc-123', 'phys:0x1000', '0x1000'), {
    scheme: 'vscode-debug-memory',
    authority: 'abc-123',
    path: '/phys%3A0x1000/0x1000.bin',
  });
  assert.equal(referenceAddress('phys:0x1000000'), 0x1000000n);
  assert.equal(referenceAddress('0xffffffff81000000'), 0xffffffff81000000n);
  assert.equal(referenceAddress('4096'), 4096n);
  assert.equal(referenceAddress('rip+4'), undefined);
  const dump = hexDump(
    0x1000n,
    new Uint8Array([0x48, 0x56, 0x44, 0x42, 0x47, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x41]),
  );
  assert.equal(
    dump,
    '0000000000001000  48 56 44 42 47 00 01 02  03 04 05 06 07 08 09 0a  |HVDBG...........|\n' +
      '0000000000001010  41                                                |A|',
  );
});
