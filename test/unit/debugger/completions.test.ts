import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { HvCommand } from '../../../adapter/debugger/console';
import { gdbLineCompletions, registerCompletions } from '../../../adapter/debugger/gdbCompletions';
import { completeHvLine, type LineCompletion } from '../../../adapter/debugger/hvCompletions';
import { completePath } from '../../../adapter/debugger/pathCompletion';
import { completeExits } from '../../../adapter/exits/complete';
import { completeKvmHypercall, hypercallCommands } from '../../../adapter/hypercalls/console';
import type { HypercallService } from '../../../adapter/hypercalls/session';
import { resolveKvmCall } from '../../../adapter/hypervisors/kvm/handler';
import type { PagingRootInfo } from '../../../adapter/protocol/pagingRequests';
import { completePageTableFilter, completeTranslateOption } from '../../../adapter/paging/complete';

/** The line a client gets by applying the item's edit. */
const apply = (line: string, c: LineCompletion): string =>
  line.slice(0, c.start) + (c.text ?? c.label) + line.slice(c.start + c.length);

const plain = (name: string, summary = name): HvCommand => ({
  name,
  usage: `hv ${name}`,
  summary,
  run: () => Promise.resolve(''),
});

// The commands as a session registers them (the hypercall ones with their real completers).
const registered = new Map<string, HvCommand>(
  [
    plain('help'),
    plain('regs'),
    plain('pvops'),
    ...hypercallCommands({} as HypercallService),
    plain('pt'),
    plain('translate'),
  ].map((c) => [c.name, c]),
);

async function complete(line: string, cursor = line.length): Promise<LineCompletion[]> {
  return [...(await completeHvLine(registered, line, cursor)).items];
}

describe('hv line completion', () => {
  test('hv br → hv break, replacing the partial word', async () => {
    const items = await complete('hv br');
    assert.deepEqual(
      items.map((c) => [c.label, c.start, c.length, c.type]),
      [['break', 3, 2, 'function']],
    );
    assert.equal(apply('hv br', items[0] as LineCompletion), 'hv break');
  });

  test('hv with a space lists every command, sorted, with its summary', async () => {
    const items = await complete('hv ');
    assert.deepEqual(
      items.map((c) => c.label),
      ['break', 'exit', 'help', 'hypercall', 'pt', 'pvops', 'regs', 'translate'],
    );
    assert.ok(items.every((c) => c.start === 3 && c.length === 0 && c.detail !== undefined));
  });

  test('leading blanks and a cursor inside the line', async () => {
    const line = '  hv hy auto';
    const items = await complete(line, 7);
    assert.deepEqual(
      items.map((c) => c.label),
      ['hypercall'],
    );
    assert.equal(apply(line, items[0] as LineCompletion), '  hv hypercall auto');
  });

  test('the first word: h offers hv but leaves the line to gdb too', async () => {
    const result = await completeHvLine(registered, 'h', 1);
    assert.equal(result.exclusive, false);
    assert.deepEqual(
      result.items.map((c) => [c.label, c.start, c.length]),
      [['hv', 0, 1]],
    );
    const gdb = await completeHvLine(registered, 'info reg', 8);
    assert.deepEqual(gdb, { exclusive: false, items: [] });
  });

  test('hv lines are hv-only, even with nothing to offer', async () => {
    assert.deepEqual(await completeHvLine(registered, 'hv regs ', 8), { exclusive: true, items: [] });
    assert.deepEqual(await completeHvLine(registered, 'hv nosuch x', 11), { exclusive: true, items: [] });
  });

  test('hv break hypercall KI → KVM_HC_KICK_CPU, which hv break hypercall accepts', async () => {
    const line = 'hv break hypercall KI';
    const items = await complete(line);
    assert.deepEqual(
      items.map((c) => c.label),
      ['KVM_HC_KICK_CPU'],
    );
    const item = items[0] as LineCompletion;
    assert.equal(item.start, 19);
    assert.equal(item.length, 2);
    assert.equal(apply(line, item), 'hv break hypercall KVM_HC_KICK_CPU');
    assert.deepEqual(resolveKvmCall(item.label), { number: 5, name: 'KVM_HC_KICK_CPU' });
  });

  test('hv break: the subcommand, then names by full or short prefix, skipping those given', async () => {
    assert.deepEqual(
      (await complete('hv break ')).map((c) => c.label),
      ['hypercall'],
    );
    assert.deepEqual(
      (await complete('hv break hypercall kvm_hc_s')).map((c) => c.label),
      ['KVM_HC_SEND_IPI', 'KVM_HC_SCHED_YIELD'],
    );
    const all = completeKvmHypercall([], '');
    assert.equal(all.length, 12);
    const rest = completeKvmHypercall(['KICK_CPU', '11', '0x1'], '');
    assert.equal(rest.length, 9);
    assert.ok(
      !rest.some((c) => ['KVM_HC_KICK_CPU', 'KVM_HC_SCHED_YIELD', 'KVM_HC_VAPIC_POLL_IRQ'].includes(c.label)),
    );
    assert.match(all[4]?.detail ?? '', /^5 \(0x5\): Wake a vCPU/);
    assert.deepEqual(await complete('hv break other '), []);
  });

  test('hv hypercall auto on|off', async () => {
    assert.deepEqual(
      (await complete('hv hypercall ')).map((c) => c.label),
      ['auto'],
    );
    assert.deepEqual(
      (await complete('hv hypercall auto ')).map((c) => c.label),
      ['on', 'off'],
    );
    assert.deepEqual(
      (await complete('hv hypercall auto o')).map((c) => c.label),
      ['on', 'off'],
    );
    assert.deepEqual(await complete('hv hypercall auto on '), []);
  });

  test('a failing completer offers nothing', async () => {
    const failing: HvCommand = {
      ...plain('bad'),
      complete: () => Promise.reject(new Error('guest running')),
    };
    const commands = new Map([['bad', failing]]);
    assert.deepEqual(await completeHvLine(commands, 'hv bad x', 8), { exclusive: true, items: [] });
  });
});

