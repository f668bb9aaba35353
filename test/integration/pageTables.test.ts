/**
 * The page-table service against the real lab: a Debian kernel in QEMU (TCG) with 4-level and with
 * 5-level paging, kvm_amd running the lab's L2 guest. QEMU's own `info tlb` / `info mem` are the
 * oracle for the guest's tables (through the same session's Debug Console); the L2 guest's known
 * pattern and counter, read through the translated address, are the oracle for the nested tables.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../lab/lab';
import type { BodyOf } from '../../adapter/protocol/customRequests';
import type {
  memoryMapRequest,
  pageTableRootsRequest,
  translateRequest,
} from '../../adapter/protocol/pagingRequests';
import { attach, labAttachConfig, repl, request, startClient, stopAfter, topFrame } from './support/session';

type MapBody = BodyOf<typeof memoryMapRequest> & { ranges: { entryFlags?: string }[] };
type TranslateBody = BodyOf<typeof translateRequest>;

const pad = (hex: string): string => hex.replace(/^0x/, '').padStart(16, '0');

/** `info tlb` lines (`addr: phys XGPDACTUW`) as a set of normalised strings. */
function infoTlb(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{16}: [0-9a-f]{16} [-XGPDACTUW]{9}$/.test(l));
}

/** Our leaves in `info tlb`'s format (QEMU prints bit 7 as `P`: PS, or PAT in a PTE). */
function ourTlb(map: MapBody): string[] {
  return map.ranges.map((r, i) => {
    const flags = new Set((map.ranges[i]?.entryFlags ?? '').split(' '));
    const letter = (name: string, c: string): string => (flags.has(name) ? c : '-');
    const p = flags.has('PS') || (r.pageSize === 4096 && flags.has('PAT')) ? 'P' : '-';
    return `${pad(r.virtualStart)}: ${pad(r.physicalStart)} ${letter('XD', 'X')}${letter('G', 'G')}${p}${letter('D', 'D')}${letter('A', 'A')}${letter('PCD', 'C')}${letter('PWT', 'T')}${letter('US', 'U')}${letter('RW', 'W')}`;
  });
}

/** `info mem` lines: `start-end size prot`. */
function infoMem(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{16}-[0-9a-f]{16} [0-9a-f]{16} [-u]r[-w]$/.test(l));
}

function ourMem(map: MapBody): string[] {
  return map.ranges.map((r) => {
    const end = BigInt.asUintN(64, BigInt(r.virtualEnd) + 1n);
    return `${pad(r.virtualStart)}-${pad(`0x${end.toString(16)}`)} ${pad(r.size)} ${r.flags}`;
  });
}

function firstDifference(a: string[], b: string[]): string {
  const i = a.findIndex((x, k) => x !== b[k]);
  const at = i < 0 ? Math.min(a.length, b.length) : i;
  return `${a.length} vs ${b.length} lines; first difference at ${at}: ${a[at] ?? '(none)'} | ${b[at] ?? '(none)'}`;
}

interface Session {
  lab: Lab;
  dc: DebugClient;
  /** The vCPU stopped in kvm_emulate_hypercall (its CR3 is the VMM process's). */
  hypercall: DebugProtocol.StoppedEvent;
}

async function open(la57: boolean): Promise<Session> {
  const lab = await bootLab({ kvm: true, la57 });
  await lab.console.waitFor(/HVDBG-HC .*nr=/, 180_000);
  const dc = await startClient(120_000);
  await attach(dc, labAttachConfig(lab));
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kvm_emulate_hypercall' }] });
  const hypercall = await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
  return { lab, dc, hypercall };
}

async function memoryMap(dc: DebugClient, args: object): Promise<MapBody> {
  return (await dc.customRequest('hvdbg/memoryMap', args)).body as MapBody;
}

async function translate(dc: DebugClient, args: object): Promise<TranslateBody> {
  return (await dc.customRequest('hvdbg/translate', args)).body as TranslateBody;
}

/** The vCPU index QEMU's monitor knows a thread by (`vCPU n`). */
async function vcpuIndex(dc: DebugClient, threadId: number): Promise<number> {
  const thread = (await dc.threadsRequest()).body.threads.find((t) => t.id === threadId);
  const m = /vCPU (\d+)/.exec(thread?.name ?? '');
  assert.ok(m?.[1] !== undefined, `thread ${threadId} is not a vCPU`);
  return Number(m[1]);
}

/** Every vCPU's leaves equal `info tlb` for that vCPU (its own CR3). Returns the lines compared. */
async function compareEveryVcpu(dc: DebugClient): Promise<{ threadId: number; leaves: number }[]> {
  const out: { threadId: number; leaves: number }[] = [];
  for (const thread of (await dc.threadsRequest()).body.threads) {
    await repl(dc, `monitor cpu ${await vcpuIndex(dc, thread.id)}`);
    const qemu = infoTlb(await repl(dc, 'monitor info tlb'));
    const map = await memoryMap(dc, { threadId: thread.id, merge: 'none' });
    assert.deepEqual(map.problems, []);
    const ours = ourTlb(map);
    assert.ok(qemu.length > 1000, `info tlb gave ${qemu.length} lines`);
    assert.deepEqual(ours, qemu, firstDifference(ours, qemu));
    out.push({ threadId: thread.id, leaves: ours.length });
  }
  return out;
}

