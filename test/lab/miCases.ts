/**
 * The disassembly cases recorded from real gdb (test/lab/miRecorder.ts): the Disassembly view's requests
 * at places whose MI answers take every shape gdb 13 gives — vmlinux lines inlined from headers, the `int3`
 * padding between functions (no line), a module, backwards from the PC, VS Code's first request, a gdb
 * without Python, unreadable memory — each with gdb's own `x/Ni` text and `info line *ADDR` for every row
 * as the oracles.
 */
import { GdbCommandError } from '../../adapter/gdb/errors';
import type { MiPort } from '../../adapter/gdb/backend';
import { DEFINE_LINES_COMMAND, disassemble, LINES_COMMAND } from '../../adapter/gdb/mi/data';
import { disassembleAround } from '../../adapter/debugger/disassembly';
import { fixturePath, resultOf, labRecorder, KVM_TEXT, type MiExchange, type MiRecorder } from './miRecorder';
import { writeFileSync } from 'node:fs';
import { prepareLab, type LabManifest } from './lab';

export interface DisassemblyCase {
  readonly name: string;
  /** A symbol expression (`native_safe_halt+11`) or an address. */
  readonly where: string;
  readonly target: string;
  readonly instructionOffset: number;
  readonly instructionCount: number;
  /** What the adapter sent and gdb answered, in order. */
  readonly transcript: MiExchange[];
  /** gdb's `x/Ni` from the first row's address (N = the rows that are not `??`), or '' if none. */
  readonly oracle: string;
  /** gdb's `info line *ADDR` for each row that is not `??`, in order (the CLI's own lookup). */
  readonly lines: string[];
  /** Recorded as a gdb without Python answers (the adapter's fallback: a mode 4 command per row). */
  readonly withoutPython?: boolean;
}

export interface DisassemblyFixture {
  readonly gdb: string;
  readonly kernel: string;
  readonly kvmText: string;
  readonly cases: DisassemblyCase[];
  /**
   * Why the adapter does not use mode 5 (/s): gdb 13's answer from the backward window's start of the
   * "10 back" case (the PC − 150), which files every instruction from 0xffffffff81a179e2 on under
   * preempt.h:61 (see `disassemble` in adapter/gdb/mi/data.ts).
   */
  readonly mode5: MiExchange;
}

/** The mode 5 request whose answer shows gdb 13's wrong groups (native_safe_halt+11 − 150 on). */
export const MODE5_EVIDENCE = '-data-disassemble -s 0xffffffff81a17975 -e 0xffffffff81a17a50 -- 5';

const CASES: readonly Omit<DisassemblyCase, 'target' | 'transcript' | 'oracle' | 'lines'>[] = [
  {
    name: 'vmlinux, forward from the idle PC',
    where: 'native_safe_halt+11',
    instructionOffset: 0,
    instructionCount: 20,
  },
  {
    name: 'vmlinux, 10 back to the idle PC',
    where: 'native_safe_halt+11',
    instructionOffset: -10,
    instructionCount: 11,
  },
  {
    name: 'vmlinux, the view around the PC',
    where: 'native_safe_halt+11',
    instructionOffset: -30,
    instructionCount: 60,
  },
  {
    name: "vmlinux, VS Code's first request at the idle PC",
    where: 'native_safe_halt+11',
    instructionOffset: -200,
    instructionCount: 400,
  },
  {
    name: 'vmlinux, 10 back to the idle PC, gdb without Python',
    where: 'native_safe_halt+11',
    instructionOffset: -10,
    instructionCount: 11,
    withoutPython: true,
  },
  {
    name: 'vmlinux, serial8250_tx_chars',
    where: 'serial8250_tx_chars+223',
    instructionOffset: 0,
    instructionCount: 20,
  },
  { name: 'kvm.ko, forward', where: 'kvm_emulate_hypercall', instructionOffset: 0, instructionCount: 20 },
  {
    name: 'kvm.ko, 10 back',
    where: 'kvm_emulate_hypercall+18',
    instructionOffset: -10,
    instructionCount: 11,
  },
  { name: 'unreadable', where: '0xffffffffc0100000', instructionOffset: 0, instructionCount: 5 },
];

/** A gdb without Python, as the adapter meets it: its answers to the two commands that need Python. */
const NO_PYTHON: Readonly<Record<string, string>> = {
  [LINES_COMMAND]: `Undefined MI command: ${LINES_COMMAND.slice(1)}`,
  [DEFINE_LINES_COMMAND]: 'Python scripting is not supported in this copy of GDB.',
};

/** The recorder, answering (and recording) the Python commands as a gdb without Python does. */
function withoutPython(gdb: MiRecorder): MiPort {
  return {
    mi: (command) => {
      const key = command.startsWith(`${LINES_COMMAND} `) ? LINES_COMMAND : command;
      const message = NO_PYTHON[key];
      if (message === undefined) return gdb.mi(command);
      gdb.exchanges.push({ command, result: `^error,msg="${message}"` });
      return Promise.reject(new GdbCommandError(command, message));
    },
  };
}

/** gdb's `info line *ADDR` for each address (one console line each, e.g. `Line 52 of "…" starts at …`). */
async function infoLines(gdb: MiRecorder, addresses: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const address of addresses) out.push((await gdb.cli(`info line *${address}`)).trim());
  return out;
}

/** Records one case: the adapter's traffic for its request, then the oracles. */
async function recordCase(gdb: MiRecorder, c: (typeof CASES)[number]): Promise<DisassemblyCase> {
  const value = resultOf('', await gdb.raw(`-data-evaluate-expression "(unsigned long)(${c.where})"`))[
    'value'
  ];
  if (typeof value !== 'string') throw new Error(`no address for ${c.where}`);
  const target = BigInt(value);
  gdb.exchanges.length = 0;
  const port = c.withoutPython === true ? withoutPython(gdb) : gdb;
  const rows = await disassembleAround(
    (start, end) => disassemble(port, start, end),
    target,
    c.instructionOffset,
    c.instructionCount,
    () => undefined,
  );
  const transcript = [...gdb.exchanges];
  const valid = rows.filter((r) => r.presentationHint !== 'invalid');
  const first = valid[0];
  const oracle = first === undefined ? '' : await gdb.cli(`x/${valid.length}i ${first.address}`);
  const lines = await infoLines(
    gdb,
    valid.map((r) => r.address),
  );
  return { ...c, target: `0x${target.toString(16)}`, transcript, oracle, lines };
}

/** Records every case against real gdb on the lab's ELF files. */
export async function recordDisassemblyCases(manifest: LabManifest): Promise<DisassemblyFixture> {
  const gdb = await labRecorder(manifest);
  try {
    const version = (await gdb.cli('show version')).split('\n')[0] ?? '';
    const cases: DisassemblyCase[] = [];
    for (const c of CASES) cases.push(await recordCase(gdb, c));
    const mode5 = { command: MODE5_EVIDENCE, result: await gdb.raw(MODE5_EVIDENCE) };
    return {
      gdb: version,
      kernel: manifest.kernelVersion,
      kvmText: `0x${KVM_TEXT.toString(16)}`,
      cases,
      mode5,
    };
  } finally {
    await gdb.close();
  }
}

if (require.main === module) {
  void (async () => {
    const fixture = await recordDisassemblyCases(await prepareLab());
    const file = fixturePath('disassemble.json');
    writeFileSync(file, `${JSON.stringify(fixture, null, 1)}\n`);
    process.stdout.write(`wrote ${fixture.cases.length} cases to ${file}\n`);
  })();
}
