// The server's pure pieces: addr2line's output, source-path mapping, settings as clients send them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddr2Line } from '../../../adapter/lsp/addr2line';
import { readTraceSettings } from '../../../adapter/protocol/traceServer';
import { mapSourcePath } from '../../../adapter/lsp/sourceMap';

test('addr2line -f -i output: inline chain innermost first, discriminators, unknown entries', () => {
  const out = [
    'native_safe_halt',
    '/build/linux/arch/x86/include/asm/irqflags.h:48',
    'arch_safe_halt',
    '/build/linux/arch/x86/include/asm/paravirt.h:100 (discriminator 3)',
    'default_idle',
    '/build/linux/arch/x86/kernel/process.c:?',
    '??',
    '??:0',
    '',
  ].join('\n');
  assert.deepEqual(parseAddr2Line(out), [
    { function: 'native_safe_halt', file: '/build/linux/arch/x86/include/asm/irqflags.h', line: 48 },
    { function: 'arch_safe_halt', file: '/build/linux/arch/x86/include/asm/paravirt.h', line: 100 },
    { function: 'default_idle', file: '/build/linux/arch/x86/kernel/process.c', line: 0 },
  ]);
  assert.deepEqual(parseAddr2Line('??\n??:0\n'), []);
});

test('sourceFileMap: longest prefix, whole path components, relative names beside the ELF', () => {
  const map = { '/build/linux': '/src/a', '/build/linux/drivers': '/src/b', '/build/lin': '/src/c' };
  assert.equal(mapSourcePath('/build/linux/kernel/fork.c', map, '/x/vmlinux'), '/src/a/kernel/fork.c');
  assert.equal(mapSourcePath('/build/linux/drivers/net/tun.c', map, '/x/vmlinux'), '/src/b/net/tun.c');
  assert.equal(mapSourcePath('/build/linuxish/x.c', map, '/x/vmlinux'), '/build/linuxish/x.c');
  assert.equal(mapSourcePath('kernel/fork.c', {}, '/x/vmlinux'), '/x/kernel/fork.c');
  assert.equal(mapSourcePath('/build/linux/', { '/build/linux/': '/src/a' }, '/x/vmlinux'), '/src/a/');
});

test('settings: the section or the whole tree; ill-typed fields fall back', () => {
  const section = { symbolFile: '/v/vmlinux', sourceFileMap: { '/b': '/s', bad: 3 } };
  assert.deepEqual(readTraceSettings(section), { symbolFile: '/v/vmlinux', sourceFileMap: { '/b': '/s' } });
  assert.deepEqual(readTraceSettings({ hvdbg: { traces: section } }), readTraceSettings(section));
  assert.deepEqual(readTraceSettings({ symbolFile: '  ', sourceFileMap: [] }), {
    symbolFile: null,
    sourceFileMap: {},
  });
  assert.deepEqual(readTraceSettings(undefined), { symbolFile: null, sourceFileMap: {} });
});
