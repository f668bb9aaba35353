import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  describeSymbol,
  GdbSymbolResolver,
  parseInfoLine,
  parseInfoSymbol,
  SourceFinder,
} from '../../../adapter/exits/symbols';
import { GdbTimeoutError } from '../../../adapter/gdb/errors';
import { tempDir } from './support';

test("gdb's info symbol and info line answers", () => {
  assert.deepEqual(parseInfoSymbol('kvm_emulate_hypercall + 12 in section .text of /lib/kvm.ko\n'), {
    function: 'kvm_emulate_hypercall',
    offset: 12,
    module: 'kvm.ko',
  });
  assert.deepEqual(parseInfoSymbol('default_idle in section .text\n'), {
    function: 'default_idle',
    offset: 0,
  });
  assert.equal(parseInfoSymbol('No symbol matches 0x801b.\n'), undefined);
  // The lab's L2 RIPs land in vmlinux's per-CPU data (linked at 0): no function there.
  assert.equal(parseInfoSymbol('cpu_tss_rw + 8219 in section .data..percpu of /x/vmlinux\n'), undefined);
  assert.deepEqual(parseInfoSymbol('vmx_vmexit + 3 in section .noinstr.text of /x/kvm-intel.ko\n'), {
    function: 'vmx_vmexit',
    offset: 3,
    module: 'kvm-intel.ko',
  });
  assert.deepEqual(
    parseInfoLine(
      'Line 9761 of "arch/x86/kvm/x86.c" starts at address 0xffffffffc0221f30 <kvm_emulate_hypercall> and ends at 0xffffffffc0221f44 <kvm_emulate_hypercall+20>.\n',
    ),
    { file: 'arch/x86/kvm/x86.c', line: 9761 },
  );
  assert.equal(parseInfoLine('No line number information available for address 0x801b\n'), undefined);
});

test('DWARF file names are found through sourceFileMap and sourcePaths', (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'arch/x86/kvm'), { recursive: true });
  writeFileSync(join(root, 'arch/x86/kvm/x86.c'), '');
  const finder = new SourceFinder({ '/build/linux-6.1': root }, [root]);
  assert.equal(finder.find('arch/x86/kvm/x86.c'), join(root, 'arch/x86/kvm/x86.c'));
  assert.equal(finder.find('/build/linux-6.1/arch/x86/kvm/x86.c'), join(root, 'arch/x86/kvm/x86.c'));
  assert.equal(finder.find('arch/x86/kvm/../kvm/x86.c'), join(root, 'arch/x86/kvm/x86.c'));
  assert.equal(finder.find('missing.c'), undefined);
});

test('RIPs resolve once each (cached), one gdb command at a time; no symbol is an answer', async () => {
  const asked: string[] = [];
  let running = 0;
  let most = 0;
  const gdb = async (command: string): Promise<string> => {
    asked.push(command);
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setImmediate(resolve));
    running--;
    if (command === 'info symbol 0xffffffff81000010') return 'start_kernel + 16 in section .text\n';
    if (command === 'info line *0xffffffff81000010')
      return 'Line 7 of "init/main.c" starts at address 0xffffffff81000000 <start_kernel> and ends at 0x0.\n';
    return 'No symbol matches 0x801b.\n';
  };
  const r = new GdbSymbolResolver(gdb, new SourceFinder());
  const [a, b, c] = await Promise.all([
    r.resolve(0xffffffff81000010n),
    r.resolve(0x801bn),
    r.resolve(0x801bn),
  ]);
  assert.deepEqual(a, { function: 'start_kernel', offset: 16, file: 'init/main.c', line: 7 });
  assert.deepEqual(b, { none: 'no symbol' });
  assert.equal(c, b);
  assert.equal(most, 1);
  assert.deepEqual(asked, [
    'info symbol 0xffffffff81000010',
    'info line *0xffffffff81000010',
    'info symbol 0x801b',
  ]);
  await r.resolve(0x801bn);
  assert.equal(asked.length, 3, 'cached');
  assert.deepEqual(r.cached(0x801bn), { none: 'no symbol' });
  assert.equal(describeSymbol(a), 'start_kernel+16 at init/main.c:7');
  assert.equal(describeSymbol(b), 'no symbol');
  assert.equal(describeSymbol(undefined), '');
});

test('a gdb that does not answer in time gives a bounded answer, asked again later', async () => {
  let calls = 0;
  const r = new GdbSymbolResolver((command, ms) => {
    calls++;
    return Promise.reject(new GdbTimeoutError(command, ms));
  }, new SourceFinder());
  assert.deepEqual(await r.resolve(0x10n), { none: 'gdb did not answer in time' });
  assert.equal(r.cached(0x10n), undefined);
  await r.resolve(0x10n);
  assert.equal(calls, 2);
});
