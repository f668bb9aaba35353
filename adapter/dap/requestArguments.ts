/**
 * The shape of every DAP request's arguments, checked once where requests enter the adapter (the
 * session's dispatch), before any service sees them. The services then read typed fields: a `threadId`
 * that is a string with a newline never reaches a gdb/MI command line, a missing `source` is no
 * TypeError. Only what hvdbg reads is checked; fields it does not know are allowed (DAP grows, clients
 * add their own). `attach` and `launch` are checked by their own schema (adapter/protocol/config.ts).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { UserInputError } from '../debugger/userInputError';

type Schema = Record<string, unknown>;

/** JSON has no 64-bit integers: ids and counts beyond 2^53 are not integers a client can mean. */
const int = { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
const count = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const str = { type: 'string' };
const bool = { type: 'boolean' };
const obj = { type: 'object' };

function args(properties: Record<string, Schema>, required: string[] = []): Schema {
  return { type: 'object', required, properties };
}

function list(item: Schema): Schema {
  return { type: 'array', items: item };
}

const source = args({ path: str, name: str, sourceReference: int });
const stepping = args(
  { threadId: int, singleThread: bool, granularity: { enum: ['statement', 'line', 'instruction'] } },
  ['threadId'],
);

const SCHEMAS: Readonly<Record<string, Schema>> = {
  initialize: args({
    adapterID: str,
    clientID: str,
    pathFormat: str,
    linesStartAt1: bool,
    columnsStartAt1: bool,
    supportsProgressReporting: bool,
  }),
  disconnect: args({ restart: bool, terminateDebuggee: bool, suspendDebuggee: bool }),
  terminate: args({ restart: bool }),
  configurationDone: args({}),
  threads: args({}),
  stackTrace: args({ threadId: int, startFrame: count, levels: count, format: obj }, ['threadId']),
  scopes: args({ frameId: int }, ['frameId']),
  variables: args(
    {
      variablesReference: int,
      filter: { enum: ['indexed', 'named'] },
      start: count,
      count,
      format: obj,
    },
    ['variablesReference'],
  ),
  setVariable: args({ variablesReference: int, name: str, value: str, format: obj }, [
    'variablesReference',
    'name',
    'value',
  ]),
  evaluate: args({ expression: str, frameId: int, context: str, format: obj }, ['expression']),
  completions: args({ text: str, column: int, line: int, frameId: int }, ['text', 'column']),
  continue: args({ threadId: int, singleThread: bool }),
  next: stepping,
  stepIn: { ...stepping, properties: { ...(stepping['properties'] as Schema), targetId: int } },
  stepOut: stepping,
  pause: args({ threadId: int }),
  setBreakpoints: args(
    {
      source,
      breakpoints: list(
        args({ line: int, column: int, condition: str, hitCondition: str, logMessage: str }, ['line']),
      ),
      lines: list(int),
      sourceModified: bool,
    },
    ['source'],
  ),
  setFunctionBreakpoints: args(
    { breakpoints: list(args({ name: str, condition: str, hitCondition: str }, ['name'])) },
    ['breakpoints'],
  ),
  setInstructionBreakpoints: args(
    {
      breakpoints: list(
        args({ instructionReference: str, offset: int, condition: str, hitCondition: str }, [
          'instructionReference',
        ]),
      ),
    },
    ['breakpoints'],
  ),
  dataBreakpointInfo: args({ variablesReference: int, name: str, frameId: int }, ['name']),
  setDataBreakpoints: args(
    {
      breakpoints: list(
        args(
          {
            dataId: str,
            accessType: { enum: ['read', 'write', 'readWrite'] },
            condition: str,
            hitCondition: str,
          },
          ['dataId'],
        ),
      ),
    },
    ['breakpoints'],
  ),
  disassemble: args(
    {
      memoryReference: str,
      offset: int,
      instructionOffset: int,
      instructionCount: count,
      resolveSymbols: bool,
    },
    ['memoryReference', 'instructionCount'],
  ),
  readMemory: args({ memoryReference: str, offset: int, count }, ['memoryReference', 'count']),
  writeMemory: args({ memoryReference: str, offset: int, allowPartial: bool, data: str }, [
    'memoryReference',
    'data',
  ]),
  modules: args({ startModule: count, moduleCount: count }),
};

/**
 * The longest string any request may carry (64 KiB), writeMemory's data aside: gdb takes seconds to look
 * up a megabyte-long name (10 s for 1 MB on the lab, everything else waiting), and no expression,
 * condition, path or console line is that long.
 */
export const MAX_STRING = 64 * 1024;
/** writeMemory's base64 data: up to what MemoryService writes at once (16 MiB). */
const MAX_DATA = Math.ceil((16 * 2 ** 20) / 3) * 4;

/** The first string in `value` longer than allowed, as its path (`breakpoints.0.condition`). */
function overlong(command: string, value: unknown): { path: string; length: number } | undefined {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [item, path] = stack.pop() as [unknown, string];
    if (typeof item === 'string') {
      const max = command === 'writeMemory' && path === 'data' ? MAX_DATA : MAX_STRING;
      if (item.length > max) return { path, length: item.length };
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, inner] of Object.entries(item))
        stack.push([inner, path === '' ? key : `${path}.${key}`]);
    }
  }
  return undefined;
}

const ajv = new Ajv({ allErrors: false, strict: false });
/** Each schema compiled the first time its request comes (compiling all at start cost the attach ~50 ms). */
const validators = new Map<string, ValidateFunction>();

function validatorOf(command: string): ValidateFunction | undefined {
  let validate = validators.get(command);
  // Own properties only: a client's command may be `constructor` or `__proto__`.
  const schema = Object.hasOwn(SCHEMAS, command) ? SCHEMAS[command] : undefined;
  if (validate === undefined && schema !== undefined) {
    validate = ajv.compile(schema);
    validators.set(command, validate);
  }
  return validate;
}

function describe(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    return `"${path === '' ? missing : `${path}.${missing}`}" is required`;
  }
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  const detail =
    allowed === undefined ? (error.message ?? 'is invalid') : `must be one of ${allowed.join(', ')}`;
  return path === '' ? `the arguments ${detail}` : `"${path}" ${detail}`;
}

/**
 * Throws a {@link UserInputError} naming the field when `args` (a request's `arguments`, `{}` when the
 * request had none) do not have the shape hvdbg reads. Requests not listed here (hvdbg's own, which
 * check their arguments themselves, and those hvdbg does not implement) only need to be an object, and
 * no request's strings may be longer than {@link MAX_STRING}.
 */
export function checkRequestArguments(command: string, args: unknown): void {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new UserInputError(`Invalid '${command}' request: its arguments must be an object.`);
  }
  const long = overlong(command, args);
  if (long !== undefined)
    throw new UserInputError(
      `Invalid '${command}' request: "${long.path}" is ${long.length} characters long (at most ${MAX_STRING}).`,
    );
  const validate = validatorOf(command);
  if (validate === undefined || validate(args)) return;
  const first = validate.errors?.[0];
  throw new UserInputError(
    `Invalid '${command}' request: ${first === undefined ? 'unknown error' : describe(first)}.`,
  );
}
