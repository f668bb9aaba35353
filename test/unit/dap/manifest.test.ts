import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { debuggerContribution } from '../../../adapter/protocol/manifest';
import { repoRoot } from '../../lab/lab';

test("package.json's debugger contribution is the one generated from adapter/protocol/config.ts", () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
    contributes: { debuggers: unknown[] };
  };
  assert.deepEqual(
    manifest.contributes.debuggers,
    [JSON.parse(JSON.stringify(debuggerContribution()))],
    'package.json drifted from the schema: run `npm run schema`',
  );
});

test('every contributed attribute has a description', () => {
  const { configurationAttributes } = debuggerContribution();
  for (const [request, schema] of Object.entries(configurationAttributes)) {
    const properties = schema.properties as Record<string, { description?: unknown }>;
    for (const [name, attribute] of Object.entries(properties)) {
      assert.equal(typeof attribute.description, 'string', `${request}.${name}`);
    }
  }
});

test('the adapter named in package.json is the bundle esbuild writes', () => {
  assert.equal(debuggerContribution().program, './dist/adapter.js');
  const esbuild = readFileSync(join(repoRoot(), 'esbuild.mjs'), 'utf8');
  assert.match(esbuild, /outfile: 'dist\/adapter\.js'/);
});
