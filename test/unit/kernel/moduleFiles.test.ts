import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  findModuleFile,
  indexModuleFiles,
  moduleNameOfFile,
  normalizeModuleName,
} from '../../../adapter/kernel/moduleFiles';

test('module names: the kernel turns dashes into underscores', () => {
  assert.equal(normalizeModuleName('kvm-amd'), 'kvm_amd');
  assert.equal(normalizeModuleName('kvm_amd'), 'kvm_amd');
  assert.equal(moduleNameOfFile('kvm-amd.ko'), 'kvm_amd');
  assert.equal(moduleNameOfFile('kvm.ko.debug'), 'kvm');
  assert.equal(moduleNameOfFile('nf_conntrack.debug'), 'nf_conntrack');
  assert.equal(moduleNameOfFile('kvm.ko.xz'), undefined);
  assert.equal(moduleNameOfFile('vmlinux'), undefined);
  assert.equal(moduleNameOfFile('README.ko.txt'), undefined);
});

describe('finding module files below modulePath', () => {
  let root: string;
  let dbg: string;
  let other: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hvdbg-modfiles-'));
    // The layout of linux-image-*-dbg: usr/lib/debug/lib/modules/<version>/kernel/...
    dbg = join(root, 'usr/lib/debug/lib/modules/6.1.0-56-cloud-amd64');
    mkdirSync(join(dbg, 'kernel/arch/x86/kvm'), { recursive: true });
    mkdirSync(join(dbg, 'kernel/virt/lib'), { recursive: true });
    mkdirSync(join(dbg, 'kernel/fs/nls'), { recursive: true });
    writeFileSync(join(dbg, 'kernel/arch/x86/kvm/kvm.ko'), 'ELF');
    writeFileSync(join(dbg, 'kernel/arch/x86/kvm/kvm-amd.ko'), 'ELF');
    writeFileSync(join(dbg, 'kernel/virt/lib/irqbypass.ko.debug'), 'ELF');
    writeFileSync(join(dbg, 'kernel/fs/nls/nls_utf8.ko.xz'), 'XZ');
    other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'kvm.ko'), 'ELF');
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  test('a module is found by its kernel name, however deep', async () => {
    const index = await indexModuleFiles([dbg]);
    assert.deepEqual(findModuleFile(index, 'kvm_amd'), { path: join(dbg, 'kernel/arch/x86/kvm/kvm-amd.ko') });
    assert.deepEqual(findModuleFile(index, 'kvm'), { path: join(dbg, 'kernel/arch/x86/kvm/kvm.ko') });
    assert.deepEqual(findModuleFile(index, 'irqbypass'), {
      path: join(dbg, 'kernel/virt/lib/irqbypass.ko.debug'),
    });
  });

  test('earlier directories win', async () => {
    const index = await indexModuleFiles([other, dbg]);
    assert.deepEqual(findModuleFile(index, 'kvm'), { path: join(other, 'kvm.ko') });
    assert.deepEqual(findModuleFile(index, 'kvm_amd'), { path: join(dbg, 'kernel/arch/x86/kvm/kvm-amd.ko') });
  });

  test('a missing module names itself and the directories searched', async () => {
    const missing = join(root, 'nowhere');
    const index = await indexModuleFiles([other, missing]);
    const found = findModuleFile(index, 'kvm_amd');
    assert.ok('problem' in found);
    assert.equal(
      found.problem,
      `module kvm_amd: no kvm-amd.ko (or kvm_amd.ko) below the "modulePath" directories ${other}, ${missing} (${missing}: does not exist)`,
    );
  });

  test('a compressed module is named as such: gdb cannot read it', async () => {
    const index = await indexModuleFiles([dbg]);
    const found = findModuleFile(index, 'nls_utf8');
    assert.ok('problem' in found);
    assert.match(found.problem, /only the compressed .*nls_utf8\.ko\.xz/);
  });
});
