// The page-table service on memory images: roots, lazy entries, memory map, translation, bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LONG, linuxLike, MemoryImage, P, PS, RW, US, XD } from '../x86/paging/memoryImage';
import { kvmVcpu, service, vcpu } from './support';

const KERNEL = 0xffffffff80000000n;

void test('roots: the vCPU CR3 with its mode, then the nested roots of KVM guests', async () => {
  const { service: s } = service(linuxLike().memory, [vcpu(0x1000n)], {
    vcpus: [kvmVcpu(0x100000n, 0x1000n)],
    problems: ['one problem'],
  });
  const { roots, problems } = await s.roots();
  assert.deepEqual(
    roots.map((r) => [r.id, r.kind, r.mode, r.cr3, r.tableId]),
    [
      ['cpu1', 'guest', '4-level', '0x1000', 'cpu1/0/1000/0'],
      ['kvm0.vcpu0.npt', 'nested', 'npt', '0x100000', 'kvm0.vcpu0.npt/0/100000/0'],
      ['kvm0.vcpu0.guest', 'nested', '4-level', '0x1000', 'kvm0.vcpu0.guest/0/1000/0'],
    ],
  );
  assert.equal(roots[0]?.threadId, 1);
  assert.deepEqual(problems, ['one problem']);
});

void test('paging off: a root without tables; the memory map says why', async () => {
  const { service: s } = service(linuxLike().memory, [vcpu(0x1000n, { cr0: 0x11n })]);
  const [root] = (await s.roots()).roots;
  assert.equal(root?.mode, 'none');
  assert.equal(root?.tableId, undefined);
  const map = await s.memoryMap({});
  assert.deepEqual(map.ranges, []);
  assert.match(map.problems[0] ?? '', /paging is off/);
});

void test('children: present entries only by default, decoded; the self-map is named', async () => {
  const { service: s } = service(linuxLike().memory, [vcpu(0x1000n)]);
  const top = await s.children('cpu1/0/1000/0');
  assert.equal(top.problem, undefined);
  assert.deepEqual(
    top.entries.map((e) => [e.level, e.index, e.virtualStart, e.virtualEnd, e.kind, e.physical, e.flags]),
    [
      ['PML4E', 0, '0x0', '0x7fffffffff', 'table', '0x2000', 'P RW US'],
      ['PML4E', 510, '0xffffff0000000000', '0xffffff7fffffffff', 'table', '0x1000', 'P RW'],
      ['PML4E', 511, '0xffffff8000000000', '0xffffffffffffffff', 'table', '0x5000', 'P RW'],
    ],
  );
  assert.match(top.entries[1]?.problem ?? '', /points back at its own table/);
  assert.equal(top.entries[0]?.childId, 'cpu1/1/2000/0');
  assert.equal(top.entries[0]?.fields.find((f) => f.name === 'U/S')?.value, '1');
  const all = await s.children('cpu1/0/1000/0', true);
  assert.equal(all.entries.length, 512);
  assert.equal(all.entries[1]?.kind, 'not-present');
  // PD: a 2-MiB page and a page table.
  const pd = await s.children('cpu1/2/3000/0');
  assert.deepEqual(
    pd.entries.map((e) => [e.index, e.kind, e.pageSize, e.flags, e.childId]),
    [
      [0, 'page', 2 * 1024 * 1024, 'P RW US PS', undefined],
      [1, 'table', undefined, 'P RW US', 'cpu1/3/4000/200000'],
    ],
  );
  const pt = await s.children('cpu1/3/4000/200000');
  assert.deepEqual(
    pt.entries.map((e) => [e.virtualStart, e.physical, e.flags]),
    [
      ['0x200000', '0x400000', 'P RW US'],
      ['0x201000', '0x401000', 'P RW US'],
      ['0x202000', '0x500000', 'P RW US'],
      ['0x203000', '0x501000', 'P US'],
    ],
  );
  await assert.rejects(s.children('garbage'), /not a page-table id/);
});

