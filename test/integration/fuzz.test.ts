/**
 * DAP input fuzzing of the real adapter (dist/adapter.js), seeded: before attach and attached to the lab
 * guest, requests with missing, wrong-typed, huge or unknown fields, unknown commands, requests out of
 * order, references that never existed, hvdbg's custom requests with garbage, and malformed messages.
 * Every request must be answered within {@link RESPONSE_BOUND_MS}, with an error that is not an internal
 * one (or a valid answer), and after each batch the adapter must still serve a real client (threads,
 * stackTrace, evaluate of `jiffies`).
 *
 * Replay a failure with its seed: `HVDBG_FUZZ_SEED=0x... node --test out/test/integration/fuzz.test.js`
 * (the seed is in every failure message). `HVDBG_FUZZ_BATCHES` scales the run.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { prng } from '../../bench/vmexits/genTrace';
import { ERROR_IDS } from '../../adapter/dap/errors';
import type { DiagnosticsBody } from '../../adapter/debugger/diagnostics';
import { bootLab, type Lab } from '../lab/lab';
import { adapterPid, attach, isAlive, labAttachConfig, startClient } from './support/session';

/** No request may take longer than this to be answered (ms). */
const RESPONSE_BOUND_MS = 5000;
const DEFAULT_SEED = 0x5eed_f022;
const SEED = Number(process.env['HVDBG_FUZZ_SEED'] ?? DEFAULT_SEED) >>> 0;
const SCALE = Number(process.env['HVDBG_FUZZ_BATCHES'] ?? 1);
const BATCHES_BEFORE_ATTACH = Math.round(8 * SCALE);
const BATCHES_ATTACHED = Math.round(40 * SCALE);
const REQUESTS_PER_BATCH = 16;
/** The id DebugSession gives a request whose handler threw synchronously (its message is a stack). */
const LIBRARY_CAUGHT_ID = 1104;

/** Collect every bad answer and report them together at the end of a test (for fixing many at once). */
const KEEP_GOING = process.env['HVDBG_FUZZ_KEEP_GOING'] === '1';

const seedText = `seed 0x${SEED.toString(16)} (replay: HVDBG_FUZZ_SEED=0x${SEED.toString(16)})`;

// ---------------------------------------------------------------------------------------------------
// Values

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MEGABYTE = 'A'.repeat(1 << 20);

