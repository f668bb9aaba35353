import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, aggregateText } from '../../../adapter/vmexits/aggregate';
import type { TraceEvent } from '../../../adapter/vmexits/events';
import { TraceParser } from '../../../adapter/vmexits/parser';
import { prng } from '../../../bench/vmexits/genTrace';
import { fixture, fixtureNames } from './fixtures';

const SEEDS: Buffer[] = fixtureNames().flatMap((n) =>
  fixture(n)
    .toString('latin1')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => Buffer.from(l, 'latin1')),
);
const INTERESTING = [0x20, 0x3a, 0x5b, 0x5d, 0x28, 0x29, 0x2d, 0x2c, 0x30, 0x78, 0x0d, 0x00, 0xff, 0x09];

function mutate(line: Buffer, r: () => number): Buffer {
  const b = Buffer.from(line);
  const pick = (n: number): number => Math.floor(r() * n);
  switch (pick(7)) {
    case 0: // byte flips
      for (let k = 1 + pick(3); k > 0; k--) b[pick(b.length)] = pick(256);
      return b;
    case 1: // bit flips
      for (let k = 1 + pick(3); k > 0; k--) {
        const i = pick(b.length);
        b[i] = (b[i] ?? 0) ^ (1 << pick(8));
      }
      return b;
    case 2: // truncation
      return b.subarray(0, pick(b.length));
    case 3: {
      // insertion of syntax-relevant or random bytes
      const at = pick(b.length + 1);
      const ins = Buffer.from(
        Array.from({ length: 1 + pick(4) }, () =>
          r() < 0.7 ? (INTERESTING[pick(INTERESTING.length)] ?? 0) : pick(256),
        ),
      );
      return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
    }
    case 4: {
      // deletion of a span
      const at = pick(b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(8))]);
    }
    case 5: {
      // splice with another seed line
      const other = SEEDS[pick(SEEDS.length)] ?? b;
      return Buffer.concat([b.subarray(0, pick(b.length)), other.subarray(pick(other.length))]);
    }
    default: // a digit run made long
      return Buffer.concat([
        b.subarray(0, pick(b.length)),
        Buffer.alloc(pick(40), 0x39),
        b.subarray(pick(b.length)),
      ]);
  }
}

void test('fuzz: mutated real lines never throw and every line is counted as parsed, lost, skipped or unparsed', () => {
  const r = prng(0x5eed);
  const deadline = Date.now() + 3000;
  let batches = 0;
  let lines = 0;
  let unparsed = 0;
  while (Date.now() < deadline || batches < 50) {
    const parts: Buffer[] = [];
    for (let n = 0; n < 40; n++) {
      const seed = SEEDS[Math.floor(r() * SEEDS.length)] ?? Buffer.alloc(0);
      parts.push(r() < 0.6 ? mutate(seed, r) : seed, Buffer.from('\n'));
    }
    const input = Buffer.concat(parts);
    const expectedLines = input.reduce((n, c) => n + (c === 0x0a ? 1 : 0), 0);
    const evs: TraceEvent[] = [];
    const p = new TraceParser((ev) => evs.push(ev), { maxLineBytes: 512 });
    // Feed in random chunk sizes.
    for (let o = 0; o < input.length;) {
      const n = 1 + Math.floor(r() * 300);
      p.push(input.subarray(o, o + n));
      o += n;
    }
    p.end();
    const c = p.counts;
    assert.equal(c.lines, expectedLines);
    assert.equal(c.events + c.unparsed + c.lost + c.skipped, c.lines);
    assert.equal(evs.length, c.events + c.unparsed + c.lost);
    for (const ev of evs) {
      assert.ok(ev.lineNo >= 1 && ev.lineNo <= c.lines);
      if (ev.kind === 'unparsed') assert.ok(ev.text.length <= 160 && ev.why.length > 0);
      else if (ev.kind !== 'lost') assert.ok(Number.isFinite(ev.tsNs) && ev.pid >= -1 && ev.cpu >= 0);
      if (ev.kind === 'exit') assert.ok(ev.rip >= 0n && ev.rip < 1n << 64n);
    }
    // The record path classifies exactly as the event path does.
    const fast = aggregateText(input, { maxLineBytes: 512 });
    assert.equal(fast.diagnostics.lines, c.lines);
    assert.equal(fast.diagnostics.unparsed, c.unparsed);
    assert.equal(fast.diagnostics.events, c.events);
    const slow = aggregate(evs);
    assert.deepEqual(slow.reasons, fast.reasons);
    batches++;
    lines += c.lines;
    unparsed += c.unparsed;
  }
  assert.ok(unparsed > 0 && unparsed < lines, `${unparsed} of ${lines} lines unparsed`);
});
