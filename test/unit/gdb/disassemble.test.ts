/**
 * The Disassembly view's requests replayed over real gdb 13 answers (test/fixtures/mi/disassemble.json,
 * recorded by test/lab/miCases.ts on the lab's vmlinux and kvm.ko): every row equals gdb's own `x/Ni`
 * (address, symbol, instruction text) and carries gdb's `info line *ADDR` where the line changes (the
 * rows after it, on the same line, carry none); `??` only where memory cannot be read.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { disassemble, parseDisassembly } from '../../../adapter/gdb/mi/data';
import { disassembleAround, rowsOf } from '../../../adapter/debugger/disassembly';
import { fixturePath, resultOf } from '../../lab/miRecorder';
import type { DisassemblyFixture } from '../../lab/miCases';
import { ReplayGdb } from '../support/replayGdb';

const fixture = JSON.parse(readFileSync(fixturePath('disassemble.json'), 'utf8')) as DisassemblyFixture;

/** gdb's `x/i` lines: `=> 0xffffffff81a17a0b <native_safe_halt+11>:\tjmp …` → address, symbol, text. */
function parseX(text: string): { address: bigint; symbol: string | undefined; text: string }[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const m = /^(?:=>)?\s*(0x[0-9a-f]+)(?: <([^>]+)>)?:\t(.*)$/.exec(line);
      assert.ok(m?.[1] !== undefined && m[3] !== undefined, `not an x/i line: ${line}`);
      const symbol = m[2] === undefined ? undefined : m[2].includes('+') ? m[2] : `${m[2]}+0`;
      return { address: BigInt(m[1]), symbol, text: m[3] };
    });
}

/** `info line *ADDR`: `Line 52 of "arch/x86/include/asm/irqflags.h" starts at …` → that file:line; else none. */
function parseInfoLine(text: string): string | undefined {
  if (text.startsWith('No line number information')) return undefined;
  const m = /^Line (\d+) of "([^"]+)"/.exec(text);
  assert.ok(m?.[1] !== undefined && m[2] !== undefined, `not an info line answer: ${text}`);
  return `${m[2]}:${m[1]}`;
}

/** The Source of a row names gdb's `file` (as `info line` prints it). */
function toSource(file: string | undefined): DebugProtocol.Source | undefined {
  return file === undefined ? undefined : { name: file };
}

async function replay(
  c: DisassemblyFixture['cases'][number],
): Promise<DebugProtocol.DisassembledInstruction[]> {
  const gdb = new ReplayGdb(c.transcript);
  const rows = await disassembleAround(
    (start, end) => disassemble(gdb, start, end),
    BigInt(c.target),
    c.instructionOffset,
    c.instructionCount,
    toSource,
  );
  assert.equal(gdb.unused, 0, `${c.name}: commands of the transcript were not sent`);
  return rows;
}

test('the fixture holds the shapes that broke the view (padding, a module, no Python, an error)', () => {
  const results = fixture.cases.flatMap((c) => c.transcript.map((t) => t.result));
  assert.ok(
    fixture.cases.some((c) => c.lines.some((l) => l.startsWith('No line number information'))),
    'rows without a line',
  );
  assert.ok(
    results.some((r) => r.includes('^error,msg="Undefined MI command: hvdbg-source-lines"')),
    'the lines command defined on first use',
  );
  assert.ok(
    fixture.cases.some((c) => c.withoutPython === true),
    'a gdb without Python',
  );
  assert.ok(
    results.some((r) => r.includes('^error,msg="Cannot access memory')),
    'an unreadable range',
  );
  assert.ok(
    fixture.cases.some((c) => c.name.startsWith('kvm.ko')),
    'a module',
  );
});

