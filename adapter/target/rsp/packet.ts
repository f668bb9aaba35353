/**
 * GDB Remote Serial Protocol framing (gdb manual, "Remote Protocol" / "Overview"): `$payload#cs` packets
 * with a two-hex-digit modulo-256 checksum, `}`-escaping of `$ # } *` (XOR 0x20), run-length encoding
 * in replies (`X*n` repeats X n-29 times), `+`/`-` acknowledgements and the 0x03 interrupt byte.
 */

/** One unit of a byte stream in either direction. */
export type RspUnit =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' }
  | { readonly kind: 'interrupt' }
  /** A packet: `body` is the bytes between `$` and `#` as sent (escaped); `sum` the checksum it carried. */
  | { readonly kind: 'packet'; readonly body: Buffer; readonly sum: number };

const DOLLAR = 0x24;
const HASH = 0x23;
const ESCAPE = 0x7d;
const STAR = 0x2a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const INTERRUPT = 0x03;

function checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return sum;
}

/** Frames `payload` as a packet, escaping the bytes the protocol reserves. */
export function encodePacket(payload: string | Uint8Array): Buffer {
  const raw = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const out: number[] = [DOLLAR];
  for (const byte of raw) {
    if (byte === DOLLAR || byte === HASH || byte === ESCAPE || byte === STAR) out.push(ESCAPE, byte ^ 0x20);
    else out.push(byte);
  }
  const body = Buffer.from(out);
  const sum = checksum(body, 1);
  return Buffer.concat([body, Buffer.from(`#${sum.toString(16).padStart(2, '0')}`, 'latin1')]);
}

/** True when a packet's body matches the checksum it carried. */
export function checksumMatches(body: Uint8Array, sum: number): boolean {
  return checksum(body) === sum;
}

/** Expands escapes and run-length encoding of a received packet body (between `$` and `#`). */
export function decodeBody(body: Uint8Array): Buffer {
  // Most replies (hex memory, registers) use neither escapes nor run-length encoding: copy them as is.
  if (body.indexOf(ESCAPE) < 0 && body.indexOf(STAR) < 0) return Buffer.from(body);
  const out = Buffer.allocUnsafe(body.length * 2 + 16);
  let n = 0;
  let buffer = out;
  const push = (byte: number): void => {
    if (n === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, n);
      buffer = bigger;
    }
    buffer[n++] = byte;
  };
  for (let i = 0; i < body.length; i++) {
    const byte = body[i] ?? 0;
    if (byte === ESCAPE && i + 1 < body.length) {
      push((body[++i] ?? 0) ^ 0x20);
    } else if (byte === STAR && n > 0 && i + 1 < body.length) {
      const repeat = (body[++i] ?? 29) - 29;
      const previous = buffer[n - 1] ?? 0;
      for (let r = 0; r < repeat; r++) push(previous);
    } else {
      push(byte);
    }
  }
  return buffer.subarray(0, n);
}

/**
 * Splits a byte stream into acknowledgements, interrupts and packets, across chunk boundaries. Bytes
 * outside a packet that are none of `+ - 0x03` are ignored, as stubs do.
 */
export class RspScanner {
  private pending: Buffer | undefined;

  /** Bytes of an unfinished packet kept for the next chunk. */
  get partial(): Buffer | undefined {
    return this.pending;
  }

  /** Feeds a chunk; returns the complete units it finished, in order. */
  push(chunk: Buffer): RspUnit[] {
    const data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    const units: RspUnit[] = [];
    let i = 0;
    while (i < data.length) {
      const byte = data[i];
      if (byte === PLUS) units.push({ kind: 'ack' });
      else if (byte === MINUS) units.push({ kind: 'nack' });
      else if (byte === INTERRUPT) units.push({ kind: 'interrupt' });
      else if (byte === DOLLAR) {
        const hash = data.indexOf(HASH, i + 1);
        if (hash < 0 || hash + 2 >= data.length) {
          this.pending = data.subarray(i);
          return units;
        }
        const sum = Number.parseInt(data.toString('latin1', hash + 1, hash + 3), 16);
        units.push({ kind: 'packet', body: data.subarray(i + 1, hash), sum });
        i = hash + 3;
        continue;
      }
      i++;
    }
    return units;
  }
}

/** The bytes of a scanned unit as they were on the wire. */
export function frameOf(unit: RspUnit): Buffer {
  switch (unit.kind) {
    case 'ack':
      return Buffer.from('+');
    case 'nack':
      return Buffer.from('-');
    case 'interrupt':
      return Buffer.from([INTERRUPT]);
    case 'packet':
      return Buffer.concat([
        Buffer.from('$'),
        unit.body,
        Buffer.from(`#${unit.sum.toString(16).padStart(2, '0')}`, 'latin1'),
      ]);
  }
}

/** True for a stop reply (gdb manual, "Stop Reply Packets"): the answer to `?`, `c`, `s`, `vCont`. */
export function isStopReply(body: Buffer): boolean {
  const first = body[0];
  // S, T: signal; W, X: exited; N: no resumed threads. `O` output and `F` file-I/O requests are not final.
  return first === 0x53 || first === 0x54 || first === 0x57 || first === 0x58 || first === 0x4e;
}

/** True when a request from the debugger resumes the target, so that its reply is a later stop reply. */
export function isResumeRequest(body: Buffer): boolean {
  const first = body[0];
  if (first === 0x63 || first === 0x73 || first === 0x43 || first === 0x53) return true; // c s C S
  return body.length >= 6 && body.toString('latin1', 0, 6) === 'vCont;';
}
