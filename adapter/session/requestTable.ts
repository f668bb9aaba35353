/**
 * hvdbg's custom DAP requests, one table: each registered with its declaration (adapter/protocol/), its
 * arguments checked once against the declaration's schema with ajv before the handler sees them, so
 * that handlers read typed fields and no feature parses arguments by hand. A bad argument is the
 * client's error (UserInputError), named with the field and what it must be.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { CustomRequest } from '../protocol/customRequests';
import { UserInputError } from '../debugger/userInputError';

interface Entry {
  readonly schema: CustomRequest<unknown, object>['schema'];
  /** Compiled the first time the request comes: compiling every schema at attach cost it ~20 ms. */
  validate?: ValidateFunction;
  readonly handler: (args: never) => Promise<object>;
}

const ajv = new Ajv({ allErrors: false, strict: false });

/** `"threadId" must be integer` from ajv's first error. */
function describe(command: string, errors: readonly ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (e === undefined) return `${command}: invalid arguments`;
  const field = e.instancePath === '' ? '' : `"${e.instancePath.slice(1).replace(/\//g, '.')}" `;
  if (e.keyword === 'required')
    return `${command}: "${String((e.params as { missingProperty?: string }).missingProperty)}" is required`;
  return `${command}: ${field === '' ? 'the arguments ' : field}${e.message ?? 'are invalid'}`;
}

export class RequestTable {
  private readonly entries = new Map<string, Entry>();

  /** Registers the handler of a declared request (a second registration replaces the first). */
  add<A, B extends object>(request: CustomRequest<A, B>, handler: (args: A) => Promise<B>): void {
    this.entries.set(request.command, { schema: request.schema, handler });
  }

  has(command: string): boolean {
    return this.entries.has(command);
  }

  /** Runs a request: `undefined` arguments are `{}`; rejects with UserInputError when they do not fit. */
  async run(command: string, raw: unknown): Promise<object> {
    const entry = this.entries.get(command);
    if (entry === undefined) throw new UserInputError(`unknown request '${command}'`);
    const args = raw ?? {};
    entry.validate ??= ajv.compile(entry.schema);
    if (!entry.validate(args)) throw new UserInputError(describe(command, entry.validate.errors));
    return (entry.handler as (args: unknown) => Promise<object>)(args);
  }

  get commands(): string[] {
    return [...this.entries.keys()];
  }
}
