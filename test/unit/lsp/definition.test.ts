// Go to definition from a guest RIP, with a real ELF: a C program built with gcc -g, a trace line whose
// RIP is a function's address (from nm), resolved by addr2line to the file and line of that function.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Location, LocationLink } from 'vscode-languageserver/node';
import { TestClient } from './client';

const SOURCE = `#include <stdio.h>

static volatile int sink;

int guest_handler(int x) { /* marker: guest_handler (gcc puts the entry on the brace's line) */
  sink = x * 3;
  return sink + 1;
}

int main(void)
{
  printf("%d\\n", guest_handler(14));
  return 0;
}
`;

let dir: string;
let elf: string;
let address: bigint;
const handlerLine = SOURCE.split('\n').findIndex((l) => l.includes('marker: guest_handler'));

function exitLine(rip: bigint): string {
  const r = `0x${rip.toString(16).padStart(16, '0')}`;
  return `       CPU 0/KVM-4242    [001] d..1.   812.100050: kvm_exit: vcpu 0 reason HLT rip ${r} info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000`;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvdbg-lsp-def-'));
  fs.mkdirSync(path.join(dir, 'build'));
  fs.writeFileSync(path.join(dir, 'build', 'guest.c'), SOURCE);
  elf = path.join(dir, 'guest.elf');
  execFileSync('gcc', ['-g', '-O0', '-o', elf, 'guest.c'], { cwd: path.join(dir, 'build') });
  const nm = execFileSync('nm', [elf], { encoding: 'utf8' });
  const m = /^([0-9a-f]+) T guest_handler$/m.exec(nm);
  assert.ok(m?.[1] !== undefined, nm);
  address = BigInt(`0x${m[1]}`);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('no symbol file: no definition, and the hover says how to set one', async () => {
  const client = await TestClient.start();
  try {
    const uri = await client.open('nosym.kvmtrace', `${exitLine(0xffffffff81a3f1cen)}\n`);
    assert.equal(await client.definition(uri, 'kvm_exit', 90), null);
    assert.match((await client.hover(uri, 'kvm_exit')) ?? '', /set `hvdbg\.traces\.symbolFile`/);
  } finally {
    client.close();
  }
});

test('a RIP in a gcc -g ELF goes to the function in its source file; sourceFileMap moves it', async () => {
  const client = await TestClient.start({
    initializationOptions: { settings: { symbolFile: elf, sourceFileMap: {} } },
    capabilities: { textDocument: { definition: { linkSupport: true } } },
  });
  try {
    const text = `${exitLine(address)}\n`;
    const uri = await client.open('elf.kvmtrace', text);
    const links = (await client.definition(uri, 'kvm_exit')) as LocationLink[];
    assert.equal(links.length, 1);
    const [link] = links;
    assert.equal(link?.targetUri, pathToFileURL(path.join(dir, 'build', 'guest.c')).toString());
    assert.equal(link?.targetRange.start.line, handlerLine);
    // The link starts from the RIP as written on the line.
    const ripAt = text.indexOf('0x0000');
    assert.deepEqual(link?.originSelectionRange, {
      start: { line: 0, character: ripAt },
      end: { line: 0, character: ripAt + 18 },
    });
    assert.doesNotMatch((await client.hover(uri, 'kvm_exit')) ?? '', /symbolFile/);

    // The sources moved: map the build directory to where they are now (a settings change).
    const moved = path.join(dir, 'src');
    fs.cpSync(path.join(dir, 'build'), moved, { recursive: true });
    await client.configure({
      hvdbg: { traces: { symbolFile: elf, sourceFileMap: { [path.join(dir, 'build')]: moved } } },
    });
    const after = (await client.definition(uri, 'kvm_exit')) as LocationLink[];
    assert.equal(after[0]?.targetUri, pathToFileURL(path.join(moved, 'guest.c')).toString());
    assert.equal(after[0]?.targetRange.start.line, handlerLine);
  } finally {
    client.close();
  }
});

test('plain Locations for clients without link support; an unknown address gives nothing', async () => {
  const client = await TestClient.start({ initializationOptions: { settings: { symbolFile: elf } } });
  try {
    const uri = await client.open('plain.kvmtrace', `${exitLine(address)}\n${exitLine(0x10n)}\n`);
    const [loc] = (await client.definition(
      uri,
      `rip 0x${address.toString(16).padStart(16, '0')}`,
    )) as Location[];
    assert.equal(loc?.uri, pathToFileURL(path.join(dir, 'build', 'guest.c')).toString());
    assert.equal(loc?.range.start.line, handlerLine);
    assert.equal(await client.definition(uri, 'rip 0x0000000000000010'), null);
  } finally {
    client.close();
  }
});

test('a symbol file that does not exist: nothing, and one warning to the user', async () => {
  const missing = path.join(dir, 'no-such-vmlinux');
  const client = await TestClient.start({ initializationOptions: { settings: { symbolFile: missing } } });
  try {
    const uri = await client.open('missing.kvmtrace', `${exitLine(address)}\n`);
    assert.equal(await client.definition(uri, 'kvm_exit'), null);
    assert.equal(await client.definition(uri, 'kvm_exit'), null);
    assert.deepEqual(client.messages, [`hvdbg.traces.symbolFile: cannot read ${missing} (ENOENT).`]);
  } finally {
    client.close();
  }
});
