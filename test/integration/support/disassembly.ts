/**
 * The Disassembly view's checks against gdb's own `x/Ni` at the same stop: what the user reads (address,
 * symbol, instruction text), 20 instructions forward from the PC and 10 back to it, with no `??` inside
 * readable text.
 */
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { repl } from './session';

interface Row {
  address: bigint;
  symbol: string | undefined;
  text: string;
}

/** gdb's `x/i` lines (`=> 0x… <func+off>:\ttext`), with `<func>` written `func+0` as DAP symbols are. */
export function parseXi(text: string): Row[] {
  return [...text.matchAll(/^(?:=>)?\s*(0x[0-9a-f]+)(?: <([^>]+)>)?:\t(.*)$/gm)].map((m) => ({
    address: BigInt(m[1] ?? '0'),
    symbol: m[2] === undefined ? undefined : m[2].includes('+') ? m[2] : `${m[2]}+0`,
    text: m[3] ?? '',
  }));
}

function rowsOf(instructions: DebugProtocol.DisassembledInstruction[]): Row[] {
  return instructions.map((i) => ({ address: BigInt(i.address), symbol: i.symbol, text: i.instruction }));
}

/** Asserts the DAP disassembly around `pc` equals gdb's x/i there; returns the forward rows. */
export async function assertDisassemblyMatchesGdb(
  dc: DebugClient,
  pc: string,
): Promise<DebugProtocol.DisassembledInstruction[]> {
  const forward =
    (await dc.disassembleRequest({ memoryReference: pc, instructionCount: 20, resolveSymbols: true })).body
      ?.instructions ?? [];
  assert.equal(forward.length, 20);
  assert.ok(
    forward.every((i) => i.instruction !== '??'),
    `?? in readable text at ${pc}: ${JSON.stringify(forward.slice(0, 3))}`,
  );
  assert.deepEqual(rowsOf(forward), parseXi(await repl(dc, `x/20i ${pc}`)));

  const back =
    (
      await dc.disassembleRequest({
        memoryReference: pc,
        instructionOffset: -10,
        instructionCount: 11,
        resolveSymbols: true,
      })
    ).body?.instructions ?? [];
  assert.equal(back.length, 11);
  assert.equal(BigInt(back[10]?.address ?? '0'), BigInt(pc), '10 instructions back end at the PC');
  assert.ok(
    back.every((i) => i.instruction !== '??'),
    `?? before ${pc}`,
  );
  // gdb decoding from the first row's address passes through the same instructions to the PC.
  assert.deepEqual(rowsOf(back), parseXi(await repl(dc, `x/11i ${back[0]?.address ?? pc}`)));
  // VS Code's first request: a window around the PC in both directions.
  const view =
    (
      await dc.disassembleRequest({
        memoryReference: pc,
        offset: 0,
        instructionOffset: -50,
        instructionCount: 100,
        resolveSymbols: true,
      })
    ).body?.instructions ?? [];
  assert.equal(view.length, 100);
  assert.equal(BigInt(view[50]?.address ?? '0'), BigInt(pc));
  assert.ok(
    view.every((i) => i.instruction !== '??'),
    `?? in the view around ${pc}`,
  );
  assert.ok(
    view.some((i) => i.line !== undefined && i.location?.path !== undefined),
    'source lines',
  );
  return forward;
}
