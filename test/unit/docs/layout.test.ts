/**
 * README's layout block is how a new reader finds a feature's code from the folder names: it must name
 * every folder that exists (top level, and each folder of adapter/, extension/ and test/) and nothing that
 * does not. Files it names (`gdbjs.ts`, `scripts/demo.sh`) must exist too.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../lab/lab';

const root = repoRoot();
/** Build output, dependencies and artifacts: not part of the source layout. */
const GENERATED = new Set(['node_modules', 'out', 'dist', 'test-artifacts', '.git', '.ci']);

/** The folders the block lists, as paths (`adapter/protocol`), from its indentation. */
function listedFolders(readme: string): string[] {
  const block = /## Layout\n\n```\n([^]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has a Layout block');
  const folders: string[] = [];
  let parent = '';
  for (const line of block.split('\n')) {
    const m = /^( *)([\w.-]+\/)\s/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const name = m[2].slice(0, -1);
    if (m[1].length === 0) {
      parent = name;
      folders.push(name);
    } else folders.push(`${parent}/${name}`);
  }
  return folders;
}

function foldersIn(dir: string): string[] {
  return readdirSync(join(root, dir))
    .filter((n) => !n.startsWith('.') && !GENERATED.has(n) && statSync(join(root, dir, n)).isDirectory())
    .sort();
}

test("README's layout block lists exactly the folders of the tree", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const listed = listedFolders(readme);
  for (const folder of listed)
    assert.ok(existsSync(join(root, folder)), `README lists ${folder}/, which does not exist`);
  const top = foldersIn('.');
  assert.deepEqual(listed.filter((f) => !f.includes('/')).sort(), top, 'top-level folders');
  for (const dir of ['adapter', 'extension']) {
    const actual = foldersIn(dir).map((n) => `${dir}/${n}`);
    const named = listed.filter((f) => f.startsWith(`${dir}/`)).sort();
    assert.deepEqual(named, actual, `folders of ${dir}/`);
  }
  // test/'s folders are named in its one line.
  const testLine =
    /^test\/\s+([^]*?)\nbench\//m.exec(/## Layout\n\n```\n([^]*?)```/.exec(readme)?.[1] ?? '')?.[1] ?? '';
  for (const n of foldersIn('test'))
    assert.match(testLine, new RegExp(`\\b${n}\\b`), `test/${n} is described`);
});

test('files the layout block names exist', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /## Layout\n\n```\n([^]*?)```/.exec(readme)?.[1] ?? '';
  assert.ok(existsSync(join(root, 'adapter', 'gdb', 'gdbjs.ts')) && block.includes('gdbjs.ts'));
  for (const script of block.match(/\b[\w-]+\.sh\b/g) ?? [])
    assert.ok(existsSync(join(root, 'scripts', script)), `scripts/${script}`);
  for (const file of block.match(/adapter\/[\w/]+\.ts/g) ?? []) assert.ok(existsSync(join(root, file)), file);
});
