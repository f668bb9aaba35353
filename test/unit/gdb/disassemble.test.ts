/**
 * The Disassembly view's requests replayed over real gdb 13 answers (test/fixtures/mi/disassemble.json,
 * recorded by test/lab/miCases.ts on the lab's vmlinux and kvm.ko): every row equals gdb's own `x/Ni`
 * (address, symbol, instruction text); `??` only where memory cannot be read.
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

async function replay(
  c: DisassemblyFixture['cases'][number],
): Promise<DebugProtocol.DisassembledInstruction[]> {
  const gdb = new ReplayGdb(c.transcript);
  const rows = await disassembleAround(
    (start, end) => disassemble(gdb, start, end),
    BigInt(c.target),
    c.instructionOffset,
    c.instructionCount,
    () => undefined,
  );
  assert.equal(gdb.unused, 0, `${c.name}: commands of the transcript were not sent`);
  return rows;
}

test('the fixture holds the shapes that broke the view (a group without a line, a module, an error)', () => {
  const results = fixture.cases.flatMap((c) => c.transcript.map((t) => t.result));
  assert.ok(
    results.some((r) => r.includes('src_and_asm_line={line_asm_insn=[')),
    'a group without line',
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
  });
}

test('a source group without a line (padding) gives instructions without a line; groups give theirs', () => {
  const c = fixture.cases[0];
  assert.ok(c?.transcript[0]);
  const insns = parseDisassembly(resultOf(c.transcript[0].command, c.transcript[0].result));
  const padding = insns.filter((i) => i.text === 'int3' && i.func === undefined);
  assert.ok(padding.length > 0 && padding.every((i) => i.line === undefined && i.file === undefined));
  const pc = insns.find((i) => i.address === BigInt(c.target));
  assert.equal(pc?.func, 'native_safe_halt');
  assert.equal(pc?.line, 52);
  assert.match(pc?.file ?? '', /irqflags\.h$/);
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
    { command: '-data-disassemble -s 0x1000 -e 0x10ff -- 5', result: '^error,msg="No registers."' },
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