void test('memory map: merged ranges, permission filters, warnings, counters', async () => {
  const { service: s } = service(linuxLike().memory, [vcpu(0x1000n)]);
  const map = await s.memoryMap({});
  assert.deepEqual(
    map.ranges.map((r) => [
      r.virtualStart,
      r.virtualEnd,
      r.physicalStart,
      r.size,
      r.flags,
      r.pageSize,
      r.warnings,
    ]),
    [
      ['0x0', '0x1fffff', '0x200000', '0x200000', 'urwx', 0x200000, ['writable-executable']],
      ['0x200000', '0x201fff', '0x400000', '0x2000', 'urwx', 0x1000, ['writable-executable']],
      ['0x202000', '0x202fff', '0x500000', '0x1000', 'urwx', 0x1000, ['writable-executable']],
      ['0x203000', '0x203fff', '0x501000', '0x1000', 'ur-x', 0x1000, []],
      [
        `0x${KERNEL.toString(16)}`,
        '0xffffffffbfffffff',
        '0x40000000',
        '0x40000000',
        '-rwx',
        0x40000000,
        ['writable-executable'],
      ],
    ],
  );
  assert.deepEqual(map.stats.tables, 5);
  assert.deepEqual(map.stats.leaves, 6);
  assert.equal(map.stats.packets, 5); // each table read once
  assert.match(
    map.problems[0] ?? '',
    /PML4E at 0x1ff0 .* points back at the PML4E table 0x1000: a recursive map/,
  );

  const readOnly = await s.memoryMap({ permissions: '!w' });
  assert.deepEqual(
    readOnly.ranges.map((r) => r.virtualStart),
    ['0x203000'],
  );
  const supervisor = await s.memoryMap({ permissions: 'w!u' });
  assert.deepEqual(
    supervisor.ranges.map((r) => r.virtualStart),
    [`0x${KERNEL.toString(16)}`],
  );
  const inRange = await s.memoryMap({ from: '0x201000', to: '0x202fff' });
  assert.deepEqual(
    inRange.ranges.map((r) => r.virtualStart),
    ['0x201000', '0x202000'],
  );
  await assert.rejects(s.memoryMap({ permissions: 'q' }), /permissions are the letters/);

  const qemu = await s.memoryMap({ merge: 'qemu' });
  assert.deepEqual(
    qemu.ranges.map((r) => [r.virtualStart, r.virtualEnd, r.flags, r.pageSize]),
    [
      ['0x0', '0x202fff', 'urw', 0x1000],
      ['0x203000', '0x203fff', 'ur-', 0x1000],
      [`0x${KERNEL.toString(16)}`, '0xffffffffbfffffff', '-rw', 0x40000000],
    ],
  );
  const leaves = await s.memoryMap({ merge: 'none' });
  assert.equal(leaves.ranges.length, 6);
  assert.equal(leaves.ranges[5]?.entryFlags, 'P RW PS G');
});

void test('memory map: a user-accessible kernel page and W+X are flagged; XD clears X', async () => {
  const image = new MemoryImage()
    .set(0x1000n, 511, 0x2000n | P | RW | US)
    .set(0x2000n, 511, 0x3000n | P | RW | US)
    .set(0x3000n, 0, 0x600000n | P | RW | US | PS)
    .set(0x3000n, 1, 0x800000n | P | RW | PS | XD);
  const { service: s } = service(image.memory, [vcpu(0x1000n)]);
  const map = await s.memoryMap({});
  assert.deepEqual(
    map.ranges.map((r) => [r.virtualStart, r.flags, r.warnings]),
    [
      ['0xffffffffc0000000', 'urwx', ['writable-executable', 'user-kernel']],
      ['0xffffffffc0200000', '-rw-', []],
    ],
  );
  const warned = await s.memoryMap({ warningsOnly: true });
  assert.equal(warned.ranges.length, 1);
});

void test('translate: each level, permissions and the phys: reference', async () => {
  const { service: s } = service(linuxLike().memory, [vcpu(0x1000n)]);
  const t = await s.translate('0x203123');
  assert.equal(t.ok, true);
  assert.equal(t.physical, '0x501123');
  assert.equal(t.pageSize, 4096);
  assert.equal(t.permissions, 'ur-x');
  assert.equal(t.physicalMemoryReference, 'phys:0x501123');
  assert.deepEqual(
    t.steps.map((x) => [x.level, x.tableAddress, x.index, x.physical]),
    [
      ['PML4E', '0x1000', 0, '0x2000'],
      ['PDPTE', '0x2000', 0, '0x3000'],
      ['PDE', '0x3000', 1, '0x4000'],
      ['PTE', '0x4000', 3, '0x501000'],
    ],
  );
  const missing = await s.translate('0x400000');
  assert.equal(missing.ok, false);
  assert.equal(missing.fault, 'not present at PDE');
  const bad = await s.translate('0x0000800000000000');
  assert.match(bad.fault ?? '', /non-canonical/);
  assert.deepEqual(bad.steps, []);
  await assert.rejects(s.translate('hello'), /address: 'hello' is not a number/);
});