/** The kernel's own page table (`init_mm.pgd`, swapper_pg_dir): its physical address (__pa_symbol). */
async function kernelCr3(dc: DebugClient): Promise<bigint> {
  const text = await repl(
    dc,
    'print/x (unsigned long)init_mm.pgd - 0xffffffff80000000 + *(unsigned long *)&phys_base',
  );
  const m = /= (0x[0-9a-f]+)/.exec(text);
  assert.ok(m?.[1] !== undefined, text);
  return BigInt(m[1]);
}

async function checkNested(s: Session): Promise<void> {
  const { dc } = s;
  const roots = (await dc.customRequest('hvdbg/pageTableRoots', {})).body as BodyOf<
    typeof pageTableRootsRequest
  >;
  const npt = roots.roots.find((r) => r.mode === 'npt');
  const l2 = roots.roots.find((r) => r.kind === 'nested' && r.mode === '4-level');
  assert.ok(npt !== undefined && l2 !== undefined, JSON.stringify(roots));
  assert.deepEqual(roots.problems, []);
  // The L2 guest's pattern at guest-physical 0x7000, through the NPT.
  const t = await translate(dc, { rootId: npt.id, address: '0x7000' });
  assert.equal(t.ok, true, t.fault);
  assert.ok(t.steps.every((x) => x.stage === 'nested'));
  assert.equal(t.physicalMemoryReference, `phys:${t.physical ?? ''}`);
  const read = async (reference: string, count: number): Promise<Buffer> => {
    const r = await request<DebugProtocol.ReadMemoryResponse>(dc, 'readMemory', {
      memoryReference: reference,
      count,
    });
    return Buffer.from(r.body?.data ?? '', 'base64');
  };
  const bytes = await read(t.physicalMemoryReference ?? '', 24);
  assert.equal(bytes.subarray(0, 16).toString('latin1'), 'HVDBG-L2-PATTERN');
  const before = bytes.readBigUInt64LE(16);
  // The same address through the L2 guest's own tables (2-D walk): same L1-physical byte.
  const twoD = await translate(dc, { rootId: l2.id, address: '0x7010' });
  assert.equal(twoD.ok, true, twoD.fault);
  assert.equal(BigInt(twoD.physical ?? '0'), BigInt(t.physical ?? '0') + 0x10n);
  assert.ok(twoD.steps.some((x) => x.stage === 'guest') && twoD.steps.some((x) => x.stage === 'nested'));
  // The counter moves: the guest increments it once a round (three hypercalls).
  for (let i = 0; i < 4; i++) await stopAfter(dc, () => dc.continueRequest({ threadId: 0 }));
  const again = await translate(dc, { rootId: npt.id, address: '0x7010' });
  const after = (await read(again.physicalMemoryReference ?? '', 8)).readBigUInt64LE(0);
  assert.ok(after > before, `the counter did not move: ${before} then ${after}`);
  // The NPT map: the pages the L2 guest touched (tables, code, pattern, stack).
  const map = await memoryMap(dc, { rootId: npt.id });
  assert.ok(map.ranges.some((r) => BigInt(r.virtualStart) <= 0x7000n && BigInt(r.virtualEnd) >= 0x7fffn));
}

