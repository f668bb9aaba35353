/**
 * Locates the trace fixtures (test/fixtures/traces) from the compiled test's directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'traces');

/** The fixture's bytes. */
export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

/** Every `.txt` fixture's name. */
export function fixtureNames(): string[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.txt'))
    .sort();
}
