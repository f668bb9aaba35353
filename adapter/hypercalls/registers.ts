/**
 * Register values as gdb reports them (`rax`, `eax`, any case), read the way a hypercall ABI needs them.
 */

const WIDE: Readonly<Record<string, string>> = {
  eax: 'rax',
  ebx: 'rbx',
  ecx: 'rcx',
  edx: 'rdx',
  esi: 'rsi',
  edi: 'rdi',
  ebp: 'rbp',
};
const NARROW: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(WIDE).map(([n, w]) => [w, n]),
);

const MASK32 = 0xffffffffn;
const MASK64 = 0xffffffffffffffffn;

/** A case-insensitive view of a register record. */
export class RegisterFile {
  private readonly values = new Map<string, bigint>();

  constructor(
    registers: Readonly<Record<string, bigint>>,
    readonly bitness: 32 | 64,
  ) {
    for (const [name, value] of Object.entries(registers))
      this.values.set(name.toLowerCase(), value & MASK64);
  }

  /**
   * The value of `name`: a 32-bit name (`eax`) falls back to the low half of its 64-bit register and a
   * 64-bit name to its 32-bit register (a 32-bit target); in 32-bit mode the value is truncated to 32 bits.
   * Undefined when the record has neither.
   */
  get(name: string): bigint | undefined {
    const key = name.toLowerCase();
    let value = this.values.get(key);
    if (value === undefined) {
      const wide = WIDE[key];
      const narrow = NARROW[key];
      if (wide !== undefined) value = mask(this.values.get(wide), MASK32);
      else if (narrow !== undefined) value = this.values.get(narrow);
    }
    return this.bitness === 32 ? mask(value, MASK32) : value;
  }

  /** How to show `name` in this mode: the 32-bit spelling (`ebx` for `rbx`) in 32-bit mode. */
  display(name: string): string {
    const key = name.toLowerCase();
    return this.bitness === 32 ? (NARROW[key] ?? key) : key;
  }

  /** The low 32 bits of `name`. */
  get32(name: string): bigint | undefined {
    return mask(this.get(name), MASK32);
  }
}

function mask(value: bigint | undefined, m: bigint): bigint | undefined {
  return value === undefined ? undefined : value & m;
}

/** `0x…` for a register value. */
export const hex = (value: bigint | number): string => `0x${value.toString(16)}`;

/** `value` as a two's-complement signed number of `bits` bits. */
export function toSigned(value: bigint, bits: 32 | 64): bigint {
  return BigInt.asIntN(bits, value);
}
