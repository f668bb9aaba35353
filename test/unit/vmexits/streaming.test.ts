import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { TraceEvent } from '../../../adapter/vmexits/events';
import { LineSplitter } from '../../../adapter/vmexits/lineSplitter';
import { TraceParser, parseTraceStream, parseTraceText } from '../../../adapter/vmexits/parser';
import { fixture, fixtureNames } from './fixtures';

function parseChunks(chunks: readonly Buffer[], maxLineBytes?: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  const p = new TraceParser((ev) => out.push(ev), maxLineBytes === undefined ? {} : { maxLineBytes });
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

void test('any split of the input into chunks gives the same events', () => {
  for (const name of fixtureNames()) {
    const data = fixture(name);
    const whole = parseTraceText(data);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const chunks: Buffer[] = [];
      for (let o = 0; o < data.length; o += size) chunks.push(data.subarray(o, o + size));
      assert.deepEqual(parseChunks(chunks), whole, `${name} in ${size}-byte chunks`);
    }
    for (let cut = 0; cut <= data.length; cut += 97) {
      assert.deepEqual(
        parseChunks([data.subarray(0, cut), data.subarray(cut)]),
        whole,
        `${name} cut at ${cut}`,
      );
    }
  }
});

void test('CRLF line ends and a last line without newline', () => {
  const lf = fixture('ftrace-5.4-vmx.txt');
  const crlf = Buffer.from(lf.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
  assert.deepEqual(parseTraceText(crlf), parseTraceText(lf));
  const noNl = lf.subarray(0, lf.length - 1);
  assert.deepEqual(parseTraceText(noNl), parseTraceText(lf));
});

void test('overlong lines are reported once, truncated, without holding them', () => {
  const long = Buffer.concat([
    Buffer.from('x'.repeat(5000)),
    Buffer.from('\n  CPU 0/KVM-1 [000] 1.0: kvm_entry: vcpu 0\n'),
  ]);
  for (const size of [16, 100, 10000]) {
    const chunks: Buffer[] = [];
    for (let o = 0; o < long.length; o += size) chunks.push(long.subarray(o, o + size));
    const evs = parseChunks(chunks, 256);
    assert.equal(evs.length, 2, `chunk ${size}`);
    assert.equal(evs[0]?.kind, 'unparsed');
    assert.equal(evs[0]?.kind === 'unparsed' ? evs[0].why : '', 'line too long');
    assert.equal(evs[1]?.kind, 'entry');
    assert.equal(evs[1]?.lineNo, 2);
  }
  // An endless line without newline: the splitter keeps at most maxLineBytes.
  let seen = 0;
  const sp = new LineSplitter((_b, s, e, _n, overlong) => {
    seen++;
    assert.ok(overlong);
    assert.ok(e - s <= 64);
  }, 64);
  for (let i = 0; i < 1000; i++) sp.push(Buffer.alloc(1000, 0x41));
  sp.end();
  assert.equal(seen, 1);
  assert.throws(() => new LineSplitter(() => undefined, 1), RangeError);
});

void test('parseTraceStream reads a Readable and returns the counts', async () => {
  const data = fixture('ftrace-6.1-svm.txt');
  const chunks: Buffer[] = [];
  for (let o = 0; o < data.length; o += 333) chunks.push(data.subarray(o, o + 333));
  const out: TraceEvent[] = [];
  const gen = parseTraceStream(Readable.from(chunks));
  let r = await gen.next();
  while (r.done !== true) {
    out.push(r.value);
    r = await gen.next();
  }
  assert.deepEqual(out, parseTraceText(data));
  assert.deepEqual(r.value, { lines: 49, events: 37, unparsed: 0, lost: 0, skipped: 12 });
  const strings: TraceEvent[] = [];
  for await (const ev of parseTraceStream(Readable.from([data.toString('utf8')]))) strings.push(ev);
  assert.deepEqual(strings, out);
});