describe('hv pt and hv translate completion', () => {
  const roots: PagingRootInfo[] = [
    {
      id: 'cpu1',
      label: 'vCPU 0',
      kind: 'guest',
      threadId: 1,
      mode: '5-level',
      cr3: '0x1000',
      description: 'CR3',
    },
    {
      id: 'kvm0.vcpu0.npt',
      label: 'KVM VM 0 vCPU 0',
      kind: 'nested',
      mode: 'npt',
      cr3: '0x2000',
      description: 'nCR3',
    },
  ];
  const lister = (): Promise<readonly PagingRootInfo[]> => Promise.resolve(roots);
  const running = (): Promise<readonly PagingRootInfo[]> => Promise.reject(new Error('the guest is running'));
  const labels = async (p: Promise<{ label: string }[]>): Promise<string[]> => (await p).map((c) => c.label);

  test('filters, permissions and the roots there are', async () => {
    assert.deepEqual(await labels(completePageTableFilter(lister, [], '')), [
      '--warn',
      '--qemu',
      '--leaves',
      'w',
      'x',
      'u',
      'wx',
      'u!x',
      'root=cpu1',
      'root=kvm0.vcpu0.npt',
      'cr3=',
      'thread=1',
    ]);
    assert.deepEqual(await labels(completePageTableFilter(lister, [], 'root=k')), ['root=kvm0.vcpu0.npt']);
    assert.deepEqual(await labels(completePageTableFilter(lister, [], '--')), [
      '--warn',
      '--qemu',
      '--leaves',
    ]);
  });

  test('what is given is not offered again; --qemu and --leaves exclude each other', async () => {
    assert.deepEqual(await labels(completePageTableFilter(lister, ['--qemu', 'wx', 'root=cpu1'], '')), [
      '--warn',
      'thread=1',
    ]);
  });

  test('while the guest runs: the words without ids', async () => {
    assert.deepEqual(await labels(completePageTableFilter(running, [], 'r')), ['root=']);
    assert.deepEqual(await labels(completePageTableFilter(running, [], 't')), ['thread=']);
  });

  test('hv translate: options after the address, none for the address', async () => {
    assert.deepEqual(await labels(completeTranslateOption(lister, [], '')), []);
    assert.deepEqual(await labels(completeTranslateOption(lister, [], '0xffff')), []);
    assert.deepEqual(await labels(completeTranslateOption(lister, ['0xffffffff81000000'], 'ro')), [
      'root=cpu1',
      'root=kvm0.vcpu0.npt',
    ]);
  });
});

