/**
 * Appends a trace to a file at a fixed rate, the way a live producer (trace_pipe, a serial port) would:
 * every 10 ms, the lines due by then. Usage: `node writer.js SOURCE TARGET LINES_PER_S SECONDS`.
 * Prints one JSON line: the lines and bytes written and the time it took.
 */
import * as fs from 'node:fs';

const [, , source, target, rateText, secondsText] = process.argv;
if (source === undefined || target === undefined) throw new Error('usage: writer SOURCE TARGET RATE SECONDS');
const rate = Number(rateText);
const seconds = Number(secondsText);
const data = fs.readFileSync(source);
// Line starts, so that every write ends on a line boundary.
const starts: number[] = [0];
for (let i = data.indexOf(10); i >= 0 && i < data.length - 1; i = data.indexOf(10, i + 1)) starts.push(i + 1);
const fd = fs.openSync(target, 'a');
const t0 = performance.now();
let lines = 0;
let bytes = 0;
const total = Math.min(starts.length - 1, Math.floor(rate * seconds));
const tick = (): void => {
  const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
  if (due > lines) {
    const from = starts[lines] ?? 0;
    const to = starts[due] ?? data.length;
    bytes += fs.writeSync(fd, data, from, to - from);
    lines = due;
  }
  if (lines < total) {
    setTimeout(tick, 10);
    return;
  }
  fs.closeSync(fd);
  process.stdout.write(`${JSON.stringify({ lines, bytes, ms: performance.now() - t0 })}\n`);
};
tick();