for (const c of fixture.cases) {
  test(`disassemble: ${c.name} (${c.where}, offset ${c.instructionOffset}, ${c.instructionCount})`, async () => {
    const rows = await replay(c);
    assert.equal(rows.length, c.instructionCount);
    if (c.name === 'unreadable') {
      assert.ok(rows.every((r) => r.instruction === '??' && r.presentationHint === 'invalid'));
      assert.deepEqual(
        rows.map((r) => BigInt(r.address)),
        rows.map((_, i) => BigInt(c.target) + BigInt(i)),
      );
      return;
    }
    assert.ok(
      rows.every((r) => r.instruction !== '??'),
      `no ?? in readable text: ${rows.filter((r) => r.instruction === '??').length} rows`,
    );
    const oracle = parseX(c.oracle);
    assert.deepEqual(
      rows.map((r) => ({ address: BigInt(r.address), symbol: r.symbol, text: r.instruction })),
      oracle,
    );
    // The row at the request's own address is the target, whichever way the view scrolled.
    assert.equal(BigInt(rows[-c.instructionOffset]?.address ?? '0'), BigInt(c.target));
    assertLines(rows, c.lines.map(parseInfoLine));
  });
}

/**
 * Each row's line is gdb's `info line` for its address: a row carries `line` (and its file) exactly where
 * that differs from the previous row's, and a row on the previous row's line carries none.
 */
function assertLines(
  rows: readonly DebugProtocol.DisassembledInstruction[],
  expected: readonly (string | undefined)[],
): void {
  assert.equal(rows.length, expected.length, 'an info line answer per row');
  rows.forEach((row, i) => {
    const want = expected[i];
    const changes = want !== undefined && (i === 0 || expected[i - 1] !== want);
    const shown = row.line === undefined ? undefined : `${row.location?.name ?? '?'}:${row.line}`;
    assert.equal(shown, changes ? want : undefined, `row ${i} at ${row.address} (${row.symbol ?? ''})`);
  });
}

test("gdb 13's mode 5 files the PC's lines under preempt.h:61 when it starts mid-function (why mode 2)", () => {
  const insns = parseDisassembly(resultOf(fixture.mode5.command, fixture.mode5.result));
  const sti = insns.find((i) => i.func === 'native_safe_halt' && i.offset === 9);
  assert.equal(sti?.text, 'sti');
  assert.equal(`${sti.file ?? ''}:${sti.line ?? ''}`, 'arch/x86/include/asm/preempt.h:61');
  const c = fixture.cases.find((k) => k.name === 'vmlinux, 10 back to the idle PC');
  assert.ok(c !== undefined);
  const lines = c.lines.map(parseInfoLine);
  assert.ok(lines.includes('arch/x86/include/asm/irqflags.h:51'), 'info line: sti and hlt are irqflags.h:51');
});

test('the int3 padding between functions has no line; the idle PC has irqflags.h:52', async () => {
  const c = fixture.cases.find((k) => k.name === 'vmlinux, the view around the PC');
  assert.ok(c !== undefined);
  const rows = await replay(c);
  const padding = rows.filter((r) => r.instruction === 'int3' && r.symbol === undefined);
  assert.ok(padding.length > 0 && padding.every((r) => r.line === undefined && r.location === undefined));
  const pc = rows[-c.instructionOffset];
  assert.equal(pc?.symbol, 'native_safe_halt+11');
  assert.equal(pc.line, 52);
  assert.match(pc.location?.name ?? '', /irqflags\.h$/);
});

test('rows past the end of what could be read continue from the last instruction, one byte each', () => {
  const listing = [
    {
      address: 0x1000n,
      func: 'f',
      offset: 0,
      text: 'nop',
      opcodes: '90',
      file: undefined,
      fullname: undefined,
      line: undefined,
    },
    {
      address: 0x1001n,
      func: 'f',
      offset: 1,
      text: 'ret',
      opcodes: 'c3',
      file: undefined,
      fullname: undefined,
      line: undefined,
    },
  ];
  const rows = rowsOf({ listing, at: 1 }, 0x1001n, -2, 5, () => undefined);
  assert.deepEqual(
    rows.map((r) => `${r.address} ${r.instruction}`),
    ['0xfff ??', '0x1000 nop', '0x1001 ret', '0x1002 ??', '0x1003 ??'],
  );
});

test('an error other than unreadable memory is an error, not a listing of ??', async () => {
  const gdb = new ReplayGdb([
    { command: '-data-disassemble -s 0x1000 -e 0x106f -- 2', result: '^error,msg="No registers."' },
  ]);
  await assert.rejects(
    disassembleAround(
      (s, e) => disassemble(gdb, s, e),
      0x1000n,
      0,
      16,
      () => undefined,
    ),
    /No registers/,
  );
});
