/**
 * A 2 GiB input in bounded memory: a sparse file (2 GiB of NUL bytes, no newline: the worst case for a
 * line splitter) followed by real trace lines. The parser must keep going, count the garbage as one
 * unparsed (truncated) line, still parse what follows, and not grow with the input.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aggregateStream } from '../../../adapter/vmexits';
import { repoRoot } from '../../lab/lab';

const GiB = 2 ** 30;

test('a 2 GiB file of binary garbage is read in bounded memory and counted as unparsed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hvdbg-2g-'));
  try {
    const file = join(dir, 'huge.trace');
    const handle = await open(file, 'w');
    await handle.truncate(2 * GiB);
    await handle.close();
    const tail = await readFile(join(repoRoot(), 'test/fixtures/traces/ftrace-6.1-svm.txt'));
    await appendFile(file, Buffer.concat([Buffer.from('\n'), tail]));

    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const stats = await aggregateStream(createReadStream(file, { highWaterMark: 1 << 20 }));
    clearInterval(sampler);

    assert.ok(stats.diagnostics.unparsed >= 1, 'the garbage is reported');
    const exits = stats.reasons.reduce((n, r) => n + r.exits, 0);
    assert.ok(exits > 0, 'the trace lines after the garbage still parse');
    const growthMiB = (peak - before) / 2 ** 20;
    assert.ok(growthMiB < 128, `memory grew by ${growthMiB.toFixed(0)} MiB reading 2 GiB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