void test('bad input: CR3 outside memory, reserved bits, a self-referencing PD: shown, bounded', async () => {
  const outside = service(linuxLike().memory, [vcpu(0x7777000n)]).service;
  const t = await outside.translate('0xffffffff81000000');
  assert.equal(t.ok, false);
  assert.match(t.fault ?? '', /cannot read the table holding the PML4E at 0x7777000/);
  const map = await outside.memoryMap({});
  assert.deepEqual(map.ranges, []);
  assert.match(
    map.problems[0] ?? '',
    /^0x0-0xffffffffffff not mapped: cannot read the table holding the PML4E at 0x7777000/,
  );
  const children = await outside.children('cpu1/0/7777000/0');
  assert.deepEqual(children.entries, []);
  assert.match(children.problem ?? '', /cannot read the PML4E table at 0x7777000: no guest memory/);

  const image = new MemoryImage()
    .set(0x1000n, 0, 0x2000n | P | RW)
    .set(0x2000n, 0, 0x3000n | P | RW)
    .set(0x3000n, 0, 0x200000n | P | RW | PS | (1n << 13n)) // bit 13 of a 2-MiB PDE is reserved
    .set(0x3000n, 1, 0x3000n | P | RW) // the PD points at itself
    .set(0x3000n, 2, 0x9000000n | P | RW); // a page table outside memory
  const { service: s } = service(image.memory, [vcpu(0x1000n)]);
  const reserved = await s.translate('0x1000');
  assert.match(reserved.fault ?? '', /reserved bit\(s\) 0x2000 set in PDE/);
  const pd = await s.children('cpu1/2/3000/0');
  assert.match(pd.entries[0]?.problem ?? '', /reserved bit\(s\) 0x2000 set/);
  assert.match(pd.entries[1]?.problem ?? '', /points back at its own table/);
  const m = await s.memoryMap({});
  assert.deepEqual(m.ranges, []);
  assert.equal(m.problems.length, 3);
  assert.match(m.problems[0] ?? '', /0x0-0x1fffff not mapped: reserved bit/);
  assert.match(m.problems[1] ?? '', /points back at the PDE table 0x3000/);
  assert.match(
    m.problems[2] ?? '',
    /0x400000-0x5fffff not mapped: cannot read the table holding the PTE at 0x9000000/,
  );
  // Through the self-map, as hardware would: the PD read as a page table, its entry 0 a PTE (bit 7 is
  // PAT there and bit 13 an address bit): 0x200000 | 0x2000.
  const loop = await s.translate('0x200000');
  assert.equal(loop.physical, '0x202000');
  assert.deepEqual(
    loop.steps.map((x) => x.level),
    ['PML4E', 'PDPTE', 'PDE', 'PTE'],
  );
  // A hostile table cannot make the walk unbounded: a PML4 whose 512 entries all point at itself.
  const hostile = new MemoryImage();
  for (let i = 0; i < 512; i++) hostile.set(0x1000n, i, 0x1000n | P | RW);
  const h = service(hostile.memory, [vcpu(0x1000n)]).service;
  const hm = await h.memoryMap({});
  assert.equal(hm.stats.tables, 1);
  assert.equal(hm.problems.length, 41); // 40 shown and "... and N more"
  assert.match(hm.problems[40] ?? '', /and 472 more/);
});

void test("a CR3 other than the vCPU's, in its paging mode", async () => {
  const image = linuxLike().set(0x9000n, 0, 0x2000n | P | RW | US);
  const { service: s } = service(image.memory, [vcpu(0x1000n)]);
  const t = await s.translate('0x203000', 'cr3:9000@1');
  assert.equal(t.physical, '0x501000');
  await assert.rejects(s.translate('0x0', 'cr3:9000@7'), /no vCPU with thread id 7/);
  await assert.rejects(s.translate('0x0', 'kvm3.vcpu0.npt'), /no page-table root 'kvm3.vcpu0.npt'/);
});

/**
 * An L2 guest: its tables at guest-physical 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD: one 2-MiB page at
 * 0), the NPT (nCR3 0x100000) mapping guest-physical page i to host-physical 0x800000 + i * 0x1000.
 */
function nestedImage(): MemoryImage {
  const image = new MemoryImage()
    .set(0x100000n, 0, 0x101000n | P | RW | US)
    .set(0x101000n, 0, 0x102000n | P | RW | US)
    .set(0x102000n, 0, 0x103000n | P | RW | US);
  for (let i = 0n; i < 16n; i++) image.set(0x103000n, Number(i), (0x800000n + i * 0x1000n) | P | RW | US);
  image
    .set(0x801000n, 0, 0x2000n | P | RW)
    .set(0x802000n, 0, 0x3000n | P | RW)
    .set(0x803000n, 0, 0n | P | RW | PS);
  image.page(0x807000n).set(new TextEncoder().encode('HVDBG-L2-PATTERN'));
  return image;
}

