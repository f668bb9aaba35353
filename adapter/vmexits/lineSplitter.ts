/**
 * Splits a stream of Buffers into lines without holding more than one line beyond the current
 * chunk: lines inside a chunk are passed as `(chunk, start, end)` views; only a line that straddles
 * chunks is copied. A line longer than `maxLineBytes` is passed truncated to that length with
 * `overlong` set, and its remainder is dropped, so memory stays bounded on input without newlines.
 * `\n` ends a line; a `\r` before it is dropped.
 */

/** Receives each line; `b[start, end)` is only valid during the call. */
export type LineSink = (b: Buffer, start: number, end: number, lineNo: number, overlong: boolean) => void;

export class LineSplitter {
  private carry: Buffer | null = null;
  /** Skipping the rest of an overlong line. */
  private dropping = false;
  private lineNo = 0;

  constructor(
    private readonly sink: LineSink,
    readonly maxLineBytes = 65536,
  ) {
    if (!(maxLineBytes >= 16)) throw new RangeError('maxLineBytes must be at least 16');
  }

  /** Lines seen so far. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    if (this.carry !== null || this.dropping) {
      const nl = chunk.indexOf(0x0a);
      const stop = nl < 0 ? len : nl;
      if (!this.dropping) {
        const carry = this.carry ?? Buffer.alloc(0);
        const room = this.maxLineBytes - carry.length;
        if (stop > room) {
          this.emitOverlong(Buffer.concat([carry, chunk.subarray(0, room)]));
        } else if (nl >= 0) {
          this.carry = null;
          const line =
            carry.length === 0 ? chunk.subarray(0, nl) : Buffer.concat([carry, chunk.subarray(0, nl)]);
          this.emit(line, 0, line.length, false);
        } else {
          this.carry = Buffer.concat([carry, chunk]);
        }
      }
      if (nl < 0) return;
      this.carry = null;
      this.dropping = false;
      pos = nl + 1;
    }
    const max = this.maxLineBytes;
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) break;
      if (nl - pos > max) this.emit(chunk, pos, pos + max, true);
      else this.emit(chunk, pos, nl, false);
      pos = nl + 1;
    }
    if (pos < len) {
      if (len - pos > max) {
        this.emitOverlong(Buffer.from(chunk.subarray(pos, pos + max)));
      } else {
        this.carry = Buffer.from(chunk.subarray(pos));
      }
    }
  }

  /** Flushes a final line that had no newline. */
  end(): void {
    if (this.carry !== null && !this.dropping && this.carry.length > 0) {
      const line = this.carry;
      this.carry = null;
      this.emit(line, 0, line.length, false);
    }
    this.carry = null;
    this.dropping = false;
  }

  private emitOverlong(line: Buffer): void {
    this.carry = null;
    this.dropping = true;
    this.emit(line, 0, line.length, true);
  }

  private emit(b: Buffer, start: number, end: number, overlong: boolean): void {
    if (end > start && b[end - 1] === 0x0d) end--;
    this.sink(b, start, end, ++this.lineNo, overlong);
  }
}
