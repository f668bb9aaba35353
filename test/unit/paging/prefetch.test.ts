// The walker reads each level's tables together (one pipelined burst per level on a live stub).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PhysicalMemory } from '../../../adapter/x86/paging/memory';
import { collectWalk } from '../../../adapter/x86/paging/walk';
import { LONG, linuxLike, MemoryImage, P, RW, US } from '../x86/paging/memoryImage';

/** Records which reads were issued in the same turn of the event loop (as the stub relay batches them). */
class BurstRecorder implements PhysicalMemory {
  readonly bursts: bigint[][] = [];
  private open: bigint[] | undefined;

  constructor(private readonly inner: PhysicalMemory) {}

  readTable(address: bigint): Promise<Uint8Array> {
    if (this.open === undefined) {
      const burst: bigint[] = [];
      this.open = burst;
      this.bursts.push(burst);
      setImmediate(() => {
        this.open = undefined;
      });
    }
    this.open.push(address);
    return new Promise((resolve, reject) => {
      setImmediate(() => void this.inner.readTable(address).then(resolve, reject));
    });
  }
}

void test('one burst per level, each table read once', async () => {
  const memory = new BurstRecorder(linuxLike().memory);
  const r = await collectWalk(memory, { cr3: 0x1000n, ...LONG });
  assert.equal(r.leaves, 6);
  assert.deepEqual(memory.bursts, [[0x1000n], [0x2000n, 0x5000n], [0x3000n], [0x4000n]]);
});

void test('wide tables: 64 page tables come in one burst', async () => {
  const image = new MemoryImage()
    .set(0x1000n, 0, 0x2000n | P | RW | US)
    .set(0x2000n, 0, 0x3000n | P | RW | US);
  for (let i = 0; i < 64; i++) {
    const pt = 0x10000n + BigInt(i) * 0x1000n;
    image.set(0x3000n, i, pt | P | RW | US).set(pt, 0, (0x800000n + BigInt(i) * 0x1000n) | P | RW | US);
  }
  const memory = new BurstRecorder(image.memory);
  const r = await collectWalk(memory, { cr3: 0x1000n, ...LONG });
  assert.equal(r.leaves, 64);
  assert.deepEqual(
    memory.bursts.map((b) => b.length),
    [1, 1, 1, 64],
  );
  // Without prefetching, one read per table, one after the other.
  const serial = new BurstRecorder(image.memory);
  await collectWalk(serial, { cr3: 0x1000n, ...LONG }, { prefetch: false });
  assert.equal(serial.bursts.length, 67);
});
