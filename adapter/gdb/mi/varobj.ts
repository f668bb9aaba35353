/**
 * gdb variable objects (GDB manual, "GDB/MI Variable Objects"): the way to expand structs, unions,
 * arrays and pointers lazily. hvdbg creates them per stop and deletes them all on resume.
 */
import type { MiPort } from '../backend';
import { optString, quoteMI, reqString, tupleList, type MITuple } from '../miValues';

export interface VarObject {
  /** gdb's handle, e.g. `var3.arch.regs`. */
  readonly name: string;
  readonly expression: string;
  readonly value: string;
  readonly type: string | undefined;
  readonly childCount: number;
  /** gdb's `dynamic`/pseudo children (`public`, `private`) have no value of their own. */
  readonly isAccessSpecifier: boolean;
}

function parse(t: MITuple, expression: string): VarObject {
  const exp = optString(t, 'exp') ?? expression;
  return {
    name: reqString(t, 'name'),
    expression: exp,
    value: optString(t, 'value') ?? '',
    type: optString(t, 'type'),
    childCount: Number.parseInt(optString(t, 'numchild') ?? '0', 10),
    isAccessSpecifier: ['public', 'private', 'protected'].includes(exp) && optString(t, 'type') === undefined,
  };
}

/** Creates a variable object for `expression` evaluated in a frame. */
export async function createVar(
  gdb: MiPort,
  expression: string,
  threadId: number | undefined,
  level: number,
): Promise<VarObject> {
  const where = threadId === undefined ? '' : `--thread ${threadId} --frame ${level} `;
  const result = await gdb.mi(`-var-create ${where}- * ${quoteMI(expression)}`);
  return parse(result, expression);
}

export async function listChildren(gdb: MiPort, name: string): Promise<VarObject[]> {
  const result = await gdb.mi(`-var-list-children --all-values ${quoteMI(name)}`);
  return tupleList(result, 'children').map((child) => parse(child, ''));
}

/** The expression that names this variable object from the frame's scope (for watch and data breakpoints). */
export async function pathExpression(gdb: MiPort, name: string): Promise<string> {
  return reqString(await gdb.mi(`-var-info-path-expression ${quoteMI(name)}`), 'path_expr');
}

export async function assignVar(gdb: MiPort, name: string, value: string): Promise<string> {
  return reqString(await gdb.mi(`-var-assign ${quoteMI(name)} ${quoteMI(value)}`), 'value');
}

export async function deleteVar(gdb: MiPort, name: string): Promise<void> {
  await gdb.mi(`-var-delete ${quoteMI(name)}`);
}
