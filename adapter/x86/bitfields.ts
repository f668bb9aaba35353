/**
 * Generic declarative bit-field model for x86 registers (control registers, MSRs, flags, selectors).
 * Pure functions over `bigint` register values; no register-specific knowledge lives here.
 */

/** How a field value is rendered: decimal, hex, or as an address (`value << lsb`, in hex). */
export type FieldFormat = 'dec' | 'hex' | 'address';

/** One named bit range of a register, using the manual's name for it. */
export interface BitField {
  /** The manual's name, e.g. `PG`, `IOPL`, `R/W0`. */
  readonly name: string;
  /** Least-significant bit number (0-based). */
  readonly lsb: number;
  /** Width in bits (1 for a flag). */
  readonly width: number;
  readonly description: string;
  /** Meanings of enumerated values, e.g. RFLAGS.IOPL 0..3. */
  readonly values?: Readonly<Record<number, string>>;
  /** Architecturally reserved (e.g. RFLAGS bit 1, which reads as 1); left out of summaries. */
  readonly reserved?: boolean;
  /** Default: `dec` for 1-bit or enumerated fields, `hex` otherwise. */
  readonly format?: FieldFormat;
}

/** A register layout: its fields plus the register's name, width and manual source. */
export interface Layout {
  readonly name: string;
  /** Register width in bits (32 or 64). */
  readonly bits: number;
  /** Manual reference, e.g. "Intel SDM Vol. 3A §2.5". */
  readonly source: string;
  /** Fields in ascending `lsb` order, non-overlapping. */
  readonly fields: readonly BitField[];
}

/** One field of a decoded register value. */
export interface DecodedField {
  readonly name: string;
  readonly lsb: number;
  readonly width: number;
  /** The field's bits, shifted down: `(value >> lsb) & (2^width - 1)`. */
  readonly raw: bigint;
  /** The field's semantic value: `raw` for plain fields, `raw << lsb` for `address` fields. */
  readonly value: bigint;
  /** e.g. `PG=1`, `IOPL=0`, `PCID=0x0`, `base=0x1000`. */
  readonly display: string;
  readonly description: string;
  /** Meaning of `raw` from the field's `values` table, when it has one. */
  readonly meaning?: string;
  readonly reserved: boolean;
}

function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

function formatOf(field: BitField): FieldFormat {
  return field.format ?? (field.width === 1 || field.values !== undefined ? 'dec' : 'hex');
}

/**
 * Builds a layout, sorting the fields and checking they fit the register and do not overlap.
 * @throws RangeError on a field outside `0..bits-1`, a non-positive width, overlap or a duplicate name.
 */
export function defineLayout(
  name: string,
  bits: number,
  source: string,
  fields: readonly BitField[],
): Layout {
  const sorted = [...fields].sort((a, b) => a.lsb - b.lsb);
  const names = new Set<string>();
  let next = 0;
  for (const f of sorted) {
    if (!Number.isInteger(f.lsb) || !Number.isInteger(f.width) || f.width < 1 || f.lsb + f.width > bits) {
      throw new RangeError(`${name}: field ${f.name} (lsb ${f.lsb}, width ${f.width}) outside ${bits} bits`);
    }
    if (f.lsb < next) throw new RangeError(`${name}: field ${f.name} overlaps the previous field`);
    if (names.has(f.name)) throw new RangeError(`${name}: duplicate field name ${f.name}`);
    names.add(f.name);
    next = f.lsb + f.width;
  }
  return { name, bits, source, fields: sorted };
}

/** Extracts a field's raw bits from a register value. */
export function fieldRaw(field: BitField, value: bigint): bigint {
  return (value >> BigInt(field.lsb)) & mask(field.width);
}

/** Decodes every field of `value` (ascending bit order). */
export function decode(layout: Layout, value: bigint): DecodedField[] {
  return layout.fields.map((f) => {
    const raw = fieldRaw(f, value);
    const format = formatOf(f);
    const semantic = format === 'address' ? raw << BigInt(f.lsb) : raw;
    const text = format === 'dec' ? semantic.toString() : `0x${semantic.toString(16)}`;
    const meaning = f.values?.[Number(raw)];
    return {
      name: f.name,
      lsb: f.lsb,
      width: f.width,
      raw,
      value: semantic,
      display: `${f.name}=${text}`,
      description: f.description,
      ...(meaning === undefined ? {} : { meaning }),
      reserved: f.reserved === true,
    };
  });
}

/**
 * One-line summary in gdb's flags style: the names of set 1-bit fields and `NAME=value` for non-zero
 * multi-bit fields, ascending bit order, reserved fields omitted, e.g. `[PE MP ET NE WP AM PG]`.
 */
export function formatSummary(layout: Layout, value: bigint): string {
  const parts = decode(layout, value)
    .filter((d) => !d.reserved && d.raw !== 0n)
    .map((d) => (d.width === 1 ? d.name : d.display));
  return `[${parts.join(' ')}]`;
}

/** Bits set in `value` (within the register width) that no non-reserved field defines. */
export function undefinedBits(layout: Layout, value: bigint): bigint {
  let defined = 0n;
  for (const f of layout.fields) if (f.reserved !== true) defined |= mask(f.width) << BigInt(f.lsb);
  return value & mask(layout.bits) & ~defined;
}

/**
 * Returns `value` with field `fieldName` replaced by `newFieldValue` (the field's semantic value, as
 * shown in `DecodedField.value`: for `address` fields the address, which must be aligned to `2^lsb`).
 * @throws RangeError if the field is unknown, the value is negative, misaligned or does not fit.
 */
export function withField(layout: Layout, value: bigint, fieldName: string, newFieldValue: bigint): bigint {
  const f = layout.fields.find((x) => x.name === fieldName);
  if (f === undefined) {
    const known = layout.fields.map((x) => x.name).join(', ');
    throw new RangeError(`${layout.name} has no field named '${fieldName}' (fields: ${known})`);
  }
  const shift = BigInt(f.lsb);
  let raw = newFieldValue;
  if (formatOf(f) === 'address') {
    if ((newFieldValue & mask(f.lsb)) !== 0n) {
      throw new RangeError(
        `${layout.name}.${f.name}: 0x${newFieldValue.toString(16)} is not aligned to ${2n ** shift}`,
      );
    }
    raw = newFieldValue >> shift;
  }
  if (newFieldValue < 0n || raw > mask(f.width)) {
    throw new RangeError(
      `${layout.name}.${f.name}: ${newFieldValue} does not fit in ${f.width} bit${f.width === 1 ? '' : 's'} (bits ${f.lsb + f.width - 1}:${f.lsb})`,
    );
  }
  return (value & ~(mask(f.width) << shift)) | (raw << shift);
}

/**
 * Parses a field value typed by a user: decimal (`1`), hex (`0x1f`), binary (`0b101`), `true`/`false`.
 * Case-insensitive, surrounding blanks and `_` digit separators ignored.
 * @throws SyntaxError if the text is none of those (negative numbers included).
 */
export function parseFieldValue(text: string): bigint {
  const t = text.trim().toLowerCase().replace(/_/g, '');
  if (t === 'true') return 1n;
  if (t === 'false') return 0n;
  if (/^(0x[0-9a-f]+|0b[01]+|0o[0-7]+|[0-9]+)$/.test(t)) return BigInt(t);
  throw new SyntaxError(`'${text}' is not a field value (expected e.g. 1, 0x1f, 0b101, true or false)`);
}
