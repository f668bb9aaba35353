/**
 * Interning of `kvm_exit` reason texts straight from the input bytes, so the hot path neither
 * decodes nor allocates a string per line. Bounded: at most `maxKeys` distinct reasons (further ones
 * share `overflow`) and `maxCache` cached texts (further texts are read each time, still correctly).
 */
import type { ExitIsa, ExitReasonInfo } from './reasonTypes';
import { readReasonText } from './reasons';

/** One distinct base exit reason; `id` is dense from 0 within an interner. */
export interface ReasonKey {
  readonly id: number;
  readonly name: string;
  readonly isa: ExitIsa;
  readonly code: number | null;
  readonly info: ExitReasonInfo | null;
}

/** A reason text resolved to its base reason plus the VMX flag bits printed with it. */
export interface InternedReason {
  readonly key: ReasonKey;
  readonly flags: number;
}

const TABLE = 1024;

interface Slot {
  readonly bytes: Buffer;
  readonly value: InternedReason | null;
  next: Slot | null;
}

export class ReasonInterner {
  private readonly keys: ReasonKey[] = [];
  private readonly byName = new Map<string, ReasonKey>();
  /** Cached texts by hash bucket (`TABLE` buckets, chained). */
  private readonly table: (Slot | null)[] = new Array<Slot | null>(TABLE).fill(null);
  private cached = 0;
  /** Shared by every reason past `maxKeys`; its id is `maxKeys`, so ids stay below `maxKeys + 1`. */
  readonly overflow: ReasonKey;

  constructor(
    readonly maxKeys = 1024,
    private readonly maxCache = 4096,
  ) {
    this.overflow = { id: maxKeys, name: '(other reasons)', isa: 'unknown', code: null, info: null };
  }

  /** All keys handed out so far, by id. */
  allKeys(): readonly ReasonKey[] {
    return this.keys;
  }

  /** The key for a base reason, creating it (or returning `overflow` when full). */
  key(name: string, isa: ExitIsa, code: number | null, info: ExitReasonInfo | null): ReasonKey {
    const k = `${isa}\u0000${name}`;
    const found = this.byName.get(k);
    if (found !== undefined) return found;
    if (this.keys.length >= this.maxKeys) return this.overflow;
    const key: ReasonKey = { id: this.keys.length, name, isa, code, info };
    this.keys.push(key);
    this.byName.set(k, key);
    return key;
  }

  /** Resolves reason text; null when it is not a well-formed reason. */
  internText(text: string): InternedReason | null {
    const r = readReasonText(text);
    if (r === null) return null;
    return { key: this.key(r.name, r.isa, r.code, r.info), flags: r.flags };
  }

  /** Resolves the reason text in `b[start, end)`; null when it is not a well-formed reason. */
  internBytes(b: Buffer, start: number, end: number): InternedReason | null {
    // Bucket by length and a few bytes; chains resolve collisions by comparing the bytes.
    const n = end - start;
    const h =
      n === 0
        ? 0
        : n * 0x9e3 +
          (b[start] as number) * 31 +
          (b[start + (n >> 1)] as number) * 7 +
          (b[end - 1] as number);
    const bucket = h & (TABLE - 1);
    const head = this.table[bucket] ?? null;
    for (let s = head; s !== null; s = s.next) {
      if (sameBytes(s.bytes, b, start, end)) return s.value;
    }
    const value = end - start > 96 ? null : this.internText(b.toString('latin1', start, end));
    if (this.cached < this.maxCache) {
      this.table[bucket] = { bytes: Buffer.from(b.subarray(start, end)), value, next: head };
      this.cached++;
    }
    return value;
  }
}

function sameBytes(a: Buffer, b: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}
