/** Helpers for the exits tests: temporary folders, trace lines, waiting on a feed (never sleeping). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceFeed } from '../../../adapter/exits/feed';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hvdbg-exits-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Linux 6.1 SVM `kvm_exit` line (the lab's layout). */
export function exitLine(o: {
  cpu?: number;
  pid?: number;
  ts: number;
  vcpu?: number;
  reason?: string;
  rip?: string;
}): string {
  const cpu = String(o.cpu ?? 0).padStart(3, '0');
  return (
    `  kvm-hypercall-${o.pid ?? 127}     [${cpu}] d..1.   ${o.ts.toFixed(6)}: kvm_exit: vcpu ${o.vcpu ?? 0} ` +
    `reason ${o.reason ?? 'hypercall'} rip ${o.rip ?? '0x801b'} info1 0x0000000000000000 info2 0x0000000000000000 ` +
    `intr_info 0x00000000 error_code 0x00000000\n`
  );
}

export function entryLine(o: {
  cpu?: number;
  pid?: number;
  ts: number;
  vcpu?: number;
  rip?: string;
}): string {
  const cpu = String(o.cpu ?? 0).padStart(3, '0');
  return `  kvm-hypercall-${o.pid ?? 127}     [${cpu}] d..1.   ${o.ts.toFixed(6)}: kvm_entry: vcpu ${o.vcpu ?? 0}, rip ${o.rip ?? '0x801e'}\n`;
}

/** `n` exit/entry pairs of `reason` starting at `t0` seconds, 1 ms apart, 2 µs each. */
export function pairs(
  n: number,
  t0: number,
  o: { cpu?: number; pid?: number; reason?: string; rip?: string } = {},
): string {
  let text = '';
  for (let i = 0; i < n; i++) {
    const ts = t0 + i * 0.001;
    text += exitLine({ ...o, ts });
    text += entryLine({ ...o, ts: ts + 0.000002 });
  }
  return text;
}

/** Resolves once `done()` holds, checked at each change of the feed; rejects after `ms`, saying what was seen. */
export function until(feed: TraceFeed, done: () => boolean, ms = 5000): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!done()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not reached within ${ms} ms: ${JSON.stringify(feed.info())}`));
    }, ms);
    const cleanup = (): void => {
      clearTimeout(timer);
      feed.off('changed', check);
    };
    feed.on('changed', check);
  });
}