void test('nested: the NPT as a table, its map, and the two-dimensional translation of an L2 address', async () => {
  const { service: s, physical } = service(nestedImage().memory, [vcpu(0x1000n)], {
    vcpus: [kvmVcpu(0x100000n, 0x1000n)],
    problems: [],
  });
  const pt = await s.children('kvm0.vcpu0.npt/3/103000/0');
  assert.equal(pt.entries.length, 16);
  assert.deepEqual([pt.entries[7]?.virtualStart, pt.entries[7]?.physical], ['0x7000', '0x807000']);
  const npt = await s.memoryMap({ rootId: 'kvm0.vcpu0.npt' });
  assert.deepEqual(
    npt.ranges.map((r) => [r.virtualStart, r.virtualEnd, r.physicalStart]),
    [['0x0', '0xffff', '0x800000']],
  );
  const direct = await s.translate('0x7000', 'kvm0.vcpu0.npt');
  assert.equal(direct.physical, '0x807000');
  assert.ok(direct.steps.every((x) => x.stage === 'nested'));

  const t = await s.translate('0x7010', 'kvm0.vcpu0.guest');
  assert.equal(t.ok, true);
  assert.equal(t.physical, '0x807010');
  assert.equal(t.pageSize, 4096); // the L2 2-MiB page is backed by 4-KiB NPT pages
  assert.deepEqual(
    t.steps.map((x) => `${x.stage ?? ''} ${x.level} ${x.tableAddress}`),
    [
      ...['PML4E 0x100000', 'PDPTE 0x101000', 'PDE 0x102000', 'PTE 0x103000'].map((x) => `nested ${x}`),
      'guest PML4E 0x1000',
      ...['PML4E 0x100000', 'PDPTE 0x101000', 'PDE 0x102000', 'PTE 0x103000'].map((x) => `nested ${x}`),
      'guest PDPTE 0x2000',
      ...['PML4E 0x100000', 'PDPTE 0x101000', 'PDE 0x102000', 'PTE 0x103000'].map((x) => `nested ${x}`),
      'guest PDE 0x3000',
      ...['PML4E 0x100000', 'PDPTE 0x101000', 'PDE 0x102000', 'PTE 0x103000'].map((x) => `nested ${x}`),
    ],
  );
  const pattern = await physical.read(0x807000n, 16);
  assert.equal(new TextDecoder().decode(pattern), 'HVDBG-L2-PATTERN');

  // An L2 address whose guest-physical page the NPT does not map: a nested fault, named.
  const l2map = await s.memoryMap({ rootId: 'kvm0.vcpu0.guest' });
  assert.deepEqual(
    l2map.ranges.map((r) => [r.virtualStart, r.virtualEnd, r.physicalStart]),
    [['0x0', '0x1fffff', '0x0']],
  );
  const unmapped = await s.translate('0x20000', 'kvm0.vcpu0.guest');
  assert.equal(unmapped.ok, false);
  assert.match(unmapped.fault ?? '', /guest-physical 0x20000: nested page fault: not present at PTE/);
});

void test('nested: an NPT entry with U/S=0 is a nested page fault; an unmapped L2 table is named', async () => {
  const image = nestedImage().set(0x103000n, 7, 0x807000n | P | RW);
  image.page(0x805000n);
  const { service: s } = service(image.memory, [vcpu(0x1000n)], {
    vcpus: [kvmVcpu(0x100000n, 0x5000n)],
    problems: [],
  });
  const t = await s.translate('0x7000', 'kvm0.vcpu0.npt');
  assert.equal(t.ok, false);
  assert.match(t.fault ?? '', /U\/S=0 at PTE/);
  const pt = await s.children('kvm0.vcpu0.npt/3/103000/0');
  assert.match(pt.entries[7]?.problem ?? '', /U\/S=0/);
  // The L2 CR3 (0x5000) is mapped by the NPT to 0x805000, an empty page: not present at the PML4E.
  const l2 = await s.translate('0x0', 'kvm0.vcpu0.guest');
  assert.equal(l2.fault, 'not present at PML4E');
  const far = service(image.memory, [vcpu(0x1000n)], {
    vcpus: [kvmVcpu(0x100000n, 0x40000000n)],
    problems: [],
  }).service;
  const f = await far.translate('0x0', 'kvm0.vcpu0.guest');
  assert.match(f.fault ?? '', /guest-physical 0x40000000 is not mapped by the nested page table/);
  assert.equal(f.steps.at(-1)?.stage, 'nested');
});

void test('roots: kvm guests without nested paging are named, LONG context used for the NPT', async () => {
  const k = { ...kvmVcpu(0x100000n, 0x1000n), nestedPaging: false };
  const { service: s } = service(linuxLike().memory, [vcpu(0x1000n, { efer: LONG.efer })], {
    vcpus: [k],
    problems: [],
  });
  const r = await s.roots();
  assert.equal(r.roots.length, 1);
  assert.match(r.problems[0] ?? '', /nested paging is off/);
});
