/**
 * Intent-level helpers for driving the real adapter (dist/adapter.js, spawned as VS Code would) against
 * a real guest with @vscode/debugadapter-testsupport's DebugClient. The client's timeout stays below
 * the test's, so a failure names the awaited event.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { repoRoot, type Lab } from '../../lab/lab';

export const ADAPTER = join(repoRoot(), 'dist', 'adapter.js');

const capabilities = new WeakMap<DebugClient, DebugProtocol.Capabilities>();

/** What the adapter answered to `initialize` for a client of {@link startClient}. */
export function capabilitiesOf(dc: DebugClient): DebugProtocol.Capabilities {
  return capabilities.get(dc) ?? {};
}

export async function startClient(timeoutMs = 30000): Promise<DebugClient> {
  const dc = new DebugClient('node', ADAPTER, 'hvdbg');
  dc.defaultTimeout = timeoutMs;
  await dc.start();
  const init = await dc.initializeRequest({
    adapterID: 'hvdbg',
    pathFormat: 'path',
    linesStartAt1: true,
    columnsStartAt1: true,
    supportsProgressReporting: true,
  });
  capabilities.set(dc, init.body ?? {});
  return dc;
}

const transcripts: string[] = [];

/**
 * A transcript file for the next session of this test file (`trace`), under test-artifacts/transcripts/.
 * The files are removed when the test file passes and kept when it fails: the DAP, MI and RSP traffic
 * of the failing session, for the one who reads the CI log.
 */
export function transcriptFile(): string {
  const name = basename(process.argv[1] ?? 'session', '.js').replace(/\.test$/, '');
  const file = join(repoRoot(), 'test-artifacts', 'transcripts', `${name}-${transcripts.length + 1}.log`);
  if (transcripts.length === 0) {
    process.on('exit', (code) => {
      if (code !== 0 || (process.exitCode ?? 0) !== 0) return;
      for (const f of transcripts) rmSync(f, { force: true });
    });
  }
  transcripts.push(file);
  return file;
}

/** The attach configuration a user would write for the lab guest (with a transcript of the session). */
export function labAttachConfig(lab: Lab, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const m = lab.manifest;
  const symbolFiles = [];
  const modules: [string, string, bigint | undefined][] = [
    [m.kvmKo, 'kvm', lab.kvmText],
    [m.kvmAmdKo, 'kvm_amd', lab.kvmAmdText],
  ];
  for (const [path, name, text] of modules) {
    if (text === undefined) continue;
    const sections: Record<string, string> = {};
    for (const s of ['.data', '.bss', '.rodata']) {
      const at = lab.sections[name]?.[s];
      if (at !== undefined) sections[s] = `0x${at.toString(16)}`;
    }
    symbolFiles.push({ path, address: `0x${text.toString(16)}`, sections });
  }
  return {
    target: `unix:${lab.gdbSocket}`,
    program: m.vmlinux,
    symbolFiles,
    sourcePaths: m.sourceRoot === '' ? [] : [m.sourceRoot],
    sourceFileMap: Object.fromEntries(m.sourceMap.map((e) => [e.from, e.to])),
    trace: transcriptFile(),
    ...extra,
  };
}

/** Attaches and waits for the entry stop; returns the stop event. */
export async function attach(
  dc: DebugClient,
  config: Record<string, unknown>,
): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  const initialized = dc.waitForEvent('initialized');
  await dc.attachRequest(config);
  await initialized;
  await dc.configurationDoneRequest();
  return stopped;
}

/** Runs `action` and waits for the stop it causes (waiting starts before the action). */
export async function stopAfter(
  dc: DebugClient,
  action: () => Promise<unknown>,
): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await action();
  return stopped;
}

export async function topFrame(dc: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame> {
  const frames = (await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 1 })).body.stackFrames;
  const top = frames[0];
  if (top === undefined) throw new Error(`thread ${threadId} has no frames`);
  return top;
}

export async function frames(
  dc: DebugClient,
  threadId: number,
  levels = 20,
): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId, startFrame: 0, levels })).body.stackFrames;
}

/** The Registers scope of a frame, as name → variable. */
export async function registers(
  dc: DebugClient,
  frameId: number,
): Promise<Map<string, DebugProtocol.Variable>> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const scope = scopes.find((s) => s.name === 'Registers');
  if (scope === undefined) throw new Error('no Registers scope');
  const vars = (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
  return new Map(vars.map((v) => [v.name, v]));
}

export async function repl(dc: DebugClient, line: string, frameId?: number): Promise<string> {
  const args: DebugProtocol.EvaluateArguments = { expression: line, context: 'repl' };
  if (frameId !== undefined) args.frameId = frameId;
  return (await dc.evaluateRequest(args)).body.result;
}

/** Live (non-zombie) processes whose parent is `pid`, with their command names. */
export function childProcesses(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') out.push({ pid: Number(entry), comm });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The adapter process behind a DebugClient. */
export function adapterPid(dc: DebugClient): number {
  const child = (dc as unknown as { _adapterProcess?: { pid?: number } })._adapterProcess;
  if (child?.pid === undefined) throw new Error('the DebugClient has no adapter process');
  return child.pid;
}

/** A request DebugClient has no method for (readMemory, writeMemory, setInstructionBreakpoints), typed. */
export async function request<R extends DebugProtocol.Response>(
  dc: DebugClient,
  command: string,
  args: object,
): Promise<R> {
  const response: DebugProtocol.Response = await dc.customRequest(command, args);
  return response as R;
}
