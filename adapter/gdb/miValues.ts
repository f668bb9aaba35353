/**
 * Typed access to GDB/MI result values as gdb-js parses them: tuples are objects, lists are arrays,
 * constants are strings. Each accessor checks the shape and throws a clear error instead of returning
 * `undefined` deep inside the session.
 */
export type MIValue = string | MITuple | MIValue[];
export interface MITuple {
  readonly [key: string]: MIValue | undefined;
}

export class MIShapeError extends Error {
  constructor(what: string) {
    super(`unexpected GDB/MI result shape: ${what}`);
    this.name = 'MIShapeError';
  }
}

export function isTuple(value: unknown): value is MITuple {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field, or `undefined` when absent. */
export function optString(tuple: MITuple, key: string): string | undefined {
  const value = tuple[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new MIShapeError(`'${key}' is not a string`);
  return value;
}

/** A required string field. */
export function reqString(tuple: MITuple, key: string): string {
  const value = optString(tuple, key);
  if (value === undefined) throw new MIShapeError(`'${key}' is missing`);
  return value;
}

/** An optional decimal integer field. */
export function optInt(tuple: MITuple, key: string): number | undefined {
  const value = optString(tuple, key);
  return value === undefined ? undefined : Number.parseInt(value, 10);
}

/** A tuple field, or `undefined`. */
export function optTuple(tuple: MITuple, key: string): MITuple | undefined {
  const value = tuple[key];
  if (value === undefined) return undefined;
  if (!isTuple(value)) throw new MIShapeError(`'${key}' is not a tuple`);
  return value;
}

/**
 * A list field as an array of tuples. gdb-js turns a list of results (`[frame={...},frame={...}]`) into
 * `[{ name: 'frame', value: {...} }, ...]` and a list of values (`[{...},{...}]`) into bare tuples; both
 * come back here as the inner tuples.
 */
export function tupleList(tuple: MITuple, key: string): MITuple[] {
  const value = tuple[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MIShapeError(`'${key}' is not a list`);
  return value.map((item) => {
    if (!isTuple(item)) throw new MIShapeError(`an item of '${key}' is not a tuple`);
    const inner = item['value'];
    if (typeof item['name'] === 'string' && isTuple(inner)) return inner;
    return item;
  });
}

/** A list field of strings (e.g. `register-names`). */
export function stringList(tuple: MITuple, key: string): string[] {
  const value = tuple[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MIShapeError(`'${key}' is not a list`);
  return value.map((item) => {
    if (typeof item !== 'string') throw new MIShapeError(`an item of '${key}' is not a string`);
    return item;
  });
}

/** Quotes a value for an MI command line argument (C string syntax). */
export function quoteMI(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** Quotes a path for a gdb CLI command line (`add-symbol-file`, `set substitute-path`): as is unless it needs it. */
export function quoteCliPath(path: string): string {
  return /[\s"\\]/.test(path) ? `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : path;
}
