/**
 * The disassembly cases recorded from real gdb (test/lab/miRecorder.ts): the Disassembly view's requests
 * at places whose MI answers take every shape gdb 13 gives — vmlinux source groups, the `int3` padding
 * between functions (a group without a line), a module, backwards from the PC, unreadable memory — each
 * with gdb's own `x/Ni` text as the oracle.
 */
import { disassemble } from '../../adapter/gdb/mi/data';
import { disassembleAround } from '../../adapter/debugger/disassembly';
import { fixturePath, resultOf, labRecorder, KVM_TEXT, type MiExchange } from './miRecorder';
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
}

export interface DisassemblyFixture {
  readonly gdb: string;
  readonly kernel: string;
  readonly kvmText: string;
  readonly cases: DisassemblyCase[];
}

const CASES: readonly Omit<DisassemblyCase, 'target' | 'transcript' | 'oracle'>[] = [
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

/** Records every case against real gdb on the lab's ELF files. */
export async function recordDisassemblyCases(manifest: LabManifest): Promise<DisassemblyFixture> {
  const gdb = await labRecorder(manifest);
  try {
    const version = (await gdb.cli('show version')).split('\n')[0] ?? '';
    const cases: DisassemblyCase[] = [];
    for (const c of CASES) {
      const value = resultOf('', await gdb.raw(`-data-evaluate-expression "(unsigned long)(${c.where})"`))[
        'value'
      ];
      if (typeof value !== 'string') throw new Error(`no address for ${c.where}`);
      const target = BigInt(value);
      gdb.exchanges.length = 0;
      const rows = await disassembleAround(
        (start, end) => disassemble(gdb, start, end),
        target,
        c.instructionOffset,
        c.instructionCount,
        () => undefined,
      );
      const transcript = [...gdb.exchanges];
      const valid = rows.filter((r) => r.presentationHint !== 'invalid');
      const first = valid[0];
      const oracle = first === undefined ? '' : await gdb.cli(`x/${valid.length}i ${first.address}`);
      cases.push({ ...c, target: `0x${target.toString(16)}`, transcript, oracle });
    }
    return { gdb: version, kernel: manifest.kernelVersion, kvmText: `0x${KVM_TEXT.toString(16)}`, cases };
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
