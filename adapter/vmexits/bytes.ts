/**
 * Byte-level readers for ASCII trace text held in Buffers. Each reader takes `(b, i, end)` and
 * returns the index after what it read, or -1 when the bytes do not match; numeric results go to
 * the module-level `num` scratch (the parser is synchronous, so one scratch suffices).
 */

/** Last value read: `dec` for decimals; `hi:lo` (two u32 halves) and `digits` for hex. */
export const num = { dec: 0, hi: 0, lo: 0, digits: 0 };

export function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** Hex digit values by byte, -1 for non-digits. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 256; c++) {
  if (c >= 0x30 && c <= 0x39) HEX[c] = c - 0x30;
  else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) HEX[c] = (c | 0x20) - 0x57;
}

/** Skips spaces and tabs. */
export function skipSpaces(b: Buffer, i: number, end: number): number {
  while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
  return i;
}

/** Matches the ASCII bytes of `lit` at `i`. */
export function lit(b: Buffer, i: number, end: number, lit: Uint8Array): number {
  const n = lit.length;
  if (i + n > end) return -1;
  for (let k = 0; k < n; k++) if (b[i + k] !== lit[k]) return -1;
  return i + n;
}

/** Encodes an ASCII literal once, for `lit`. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Reads an unsigned decimal of 1 to 15 digits into `num.dec`. */
export function dec(b: Buffer, i: number, end: number): number {
  let v = 0;
  const s = i;
  while (i < end) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
  }
  if (i === s || i - s > 15) return -1;
  num.dec = v;
  return i;
}

/** Reads a signed decimal (optional `-`) into `num.dec`. */
export function sdec(b: Buffer, i: number, end: number): number {
  const neg = b[i] === 0x2d;
  const j = dec(b, neg ? i + 1 : i, end);
  if (j >= 0 && neg) num.dec = -num.dec;
  return j;
}

/**
 * Reads hex digits, with an optional `0x` prefix, into `num.hi`/`num.lo`; `num.digits` counts the
 * digits read. Fails on no digits or a value wider than 64 bits.
 */
export function hex(b: Buffer, i: number, end: number): number {
  if (b[i] === 0x30 && (b[i + 1] === 0x78 || b[i + 1] === 0x58)) i += 2;
  let hi = 0;
  let lo = 0;
  const s = i;
  while (i < end) {
    const d = HEX[b[i] as number] as number;
    if (d < 0) break;
    if (hi >= 0x10000000) return -1;
    hi = hi * 16 + (lo >>> 28);
    lo = ((lo << 4) | d) >>> 0;
    i++;
  }
  if (i === s) return -1;
  num.hi = hi;
  num.lo = lo;
  num.digits = i - s;
  return i;
}

/** Whether `b[i, i + n)` are all hex digits. */
export function allHex(b: Buffer, i: number, n: number): boolean {
  let v = 0;
  for (let k = i + n - 1; k >= i; k--) v |= HEX[b[k] as number] as number;
  return v >= 0;
}

/** `hi:lo` as a bigint. */
export function toBig(hi: number, lo: number): bigint {
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** The line for diagnostics: at most `max` characters, control and non-ASCII bytes as `\xNN`. */
export function printable(b: Buffer, start: number, end: number, max = 160): string {
  let out = '';
  for (let i = start; i < end && out.length < max; i++) {
    const c = b[i] as number;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out.length > max ? out.slice(0, max) : out;
}