describe('hv exits completion', () => {
  test('last, --vcpu and file names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvdbg-complete-'));
    writeFileSync(join(dir, 'exits.kvmtrace'), '');
    writeFileSync(join(dir, '.hidden'), '');
    mkdirSync(join(dir, 'sub'));
    assert.deepEqual(
      (await completeExits([], '')).map((c) => c.label),
      ['last', '--vcpu'],
    );
    assert.deepEqual((await completeExits([], `${dir}/`)).map((c) => [c.label, c.type]).sort(), [
      [`${dir}/exits.kvmtrace`, 'file'],
      [`${dir}/sub/`, 'file'],
    ]);
    assert.deepEqual(
      (await completeExits(['--vcpu', '1'], `${dir}/e`)).map((c) => c.label),
      [`${dir}/exits.kvmtrace`],
    );
    assert.deepEqual(
      (await completeExits([`${dir}/exits.kvmtrace`], '')).map((c) => c.label),
      ['--vcpu'],
    );
    assert.deepEqual(await completeExits(['--vcpu'], ''), []);
    assert.deepEqual(await completeExits(['last'], ''), []);
    assert.deepEqual(await completePath('/nonexistent-dir/x'), []);
  });
});

// gdb 13's answers to -complete, as recorded against the lab's vmlinux.
describe("gdb's -complete matches as line completions", () => {
  test('info reg → info registers (a keyword)', () => {
    const items = gdbLineCompletions('info reg', ['info registers']);
    assert.deepEqual(items, [{ label: 'registers', type: 'keyword', start: 5, length: 3 }]);
    assert.equal(apply('info reg', items[0] as LineCompletion), 'info registers');
  });

  test('init_ta completed as print init_ta: print taken off again', () => {
    const items = gdbLineCompletions(
      'print init_ta',
      ['print init_task', 'print init_task.c', 'print init_task.h'],
      {
        prefix: 'print ',
        expression: true,
      },
    );
    assert.deepEqual(
      items.map((c) => [c.label, c.type, c.start, c.length]),
      [
        ['init_task', 'variable', 0, 7],
        ['init_task.c', 'file', 0, 7],
        ['init_task.h', 'file', 0, 7],
      ],
    );
    assert.equal(apply('init_ta', items[0] as LineCompletion), 'init_task');
  });

  test('members after . and ->: the member name replaces the partial member', () => {
    const dot = gdbLineCompletions('p init_task.co', ['p init_task.comm', 'p init_task.cpus_mask']);
    assert.deepEqual(
      dot.map((c) => [c.label, c.type, c.start, c.length]),
      [
        ['comm', 'variable', 12, 2],
        ['cpus_mask', 'variable', 12, 2],
      ],
    );
    const arrow = gdbLineCompletions('print init_task->', [
      'print init_task->__state',
      'print init_task->pid',
    ]);
    assert.deepEqual(
      arrow.map((c) => [c.label, c.start, c.length]),
      [
        ['__state', 17, 0],
        ['pid', 17, 0],
      ],
    );
  });

  test('command words with dashes stay whole; matches equal to the line are dropped', () => {
    const items = gdbLineCompletions('add-symbol-f', ['add-symbol-file', 'add-symbol-file-from-memory']);
    assert.deepEqual(
      items.map((c) => [c.label, c.start, c.length]),
      [
        ['add-symbol-file', 0, 12],
        ['add-symbol-file-from-memory', 0, 12],
      ],
    );
    assert.deepEqual(
      gdbLineCompletions('print init_task.', ['print init_task.', 'print init_task.pid']).length,
      1,
    );
  });

  test('a quoted name; a match that differs before the word is replaced from where it differs', () => {
    const quoted = gdbLineCompletions("print 'init_ta", ["print 'init_task.c'"]);
    assert.equal(apply("print 'init_ta", quoted[0] as LineCompletion), "print 'init_task.c'");
    const rewritten = gdbLineCompletions('print foo.ba', ['print foo->bar']);
    assert.deepEqual(
      rewritten.map((c) => [c.label, c.start, c.length]),
      [['->bar', 9, 3]],
    );
    assert.equal(apply('print foo.ba', rewritten[0] as LineCompletion), 'print foo->bar');
    assert.deepEqual(gdbLineCompletions('print x', ['output x'], { prefix: 'print ' }), []);
  });

  test('$ri → $rip from the register names (gdb offers symbols there)', () => {
    const names = ['rax', 'rbx', '', 'rip', 'eflags', 'cr3'];
    const items = registerCompletions('print $ri + 1 * $r', names) ?? [];
    assert.deepEqual(
      items.map((c) => [c.label, c.start, c.length]),
      [
        ['$rax', 16, 2],
        ['$rbx', 16, 2],
        ['$rip', 16, 2],
      ],
    );
    assert.deepEqual(
      registerCompletions('x/i $p', names)?.map((c) => c.label),
      ['$pc', '$ps'],
    );
    assert.equal(registerCompletions('print rip', names), undefined);
  });
});
