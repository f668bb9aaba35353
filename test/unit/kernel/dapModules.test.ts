import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  addressRange,
  kernelModule,
  moduleChanges,
  pageModules,
  SYMBOLS_LOADED,
  vmlinuxModule,
} from '../../../adapter/kernel/dapModules';

const KO = '/usr/lib/debug/lib/modules/6.1.0-57-cloud-amd64/kernel/arch/x86/kvm/kvm-amd.ko';

test('a module with symbols: id and name the kernel name, path the .ko, its range from text and size', () => {
  const module = kernelModule({
    name: 'kvm_amd',
    text: 0xffffffffc0a00000n,
    size: 0x4c000n,
    symbolFile: KO,
    added: true,
  });
  assert.deepEqual(module, {
    id: 'kvm_amd',
    name: 'kvm_amd',
    path: KO,
    symbolFilePath: KO,
    symbolStatus: SYMBOLS_LOADED,
    addressRange: '0xffffffffc0a00000-0xffffffffc0a4c000',
  });
  assert.equal(addressRange(0x10n, 0x20n), '0x10-0x20');
});

test('a module without symbols says why, without repeating its name; no size, no range', () => {
  const module = kernelModule({
    name: 'irqbypass',
    text: 0xffffffffc0200000n,
    size: undefined,
    problem: 'module irqbypass: no irqbypass.ko (or irqbypass.ko) below the "modulePath" directories /x',
    added: false,
  });
  assert.deepEqual(module, {
    id: 'irqbypass',
    name: 'irqbypass',
    symbolStatus: 'no irqbypass.ko (or irqbypass.ko) below the "modulePath" directories /x',
  });
  const bare = kernelModule({ name: 'kvm', text: 1n, size: 0n, added: false });
  assert.equal(bare.symbolStatus, 'no symbols');
  assert.equal(bare.addressRange, undefined);
});

test('vmlinux: its _text.._etext moved by the slide, its release as version; link addresses until known', () => {
  const image = { text: 0xffffffff81000000n, etext: 0xffffffff81e00000n };
  const slid = vmlinuxModule({
    program: '/x/vmlinux',
    image,
    slide: 0x2a00000n,
    release: '6.1.0-57-cloud-amd64',
  });
  assert.deepEqual(slid, {
    id: 'vmlinux',
    name: 'vmlinux',
    path: '/x/vmlinux',
    symbolFilePath: '/x/vmlinux',
    symbolStatus: SYMBOLS_LOADED,
    addressRange: '0xffffffff83a00000-0xffffffff84800000',
    version: '6.1.0-57-cloud-amd64',
  });
  const unknown = vmlinuxModule({ program: '/x/vmlinux', image, slide: undefined, release: undefined });
  assert.equal(unknown.addressRange, '0xffffffff81000000-0xffffffff81e00000');
  assert.match(
    unknown.symbolStatus ?? '',
    /^symbols loaded at vmlinux's link addresses \(the KASLR slide is not known/,
  );
  assert.equal('version' in unknown, false);
});

test('module events: removed first, then new and changed in list order; nothing for the unchanged', () => {
  const m = (id: string, range: string): DebugProtocol.Module => ({ id, name: id, addressRange: range });
  const told = new Map(
    [m('vmlinux', '0x1-0x2'), m('irqbypass', '0x3-0x4'), m('kvm', '0x5-0x6'), m('kvm_amd', '0x7-0x8')].map(
      (x) => [String(x.id), x] as const,
    ),
  );
  const now = [m('vmlinux', '0x1-0x2'), m('irqbypass', '0x3-0x4'), m('kvm', '0x9-0xa'), m('vfio', '0xb-0xc')];
  assert.deepEqual(
    moduleChanges(told, now).map((c) => `${c.reason} ${String(c.module.id)} ${c.module.addressRange ?? ''}`),
    ['removed kvm_amd 0x7-0x8', 'changed kvm 0x9-0xa', 'new vfio 0xb-0xc'],
  );
  assert.deepEqual(moduleChanges(new Map(now.map((x) => [String(x.id), x])), now), []);
});

test('paging: startModule and moduleCount, totalModules always the whole list', () => {
  const all = ['vmlinux', 'irqbypass', 'kvm', 'kvm_amd'].map((id) => ({ id, name: id }));
  const ids = (args: DebugProtocol.ModulesArguments): unknown => {
    const body = pageModules(all, args);
    return { ids: body.modules.map((x) => x.id), total: body.totalModules };
  };
  assert.deepEqual(ids({}), { ids: ['vmlinux', 'irqbypass', 'kvm', 'kvm_amd'], total: 4 });
  assert.deepEqual(ids({ startModule: 1, moduleCount: 1 }), { ids: ['irqbypass'], total: 4 });
  assert.deepEqual(ids({ startModule: 2, moduleCount: 0 }), { ids: ['kvm', 'kvm_amd'], total: 4 });
  assert.deepEqual(ids({ startModule: 3, moduleCount: 10 }), { ids: ['kvm_amd'], total: 4 });
  assert.deepEqual(ids({ startModule: 9 }), { ids: [], total: 4 });
});