describe('page tables: 4-level lab', { timeout: 900_000 }, () => {
  let s: Session;

  before(async () => {
    s = await open(false);
  });

  after(async () => {
    await s?.dc.stop();
    await s?.lab.stop();
  });

  test("every vCPU: leaves equal QEMU's info tlb, QEMU-merged ranges equal info mem", async () => {
    const { dc } = s;
    const compared = await compareEveryVcpu(dc);
    assert.ok(compared.some((c) => c.threadId === s.hypercall.body.threadId));
    for (const thread of (await dc.threadsRequest()).body.threads) {
      await repl(dc, `monitor cpu ${await vcpuIndex(dc, thread.id)}`);
      const qemu = infoMem(await repl(dc, 'monitor info mem'));
      const ours = ourMem(await memoryMap(dc, { threadId: thread.id, merge: 'qemu' }));
      assert.deepEqual(ours, qemu, firstDifference(ours, qemu));
    }
  });

  test('a user process CR3: the VMM in KVM_RUN has its program mapped user, read-only, executable', async () => {
    const threadId = s.hypercall.body.threadId;
    const map = await memoryMap(s.dc, { threadId, to: '0x7fffffffffff' });
    // kvm-hypercall is a static non-PIE binary at 0x400000.
    const text = map.ranges.find((r) => BigInt(r.virtualStart) >= 0x400000n && r.flags === 'ur-x');
    assert.ok(text !== undefined, JSON.stringify(map.ranges.slice(0, 5)));
    assert.ok(map.ranges.every((r) => r.flags.startsWith('u')));
    const writable = await memoryMap(s.dc, { threadId, to: '0x7fffffffffff', permissions: 'w' });
    assert.ok(writable.ranges.length > 0 && writable.ranges.every((r) => r.flags[2] === 'w'));
  });

  test('the kernel CR3 (init_top_pgt): leaves equal info tlb with that CR3 loaded', async () => {
    const { dc } = s;
    const cr3 = await kernelCr3(dc);
    const threads = (await dc.threadsRequest()).body.threads;
    const other = threads.find((t) => t.id !== s.hypercall.body.threadId) ?? threads[0];
    assert.ok(other !== undefined);
    const frame = await topFrame(dc, other.id);
    const saved = (await repl(dc, 'print/x (long)$cr3', frame.id)).replace(/^.*= /, '').trim();
    // QEMU describes CR3 as a flags type: gdb assigns it only from a cast integer.
    await repl(dc, `set var $cr3 = (long)0x${cr3.toString(16)}`, frame.id);
    try {
      await repl(dc, `monitor cpu ${await vcpuIndex(dc, other.id)}`);
      const qemu = infoTlb(await repl(dc, 'monitor info tlb'));
      const map = await memoryMap(dc, { rootId: `cr3:${cr3.toString(16)}@${other.id}`, merge: 'none' });
      const ours = ourTlb(map);
      assert.ok(ours.length > 1000);
      assert.ok(
        ours.every((l) => l.startsWith('ffff')),
        'the kernel page table maps only the upper half',
      );
      assert.deepEqual(ours, qemu, firstDifference(ours, qemu));
    } finally {
      await repl(dc, `set var $cr3 = (long)${saved}`, frame.id);
    }
    assert.equal((await repl(dc, 'print/x (long)$cr3', frame.id)).replace(/^.*= /, '').trim(), saved);
  });

  test('hv pt and hv translate in the Debug Console; bad input is named, the session goes on', async () => {
    const { dc } = s;
    const pt = await repl(dc, 'hv pt ffffffff80000000-ffffffffffffffff x');
    assert.match(pt, /^ffffffff81000000-[0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{16} -r-x +2M$/m);
    assert.match(pt, /\d+ ranges; \d+ leaves, \d+ tables, \d+ packets, \d+ bytes/);
    const text = await repl(dc, 'hv translate 0xffffffff81000000');
    assert.match(text, /^0xffffffff81000000 -> 0x1000000 \(2M page, -r-x\)  phys:0x1000000$/m);
    assert.match(text, /PML4E\[511\]/);
    const nonCanonical = await repl(dc, 'hv translate 0x8000000000000000');
    assert.equal(
      nonCanonical,
      '0x8000000000000000 does not translate: non-canonical address (48-bit linear addresses)',
    );
    const unmapped = await repl(dc, 'hv translate 0x1000');
    assert.match(unmapped, /^0x1000 does not translate: not present at (PML4E|PDPTE|PDE|PTE)$/m);
    const outside = await repl(dc, 'hv pt cr3=0x7fff0000000');
    assert.match(outside, /problem: .*cannot read the table holding the PML4E at 0x7fff0000000/);
    const outsideTranslate = await translate(dc, {
      address: '0xffffffff81000000',
      rootId: `cr3:7fff0000000@${s.hypercall.body.threadId}`,
    });
    assert.equal(outsideTranslate.ok, false);
    assert.match(outsideTranslate.fault ?? '', /not guest RAM or ROM/);
    // Still a working session.
    assert.ok((await dc.threadsRequest()).body.threads.length > 0);
  });

  test('the L2 guest: its pattern through the NPT, its counter moving, the 2-D walk', async () => {
    await checkNested(s);
  });
});

describe('page tables: 5-level lab (LA57)', { timeout: 900_000 }, () => {
  let s: Session;

  before(async () => {
    s = await open(true);
  });

  after(async () => {
    await s?.dc.stop();
    await s?.lab.stop();
  });

  test("every vCPU: leaves equal QEMU's info tlb (info mem is broken under LA57 in QEMU 7.2)", async () => {
    const roots = (await s.dc.customRequest('hvdbg/pageTableRoots', {})).body as BodyOf<
      typeof pageTableRootsRequest
    >;
    assert.ok(roots.roots.filter((r) => r.kind === 'guest').every((r) => r.mode === '5-level'));
    await compareEveryVcpu(s.dc);
    const text = await repl(s.dc, 'hv translate 0x0100000000000000');
    assert.match(text, /non-canonical address \(57-bit linear addresses\)/);
  });

  test('the L2 guest through a 5-level NPT', async () => {
    await checkNested(s);
  });
});
