/**
 * The last exits of each CPU and of each vCPU, in fixed-size rings: what "the last exits of the vCPU
 * that just stopped" reads. Slots are reused (no allocation per exit once a ring is full), rings are
 * created on first use and their number is bounded.
 */

/** One kept exit; RIP and info as u32 halves, rendered only when read. */
export interface ExitSlot {
  tsNs: number;
  cpu: number;
  vcpu: number;
  pid: number;
  reason: string;
  ripHi: number;
  ripLo: number;
  /** Bit 0: info1 present, bit 1: info2 present. */
  infoMask: number;
  info1Hi: number;
  info1Lo: number;
  info2Hi: number;
  info2Lo: number;
  /** Exit-to-entry time, -1 until the thread's entry is seen. */
  durationNs: number;
}

function emptySlot(): ExitSlot {
  return {
    tsNs: 0,
    cpu: -1,
    vcpu: -1,
    pid: -1,
    reason: '',
    ripHi: 0,
    ripLo: 0,
    infoMask: 0,
    info1Hi: 0,
    info1Lo: 0,
    info2Hi: 0,
    info2Lo: 0,
    durationNs: -1,
  };
}

/** A ring of the last `capacity` exits. */
export class ExitRing {
  private readonly slots: ExitSlot[] = [];
  private next = 0;
  /** Exits ever pushed. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /** The slot to fill for a new exit (the oldest one once full). */
  claim(): ExitSlot {
    let slot = this.slots[this.next];
    if (slot === undefined) {
      slot = emptySlot();
      this.slots.push(slot);
    }
    this.next = (this.next + 1) % this.capacity;
    this.total++;
    slot.durationNs = -1;
    slot.infoMask = 0;
    return slot;
  }

  /** The last `n` exits (default all kept), oldest first. */
  last(n = this.capacity): ExitSlot[] {
    const size = this.slots.length;
    const count = Math.min(n, size);
    const out: ExitSlot[] = [];
    // When not yet full, slots[0..size) are in order; when full, the oldest is at `next`.
    const oldest = size < this.capacity ? 0 : this.next;
    for (let i = size - count; i < size; i++) {
      const slot = this.slots[(oldest + i) % size];
      if (slot !== undefined) out.push(slot);
    }
    return out;
  }
}

/** Rings by key (a CPU number or a vCPU id); at most `maxKeys` rings, further keys are not kept. */
export class RingIndex {
  private readonly rings = new Map<number, ExitRing>();
  /** Exits whose key found no ring (past `maxKeys`). */
  dropped = 0;

  constructor(
    readonly capacity: number,
    readonly maxKeys = 256,
  ) {}

  ring(key: number): ExitRing | undefined {
    let ring = this.rings.get(key);
    if (ring === undefined) {
      if (this.rings.size >= this.maxKeys) {
        this.dropped++;
        return undefined;
      }
      ring = new ExitRing(this.capacity);
      this.rings.set(key, ring);
    }
    return ring;
  }

  /** The last `n` exits of `key`, oldest first (empty when none). */
  last(key: number, n?: number): ExitSlot[] {
    return this.rings.get(key)?.last(n) ?? [];
  }

  keys(): number[] {
    return [...this.rings.keys()].sort((a, b) => a - b);
  }
}