function nested(depth: number): Json {
  let value: Json = { end: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const NUMBERS: readonly number[] = [
  0,
  1,
  -1,
  2,
  7,
  987654,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  1e9,
  1e308,
  -1e308,
  1.5,
  -0.5,
];

const STRINGS: readonly string[] = [
  '',
  ' ',
  'x',
  'jiffies',
  '$rip',
  '$pc',
  '0',
  '0x0',
  '-1',
  '1e9',
  '0xffffffffffffffff',
  `0x${'f'.repeat(40)}`,
  'phys:0x0',
  'phys:',
  'phys:zz',
  'phys:0xffffffffffffffff',
  'unix:/nonexistent/hvdbg-fuzz.sock',
  '/nonexistent/hvdbg-fuzz',
  '../../../../etc/passwd',
  '/etc/passwd',
  '/dev/null',
  '"',
  '\\',
  "'",
  '{_stack}',
  '{0}',
  '%s%s%n',
  '\u0000',
  '\ud800',
  'é∑😀',
  '1\n-gdb-exit',
  'jiffies\n-gdb-exit',
  '"\n-gdb-exit\n"',
  'jiffies\r-gdb-exit',
  '\\"; -gdb-exit',
  '*(long *)0',
  'init_task.comm',
  '((struct task_struct *)0)->comm',
  'a'.repeat(5000),
  MEGABYTE,
];

const OTHERS: readonly Json[] = [
  null,
  true,
  false,
  [],
  {},
  [1, 2, 3],
  { a: 1 },
  ['x', null],
  nested(100),
  [MEGABYTE],
];

class Fuzz {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    const item = list[this.int(list.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  number(): number {
    return this.pick(NUMBERS);
  }
  string(): string {
    return this.pick(STRINGS);
  }
  /** A value of the same JSON type as `like` (past a schema, into the service): wrong, not ill-typed. */
  like(like: Json): Json {
    if (typeof like === 'number') return this.number();
    if (typeof like === 'string') return this.string();
    if (typeof like === 'boolean') return !like;
    if (Array.isArray(like)) return this.chance(0.5) ? [] : [like[0] ?? null, like[0] ?? null, ...like];
    return this.any();
  }
  /** Any JSON value, weighted towards numbers and strings. */
  any(): Json {
    const r = this.next();
    if (r < 0.35) return this.number();
    if (r < 0.75) return this.string();
    // A copy: a later mutation of it must not change the pool (or make a cycle).
    return JSON.parse(JSON.stringify(this.pick(OTHERS))) as Json;
  }
}

/** A field left out of the arguments. */
const ABSENT = Symbol('absent');
type Args = Record<string, Json> | Json | typeof ABSENT;

const UNKNOWN_FIELDS = ['bogus', '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''];

/** Mutates a plausible argument object 1-3 times (or replaces it with something that is no object). */
function mutate(f: Fuzz, base: Record<string, Json>): Args {
  const roll = f.next();
  if (roll < 0.06) return ABSENT;
  if (roll < 0.12) return f.pick<Json>([null, 'x', 42, [], [base], true, MEGABYTE]);
  const args: Record<string, Json> = JSON.parse(JSON.stringify(base)) as Record<string, Json>;
  const keys = Object.keys(args);
  const times = 1 + f.int(3);
  for (let i = 0; i < times; i++) {
    const op = f.next();
    const key = keys.length > 0 ? f.pick(keys) : undefined;
    const value = key === undefined ? undefined : args[key];
    if (key === undefined || value === undefined) args[f.pick(UNKNOWN_FIELDS)] = f.any();
    else if (op < 0.4) args[key] = f.like(value);
    else if (op < 0.6) args[key] = f.any();
    else if (op < 0.72) delete args[key];
    else if (op < 0.8) args[f.pick(UNKNOWN_FIELDS)] = f.any();
    else {
      // One level down: an array's first item or an object's field, same type or not.
      const inner = Array.isArray(value)
        ? value
        : typeof value === 'object' && value !== null
          ? value
          : undefined;
      if (Array.isArray(inner) && inner.length > 0) {
        const item = inner[0];
        if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
          const itemKeys = Object.keys(item);
          const itemKey = itemKeys.length > 0 ? f.pick(itemKeys) : 'x';
          item[itemKey] = f.chance(0.6) ? f.like(item[itemKey] ?? null) : f.any();
        } else inner[0] = f.any();
      } else if (inner !== undefined && !Array.isArray(inner)) {
        const innerKeys = Object.keys(inner);
        const innerKey = innerKeys.length > 0 ? f.pick(innerKeys) : 'x';
        inner[innerKey] = f.chance(0.6) ? f.like(inner[innerKey] ?? null) : f.any();
      } else args[key] = f.like(value);
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------------
// Requests

/** What is known of the current stop: real ids to start from (the fuzzer then breaks them). */
interface Context {
  threadId: number;
  frameId: number;
  references: number[];
  pc: string;
}

interface Template {
  readonly command: string;
  readonly base: (ctx: Context, f: Fuzz) => Record<string, Json>;
  /** Only attached (they resume, or need the guest's ids). */
  readonly attachedOnly?: boolean;
  /** Makes fuzzed arguments harmless to the guest (never a write to its live state). */
  readonly defuse?: (args: Args) => Args;
}

const asObject = (args: Args): Record<string, Json> | undefined =>
  typeof args === 'object' && args !== null && !Array.isArray(args) ? args : undefined;

/** Never a variables reference of this stop: setVariable must not write the guest's registers. */
function fakeReference(args: Args): Args {
  const o = asObject(args);
  if (o === undefined) return args;
  const ref = o['variablesReference'];
  if (typeof ref === 'number' && Number.isInteger(ref) && ref > 0 && ref < 100_000)
    o['variablesReference'] = 987654;
  return o;
}

/** writeMemory only to nowhere: address 0 (unmapped in the kernel), beyond RAM, or no address at all. */
function nowhere(f: Fuzz): (args: Args) => Args {
  return (args) => {
    const o = asObject(args);
    if (o === undefined) return args;
    o['memoryReference'] = f.pick<Json>(['0x0', 'x', '', 'phys:zz', 'phys:0x7fffffff0000', 7, null]);
    o['offset'] = f.pick<Json>([0, 1, 2 ** 31, 4096, 'x', null, 1.5]);
    return o;
  };
}

/** launch never starts a QEMU: its path is one that does not exist. */
function noQemu(args: Args): Args {
  const o = asObject(args);
  const qemu = o === undefined ? undefined : asObject(o['qemu'] ?? null);
  if (qemu !== undefined) qemu['path'] = '/nonexistent/hvdbg-fuzz-qemu';
  return args;
}

/** attach never reaches a stub: its target is one where nothing listens. */
function noStub(args: Args): Args {
  const o = asObject(args);
  if (o !== undefined && typeof o['target'] === 'string') o['target'] = 'unix:/nonexistent/hvdbg-fuzz.sock';
  return args;
}

function templates(f: Fuzz): Template[] {
  const bp = (ctx: Context): Record<string, Json> => ({
    line: 10,
    condition: 'jiffies > 0',
    hitCondition: '2',
    logMessage: `{${ctx.pc}}`,
  });
  return [
    { command: 'threads', base: () => ({}) },
    { command: 'stackTrace', base: (c) => ({ threadId: c.threadId, startFrame: 0, levels: 20 }) },
    { command: 'scopes', base: (c) => ({ frameId: c.frameId }) },
    {
      command: 'variables',
      base: (c) => ({
        variablesReference: f.pick(c.references.length > 0 ? c.references : [1]),
        start: 0,
        count: 10,
      }),
    },
    {
      command: 'setVariable',
      base: () => ({ variablesReference: 987654, name: 'rax', value: '1' }),
      defuse: fakeReference,
    },
    {
      command: 'evaluate',
      base: (c) => ({
        expression: 'jiffies',
        frameId: c.frameId,
        context: f.pick(['watch', 'hover', 'variables', 'clipboard']),
      }),
    },
    {
      command: 'evaluate',
      base: (c) => ({
        expression: f.pick([
          'hv',
          'hv help',
          'hv pt',
          'hv translate',
          'hv exits',
          'hv hypercall',
          'hv exit',
          'hv modules',
          'hv pvops',
          'hv regs',
          ...GDB_LINES,
        ]),
        frameId: c.frameId,
        context: 'repl',
      }),
      defuse: (args) => {
        // A console line is the user's command: keep it one of hvdbg's, with garbage arguments, or a gdb
        // command that reads (never one that writes or resumes).
        const o = asObject(args);
        const line = o?.['expression'];
        if (
          o !== undefined &&
          typeof line === 'string' &&
          !line.startsWith('hv') &&
          !GDB_LINES.includes(line)
        )
          o['expression'] = `hv ${f.pick(['pt', 'translate', 'exits', 'hypercall', 'x'])} ${line}`;
        return args;
      },
    },
    { command: 'completions', base: (c) => ({ text: 'hv p', column: 5, line: 1, frameId: c.frameId }) },
    { command: 'continue', base: (c) => ({ threadId: c.threadId }), attachedOnly: true },
    {
      command: 'next',
      base: (c) => ({ threadId: c.threadId, granularity: 'instruction' }),
      attachedOnly: true,
    },
    {
      command: 'stepIn',
      base: (c) => ({ threadId: c.threadId, granularity: 'instruction' }),
      attachedOnly: true,
    },
    { command: 'stepOut', base: (c) => ({ threadId: c.threadId }), attachedOnly: true },
    { command: 'pause', base: (c) => ({ threadId: c.threadId }) },
    {
      command: 'setBreakpoints',
      base: (c) => ({
        source: { path: '/nonexistent/hvdbg-fuzz.c', name: 'x.c' },
        breakpoints: [bp(c)],
        lines: [10],
      }),
    },
    {
      command: 'setFunctionBreakpoints',
      base: () => ({ breakpoints: [{ name: 'hvdbg_fuzz_nothing', condition: 'x' }] }),
    },
    {
      command: 'setInstructionBreakpoints',
      base: () => ({ breakpoints: [{ instructionReference: '0x1000', offset: 0, condition: 'x' }] }),
    },
    {
      command: 'dataBreakpointInfo',
      base: (c) => ({ variablesReference: f.pick(c.references.length > 0 ? c.references : [1]), name: 'x' }),
    },
    {
      command: 'setDataBreakpoints',
      base: () => ({ breakpoints: [{ dataId: 'hvdbg_fuzz_nothing', accessType: 'write' }] }),
    },
    {
      command: 'disassemble',
      base: (c) => ({
        memoryReference: c.pc,
        offset: 0,
        instructionOffset: -10,
        instructionCount: 20,
        resolveSymbols: true,
      }),
    },
    { command: 'readMemory', base: (c) => ({ memoryReference: c.pc, offset: 0, count: 64 }) },
    { command: 'readMemory', base: () => ({ memoryReference: 'phys:0x1000', offset: 0, count: 64 }) },
    {
      command: 'writeMemory',
      base: () => ({ memoryReference: '0x0', offset: 0, data: 'AAAA', allowPartial: false }),
      defuse: nowhere(f),
    },
    { command: 'modules', base: () => ({ startModule: 0, moduleCount: 10 }) },
    { command: 'loadedSources', base: () => ({}) },
    { command: 'source', base: () => ({ sourceReference: 1, source: { path: '/etc/passwd' } }) },
    { command: 'setExceptionBreakpoints', base: () => ({ filters: [] }) },
    { command: 'cancel', base: () => ({ requestId: 1 }) },
    { command: 'configurationDone', base: () => ({}) },
    {
      command: 'attach',
      base: () => ({
        target: 'unix:/nonexistent/hvdbg-fuzz.sock',
        connectTimeout: 200,
        stopOnAttach: f.chance(0.5),
      }),
      defuse: noStub,
    },
    {
      command: 'launch',
      base: () => ({ qemu: { path: '/nonexistent/hvdbg-fuzz-qemu', args: ['-display', 'none'] } }),
      defuse: noQemu,
    },
    {
      command: 'initialize',
      base: () => ({ adapterID: 'hvdbg', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true }),
    },
    // hvdbg's own requests.
    { command: 'hvdbg/exitStats', base: () => ({ source: 'live' }) },
    { command: 'hvdbg/openTrace', base: () => ({ path: '/nonexistent/hvdbg-fuzz.trace', follow: false }) },
    { command: 'hvdbg/lastExits', base: (c) => ({ threadId: c.threadId, count: 10 }) },
    { command: 'hvdbg/hypercall', base: (c) => ({ threadId: c.threadId, frameId: c.frameId }) },
    { command: 'hvdbg/hypercallSites', base: () => ({ file: '/nonexistent/vmlinux', portIo: false }) },
    {
      command: 'hvdbg/setHypercallBreakpoints',
      base: () => ({ breakpoints: [{ abi: 'kvm', call: 'KVM_HC_SCHED_YIELD', condition: 'x' }] }),
    },
    { command: 'hvdbg/vmExit', base: (c) => ({ threadId: c.threadId }) },
    { command: 'hvdbg/pageTableRoots', base: (c) => ({ threadId: c.threadId }) },
    { command: 'hvdbg/pageTableChildren', base: () => ({ id: 'cpu1', includeNotPresent: false }) },
    {
      command: 'hvdbg/memoryMap',
      base: (c) => ({
        threadId: c.threadId,
        from: '0xffffffff81000000',
        to: '0xffffffff81200000',
        permissions: 'x',
        merge: 'ranges',
      }),
    },
    { command: 'hvdbg/translate', base: (c) => ({ address: c.pc, threadId: c.threadId }) },
    { command: 'hvdbg/modules', base: () => ({}) },
    { command: 'hvdbg/paravirt', base: () => ({}) },
    { command: 'hvdbg/diagnostics', base: () => ({ gc: false }) },
    // Commands nobody answers.
    { command: 'hvdbg/noSuchRequest', base: () => ({}) },
    { command: 'noSuchCommand', base: () => ({}) },
    { command: '', base: () => ({}) },
    { command: '__proto__', base: () => ({}) },
    { command: 'constructor', base: () => ({}) },
    { command: 'stepBack', base: (c) => ({ threadId: c.threadId }) },
    { command: 'goto', base: (c) => ({ threadId: c.threadId, targetId: 1 }) },
    { command: 'restartFrame', base: (c) => ({ frameId: c.frameId }) },
  ];
}

/** gdb console lines the fuzzer may send: they read (`x/…i` and `disassemble` abort gdb 13 while running). */
const GDB_LINES = ['info registers rip', 'x/2i $pc', 'disassemble $pc,+8', 'p jiffies', 'info threads'];

/** Commands whose success means the guest may now run. */
const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

/** What a successful answer must hold (DAP's required body fields). */
const BODY_FIELDS: Readonly<Record<string, string>> = {
  threads: 'threads',
  stackTrace: 'stackFrames',
  scopes: 'scopes',
  variables: 'variables',
  evaluate: 'result',
  completions: 'targets',
  setBreakpoints: 'breakpoints',
  setFunctionBreakpoints: 'breakpoints',
  setInstructionBreakpoints: 'breakpoints',
  setDataBreakpoints: 'breakpoints',
  dataBreakpointInfo: 'description',
  disassemble: 'instructions',
  readMemory: 'address',
  modules: 'modules',
  setVariable: 'value',
};

// ---------------------------------------------------------------------------------------------------
// The wire

interface Wire {
  sequence: number;
  pendingRequests: Map<number, (response: DebugProtocol.Response) => void>;
  outputStream: NodeJS.WritableStream;
}

interface Sent {
  readonly command: unknown;
  readonly args: Args;
}

interface Answer {
  readonly response: DebugProtocol.Response;
  readonly ms: number;
}

function describeRequest(sent: Sent): string {
  const args = sent.args === ABSENT ? '(no arguments)' : JSON.stringify(sent.args);
  return `${JSON.stringify(sent.command)} ${args.length > 300 ? `${args.slice(0, 300)}... (${args.length} chars)` : args}`;
}

/** Sends any request (arguments of any type, or none) and resolves with its response, within the bound. */
function send(dc: DebugClient, sent: Sent): Promise<Answer> {
  const wire = dc as unknown as Wire;
  const seq = wire.sequence++;
  const message: Record<string, unknown> = { type: 'request', seq, command: sent.command };
  if (sent.args !== ABSENT) message['arguments'] = sent.args;
  const json = JSON.stringify(message);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const timer = setTimeout(() => {
      wire.pendingRequests.delete(seq);
      reject(
        new Error(`no response within ${RESPONSE_BOUND_MS} ms to ${describeRequest(sent)}; ${seedText}`),
      );
    }, RESPONSE_BOUND_MS);
    wire.pendingRequests.set(seq, (response) => {
      clearTimeout(timer);
      resolve({ response, ms: performance.now() - started });
    });
    wire.outputStream.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`, 'utf8');
  });
}

/** Writes one message body as is (with a correct Content-Length): malformed JSON, a non-object, ... */
function sendRaw(dc: DebugClient, body: string): void {
  (dc as unknown as Wire).outputStream.write(
    `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`,
    'utf8',
  );
}

/** Asserts an answer is one a client can live with: in time, and never an internal error. */
function judge(sent: Sent, { response, ms }: Answer): void {
  const what = `${describeRequest(sent)} -> ${JSON.stringify(response).slice(0, 600)}; ${seedText}`;
  assert.ok(ms < RESPONSE_BOUND_MS, `answered after ${ms.toFixed(0)} ms: ${what}`);
  if (!response.success) {
    const id = (response.body as { error?: { id?: number } } | undefined)?.error?.id;
    assert.notEqual(id, ERROR_IDS.internal, `an internal error: ${what}`);
    assert.notEqual(id, LIBRARY_CAUGHT_ID, `a handler threw (the message is a stack): ${what}`);
    assert.ok(
      typeof response.message === 'string' && response.message.trim() !== '',
      `an error without a message: ${what}`,
    );
    assert.doesNotMatch(
      response.message,
      /internal error|TypeError|is not a function|Cannot read prop/,
      what,
    );
    return;
  }
  const field = typeof sent.command === 'string' ? BODY_FIELDS[sent.command] : undefined;
  if (field !== undefined) {
    const body = response.body as Record<string, unknown> | undefined;
    assert.ok(body !== undefined && body[field] !== undefined, `a success without body.${field}: ${what}`);
  }
  const args = asObject(sent.args) ?? {};
  if (sent.command === 'disassemble' && typeof args['instructionCount'] === 'number') {
    const rows = (response.body as DebugProtocol.DisassembleResponse['body'] | undefined)?.instructions ?? [];
    assert.equal(
      rows.length,
      args['instructionCount'],
      `disassemble must answer exactly instructionCount rows: ${what}`,
    );
  }
  if (sent.command === 'readMemory' && typeof args['count'] === 'number') {
    const data = (response.body as DebugProtocol.ReadMemoryResponse['body'])?.data ?? '';
    assert.ok(
      Buffer.from(data, 'base64').length <= args['count'],
      `readMemory answered more than count: ${what}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// The test

describe('DAP input fuzzing', { timeout: 600_000 }, () => {
  let lab: Lab;
  let dc: DebugClient;
  const stderr: string[] = [];
  const transcript: string[] = [];
  /** The adapter's last output events (the Debug Console), for failure messages. */
  const output: string[] = [];
  let requests = 0;
  /** Answers per command: `ok` or the error id, to see how deep the fuzzing reaches. */
  const stats = new Map<string, Map<string, number>>();
  /** With HVDBG_FUZZ_KEEP_GOING=1, what judge found, reported at the end of each test. */
  const problems: string[] = [];

  before(async () => {
    const booting = bootLab({ kvm: false, cpus: 1, la57: false });
    dc = await startClient(RESPONSE_BOUND_MS * 4);
    const child = (dc as unknown as { _adapterProcess?: { stderr?: NodeJS.ReadableStream } })._adapterProcess;
    child?.stderr?.on('data', (data: Buffer) => stderr.push(data.toString()));
    dc.on('output', (event: DebugProtocol.OutputEvent) => {
      output.push(event.body.output.slice(0, 300));
      if (output.length > 30) output.shift();
    });
    lab = await booting;
  });

  after(async () => {
    await dc?.stop().catch(() => undefined);
    await lab?.stop();
  });

  const pid = (): number => adapterPid(dc);

  async function ask(sent: Sent): Promise<Answer> {
    requests++;
    transcript.push(describeRequest(sent));
    if (transcript.length > 40) transcript.shift();
    const answer = await send(dc, sent).catch((error: unknown) => {
      assert.fail(`${String(error)}\nlast requests:\n${transcript.join('\n')}`);
    });
    try {
      judge(sent, answer);
      const key = typeof sent.command === 'string' ? sent.command : '(not a string)';
      const outcome = answer.response.success
        ? 'ok'
        : String((answer.response.body as { error?: { id?: number } } | undefined)?.error?.id ?? '?');
      const counts = stats.get(key) ?? new Map<string, number>();
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      stats.set(key, counts);
    } catch (error) {
      if (!KEEP_GOING) throw error;
      problems.push(error instanceof Error ? error.message : String(error));
    }
    return answer;
  }

  function assertUp(where: string): void {
    assert.ok(
      isAlive(pid()),
      `the adapter exited (${where}); ${seedText}\nlast requests:\n${transcript.join('\n')}\nstderr: ${stderr.join('')}`,
    );
    const noise = stderr.join('').match(/.*(more than one response|Unhandled|TypeError|Error:).*/);
    assert.equal(noise, null, `adapter stderr (${where}): ${stderr.join('')}; ${seedText}`);
  }

  async function diagnostics(): Promise<DiagnosticsBody> {
    const { response } = await ask({ command: 'hvdbg/diagnostics', args: {} });
    assert.ok(
      response.success,
      `hvdbg/diagnostics failed: ${response.message}; ${seedText}\nlast requests:\n${transcript.join('\n')}\noutput:\n${output.join('')}`,
    );
    return response.body as DiagnosticsBody;
  }

  /** Stops the guest if a fuzzed request left it running (a continue, a step that does not end). */
  async function settle(threadId: number): Promise<void> {
    for (let i = 0; i < 10; i++) {
      if ((await diagnostics()).state === 'stopped') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stopped = dc.waitForEvent('stopped', RESPONSE_BOUND_MS).catch(() => undefined);
    await ask({ command: 'pause', args: { threadId } });
    await stopped;
    assert.equal(
      (await diagnostics()).state,
      'stopped',
      `pause did not stop the guest; ${seedText}\nlast requests:\n${transcript.join('\n')}\noutput:\n${output.join('')}`,
    );
  }

  /** The ids of the current stop, from the requests VS Code sends; each must work. */
  async function healthy(where: string): Promise<Context> {
    assertUp(where);
    where = `${where}\nlast requests:\n${transcript.join('\n')}\noutput:\n${output.join('')}\n`;
    const threads = await ask({ command: 'threads', args: ABSENT });
    assert.ok(
      threads.response.success,
      `threads failed after ${where}: ${threads.response.message}; ${seedText}`,
    );
    const list = (threads.response.body as DebugProtocol.ThreadsResponse['body']).threads;
    const threadId = list[0]?.id;
    assert.ok(threadId !== undefined, `no threads after ${where}`);
    const stack = await ask({ command: 'stackTrace', args: { threadId, startFrame: 0, levels: 20 } });
    assert.ok(
      stack.response.success,
      `stackTrace failed after ${where}: ${stack.response.message}; ${seedText}`,
    );
    const frames = (stack.response.body as DebugProtocol.StackTraceResponse['body']).stackFrames;
    const top = frames[0];
    assert.ok(top !== undefined, `no frames after ${where}; ${seedText}`);
    const jiffies = await ask({
      command: 'evaluate',
      args: { expression: 'jiffies', frameId: top.id, context: 'watch' },
    });
    assert.ok(
      jiffies.response.success,
      `evaluate jiffies failed after ${where}: ${jiffies.response.message}; ${seedText}`,
    );
    assert.match((jiffies.response.body as DebugProtocol.EvaluateResponse['body']).result, /^\d+$/);
    const references: number[] = [];
    const scopes = await ask({ command: 'scopes', args: { frameId: top.id } });
    for (const scope of (scopes.response.body as DebugProtocol.ScopesResponse['body'] | undefined)?.scopes ??
      []) {
      references.push(scope.variablesReference);
      const vars = await ask({
        command: 'variables',
        args: { variablesReference: scope.variablesReference },
      });
      for (const v of (vars.response.body as DebugProtocol.VariablesResponse['body'] | undefined)
        ?.variables ?? [])
        if (v.variablesReference > 0) references.push(v.variablesReference);
    }
    return { threadId, frameId: top.id, references, pc: top.instructionPointerReference ?? '0x0' };
  }

  /** Puts back what a batch may have planted, so that the next one starts from a clean guest. */
  async function clearBreakpoints(paths: Set<string>): Promise<void> {
    await ask({ command: 'setFunctionBreakpoints', args: { breakpoints: [] } });
    await ask({ command: 'setInstructionBreakpoints', args: { breakpoints: [] } });
    await ask({ command: 'setDataBreakpoints', args: { breakpoints: [] } });
    await ask({ command: 'hvdbg/setHypercallBreakpoints', args: { breakpoints: [] } });
    for (const path of paths)
      await ask({ command: 'setBreakpoints', args: { source: { path }, breakpoints: [] } });
  }

  function fuzzedRequest(f: Fuzz, list: Template[], ctx: Context): Sent {
    const template = f.pick(list);
    const command: unknown = f.chance(0.03)
      ? f.pick<Json>([42, null, ['threads'], { c: 1 }])
      : template.command;
    let args = mutate(f, template.base(ctx, f));
    if (template.defuse !== undefined) args = template.defuse(args);
    return { command, args };
  }

  test('before attach: every request is answered, none is an internal error, and attach then works', async () => {
    const f = new Fuzz(SEED);
    const list = templates(f).filter((t) => t.attachedOnly !== true);
    const ctx: Context = { threadId: 1, frameId: 1000, references: [1000, 1001], pc: '0xffffffff81000000' };
    // Out of order, deterministic: stepping, continuing, evaluating before any attach.
    const early: Sent[] = [
      { command: 'stepIn', args: { threadId: 1, granularity: 'instruction' } },
      { command: 'next', args: { threadId: 1 } },
      { command: 'continue', args: { threadId: 1 } },
      { command: 'pause', args: { threadId: 1 } },
      { command: 'stackTrace', args: { threadId: 1 } },
      { command: 'evaluate', args: { expression: 'jiffies', context: 'repl' } },
      { command: 'configurationDone', args: ABSENT },
      { command: 'hvdbg/pageTableRoots', args: {} },
      { command: 'initialize', args: ABSENT },
      { command: 'attach', args: ABSENT },
      // A failed attach that asked not to stop, then configurationDone: answered all the same.
      { command: 'attach', args: { target: 'unix:/nonexistent/hvdbg-fuzz.sock', stopOnAttach: false } },
      { command: 'configurationDone', args: ABSENT },
    ];
    for (const sent of early) {
      const { response } = await ask(sent);
      assert.equal(response.success, false, `${describeRequest(sent)} succeeded before attach`);
    }
    for (let batch = 0; batch < BATCHES_BEFORE_ATTACH; batch++) {
      for (let i = 0; i < REQUESTS_PER_BATCH; i++) await ask(fuzzedRequest(f, list, ctx));
      assertUp(`batch ${batch} before attach`);
      const { response } = await ask({ command: 'threads', args: ABSENT });
      assert.equal(response.success, false, 'threads succeeded before attach');
    }
    // Malformed messages: no response is possible, but the adapter must not go.
    for (const body of [
      '{',
      'null',
      '[]',
      '42',
      '"x"',
      '{"type":"request"}',
      '{"type":"response","request_seq":1}',
      '{"type":"event"}',
    ]) {
      sendRaw(dc, body);
    }
    await ask({ command: 'threads', args: ABSENT });
    assertUp('malformed messages');
    await attach(dc, labAttachConfig(lab));
    await healthy('attach after fuzzing');
    assert.deepEqual(problems.splice(0), [], seedText);
  });

  test('attached: every request is answered, none is an internal error, the session keeps working', async (t) => {
    const f = new Fuzz(SEED ^ 0xa77ac4ed);
    const list = templates(f);
    let ctx = await healthy('the start');
    // Out of order, deterministic.
    const outOfOrder: Sent[] = [
      { command: 'attach', args: labAttachConfig(lab) as Record<string, Json> },
      { command: 'configurationDone', args: ABSENT },
      { command: 'launch', args: { qemu: { path: '/nonexistent/hvdbg-fuzz-qemu', args: [] } } },
      { command: 'initialize', args: { adapterID: 'hvdbg', pathFormat: 'path' } },
      { command: 'scopes', args: { frameId: -1 } },
      { command: 'variables', args: { variablesReference: 987654 } },
      { command: 'readMemory', args: { memoryReference: ctx.pc, count: 2 ** 31 } },
      { command: 'readMemory', args: { memoryReference: 'phys:0x0', count: 2 ** 31 } },
      { command: 'disassemble', args: { memoryReference: ctx.pc, instructionCount: 1e9 } },
      {
        command: 'disassemble',
        args: { memoryReference: ctx.pc, instructionOffset: -1e9, instructionCount: 10 },
      },
      { command: 'evaluate', args: { expression: MEGABYTE, frameId: ctx.frameId, context: 'watch' } },
      { command: 'stackTrace', args: { threadId: ctx.threadId, startFrame: 2 ** 31, levels: 2 ** 31 } },
      // gdb 13 answers this with a line its own MI syntax cannot read (an unescaped `"`).
      { command: 'completions', args: { text: 'p "', column: 4, frameId: ctx.frameId } },
    ];
    for (const sent of outOfOrder) {
      const { response } = await ask(sent);
      if (sent.command === 'attach' || sent.command === 'launch' || sent.command === 'initialize')
        assert.equal(response.success, false, `${describeRequest(sent)} succeeded while attached`);
    }
    ctx = await healthy('the out-of-order requests');
    // Resumes while running: a step and a continue while the guest runs, then pause.
    await ask({ command: 'continue', args: { threadId: ctx.threadId } });
    await ask({ command: 'stepIn', args: { threadId: ctx.threadId, granularity: 'instruction' } });
    await ask({ command: 'continue', args: { threadId: ctx.threadId } });
    // What reads memory while the guest runs (gdb 13 aborts on a disassembly then).
    await ask({ command: 'disassemble', args: { memoryReference: ctx.pc, instructionCount: 5 } });
    await ask({ command: 'evaluate', args: { expression: 'x/2i $pc', context: 'repl' } });
    await ask({ command: 'readMemory', args: { memoryReference: ctx.pc, count: 16 } });
    await settle(ctx.threadId);
    // A disassembly asked just before a continue (VS Code's Disassembly view refreshing as F5 is hit).
    await Promise.all([
      ask({ command: 'disassemble', args: { memoryReference: ctx.pc, instructionCount: 50 } }),
      ask({ command: 'evaluate', args: { expression: 'x/8i $pc', context: 'repl' } }),
      ask({ command: 'continue', args: { threadId: ctx.threadId } }),
      ask({ command: 'disassemble', args: { memoryReference: ctx.pc, instructionCount: 50 } }),
    ]);
    await settle(ctx.threadId);
    ctx = await healthy('resumes while running');

    for (let batch = 0; batch < BATCHES_ATTACHED; batch++) {
      const paths = new Set<string>();
      const burst = f.chance(0.25);
      const sentList: Sent[] = [];
      for (let i = 0; i < REQUESTS_PER_BATCH; i++) {
        const sent = fuzzedRequest(f, list, ctx);
        const source = asObject(asObject(sent.args)?.['source'] ?? null);
        if (sent.command === 'setBreakpoints' && typeof source?.['path'] === 'string')
          paths.add(source['path']);
        sentList.push(sent);
      }
      if (burst) {
        // All at once: the adapter sees them interleaved, as it does when VS Code refreshes views.
        await Promise.all(sentList.map((sent) => ask(sent)));
      } else {
        for (const sent of sentList) {
          const { response } = await ask(sent);
          if (response.success && typeof sent.command === 'string' && RESUMING.has(sent.command))
            await settle(ctx.threadId);
        }
      }
      await settle(ctx.threadId);
      await clearBreakpoints(paths);
      ctx = await healthy(`batch ${batch}${burst ? ' (burst)' : ''}`);
    }
    assertUp('the end');
    t.diagnostic(`fuzz: ${requests} requests, ${seedText}`);
    const rows = [...stats].sort(([a], [b]) => a.localeCompare(b));
    t.diagnostic(
      rows
        .map(([command, counts]) => `${command}: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}`)
        .join('; '),
    );
    assert.deepEqual(problems.splice(0), [], seedText);
  });
});
