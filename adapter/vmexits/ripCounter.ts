/**
 * Counts exits per (guest RIP, reason) in bounded memory with the Misra–Gries frequent-items
 * algorithm: at most `capacity` counters; when a new pair finds them all taken, every counter is
 * decremented (and zeros dropped). Counts are exact while the distinct pairs fit in `capacity`;
 * after a decrement (`approximate`), each count is low by at most exits/(capacity+1), and every
 * pair with more than that many exits is still present.
 *
 * Storage is an open-addressing hash table in typed arrays (RIP as two u32 halves, reason id,
 * count), twice `capacity` slots, so a count costs a hash and a probe or two, no allocation.
 */
export class RipCounter {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly reason: Int32Array;
  private readonly count: Float64Array;
  private readonly mask: number;
  private readonly shift: number;
  private size = 0;
  /** True once a decrement has happened: counts are then lower bounds. */
  approximate = false;

  constructor(readonly capacity = 4096) {
    if (!(capacity >= 1 && capacity <= 1 << 24)) throw new RangeError('capacity must be 1..2^24');
    let bits = 1;
    while (1 << bits < capacity * 2) bits++;
    const slots = 1 << bits;
    this.mask = slots - 1;
    this.shift = 32 - bits;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.reason = new Int32Array(slots);
    this.count = new Float64Array(slots);
  }

  /** Counts one exit at RIP `hi:lo` (u32 halves) with reason `reasonId` (≥ 0). */
  add(hi: number, lo: number, reasonId: number): void {
    const mask = this.mask;
    let i = this.slot(hi, lo, reasonId);
    for (;;) {
      const c = this.count[i] as number;
      if (c === 0) break;
      if (this.lo[i] === lo && this.hi[i] === hi && this.reason[i] === reasonId) {
        this.count[i] = c + 1;
        return;
      }
      i = (i + 1) & mask;
    }
    if (this.size < this.capacity) {
      this.hi[i] = hi;
      this.lo[i] = lo;
      this.reason[i] = reasonId;
      this.count[i] = 1;
      this.size++;
      return;
    }
    this.approximate = true;
    this.decrementAll();
  }

  /** The home slot of a key (multiplicative hashing, top bits). */
  private slot(hi: number, lo: number, reasonId: number): number {
    return (
      Math.imul(lo ^ Math.imul(hi, 0x85ebca6b) ^ Math.imul(reasonId, 0xc2b2ae35), 0x9e3779b1) >>> this.shift
    );
  }

  /** Every tracked `[hi, lo, reasonId, count]`. */
  *entries(): Generator<[number, number, number, number]> {
    for (let i = 0; i <= this.mask; i++) {
      const c = this.count[i] as number;
      if (c > 0) yield [this.hi[i] as number, this.lo[i] as number, this.reason[i] as number, c];
    }
  }

  /** Decrements every counter and rebuilds the table without the zeros. */
  private decrementAll(): void {
    const kept: [number, number, number, number][] = [];
    for (const [h, l, r, c] of this.entries()) if (c > 1) kept.push([h, l, r, c - 1]);
    this.count.fill(0);
    this.size = 0;
    for (const [h, l, r, c] of kept) {
      this.add(h, l, r);
      this.setLast(h, l, r, c);
    }
  }

  private setLast(hi: number, lo: number, reasonId: number, c: number): void {
    const mask = this.mask;
    let i = this.slot(hi, lo, reasonId);
    while (!(this.lo[i] === lo && this.hi[i] === hi && this.reason[i] === reasonId)) i = (i + 1) & mask;
    this.count[i] = c;
  }
}
