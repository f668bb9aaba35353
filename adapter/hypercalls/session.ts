/**
 * Hypercalls in a connected session: at each stop, the hypercall the vCPU is at (guest side: the
 * instruction at RIP, read from live memory) or KVM is handling (hypervisor side: a frame of
 * `kvm_emulate_hypercall`, the guest's registers from `vcpu->arch.regs`), and the VM exit being handled
 * (a frame of KVM's exit handling). Shown as the Hypercall and VM Exit scopes, `hv hypercall`, `hv exit`,
 * `hv break hypercall`, and the custom requests of adapter/protocol/hypercallRequests.ts.
 */
import { KVM_HYPERCALLS } from './kvm';
import { open } from 'node:fs/promises';
import type { CommonArguments } from '../protocol/config';
import {
  HYPERCALL_REQUESTS,
  hypercallCatalogueRequest,
  hypercallRequest,
  hypercallSitesRequest,
  setHypercallBreakpointsRequest,
  vmExitRequest,
  type HypercallBody,
  type HypercallBreakpointResult,
  type HypercallInfo,
  type HypercallSitesBody,
  type VmExitBody,
} from '../protocol/hypercallRequests';
import type { Debugger } from '../debugger/debugger';
import type { FrameRef } from '../debugger/frames';
import type { ProvidedVariable } from '../debugger/variables';
import { GdbSymbolResolver, SourceFinder } from '../exits/symbols';
import type { GdbBackend } from '../gdb/backend';
import { deleteBreakpoints, insertBreakpoint } from '../gdb/mi/breakpoints';
import { evaluate, readMemory } from '../gdb/mi/data';
import { listFrames, type FrameInfo } from '../gdb/mi/stack';
import { hypercallCommands } from './console';
import { GuestHypercallTracker } from './guest';
import { hintFromPvInfoName } from './hint';
import type { HypervisorHint } from './types';
import {
  formatHypercall,
  formatVmExit,
  hypercallRows,
  toHypercallInfo,
  vmExitRows,
  type ScopeRow,
} from './info';
import {
  KVM_HYPERCALL_HANDLERS,
  VCPU_REGS,
  describeHandledCall,
  kvmHypercallCondition,
  parseGdbInteger,
  parseGdbIntegerArray,
  resolveKvmCall,
  resultWritten,
  type VcpuRegisterCache,
} from './kvmHandler';
import { describeResult } from './result';
import { collectSites, parseMaintSections } from './sites';
import { KVM_OFFSET_EXPRESSIONS, VMCB_EXIT_CODE, describeVmExit, parseVmcbExit } from './vmExit';
import { hex } from './registers';
import { UserInputError } from '../debugger/userInputError';

/** A request's arguments are wrong, or the session cannot answer it: shown to the user as is. */
export class HypercallRequestError extends UserInputError {
  override name = 'HypercallRequestError';
  /** A string `code` makes the DAP error boundary show the message as is (adapter/dap/errors.ts). */
  readonly code = 'HVDBG_HYPERCALL';
}

/** Frames of KVM's exit handling: files of `arch/x86/kvm/` and `virt/kvm/`. */
const KVM_FILE = /(^|\/)(arch\/x86\/kvm|virt\/kvm)\//;
/** How many frames a stop's analysis looks at. */
const MAX_FRAMES = 48;

interface Settled<T> {
  readonly promise: Promise<T>;
  value?: T;
}

function settle<T>(promise: Promise<T>): Settled<T> {
  const s: Settled<T> = { promise };
  promise.then(
    (v) => (s.value = v),
    () => undefined,
  );
  return s;
}

/** What a stop of one vCPU showed, learned once per stop. */
interface StopAnalysis {
  readonly guest: { info?: HypercallInfo; none?: string };
  /** The frame of `kvm_emulate_hypercall`, when on the stack. */
  readonly handler?: FrameInfo;
  /** The innermost frame of KVM's exit handling with a `vcpu` or `svm` argument candidate. */
  readonly kvmFrames: readonly FrameInfo[];
}

function record(args: unknown): Record<string, unknown> {
  return typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
}

function optionalNumber(args: Record<string, unknown>, name: string): number | undefined {
  const v = args[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new HypercallRequestError(`"${name}" must be a number`);
  return v;
}

export class HypercallService {
  private readonly gdb: GdbBackend;
  /** The guest kernel's own word on its hypervisor (`pv_info.name`), read once; undefined: none. */
  private hint: Promise<HypervisorHint | undefined> | undefined;
  private knownHint: HypervisorHint | undefined;
  private readonly guest = new GuestHypercallTracker(() =>
    this.knownHint === undefined ? {} : { hint: this.knownHint },
  );
  private analyses = new Map<number, Settled<StopAnalysis>>();
  private handlerInfo = new Map<string, Promise<HypercallBody>>();
  private exitInfo = new Map<string, Promise<VmExitBody>>();
  /** Per `vcpu` pointer: the number seen before KVM overwrote RAX with the result. */
  private readonly numbers = new Map<string, { nr: bigint; rip: bigint }>();
  private planted: number[] = [];
  private offsets:
    { isa: 'svm'; vmcb: bigint } | { isa: 'vmx'; reason: bigint; qualification: bigint } | undefined;
  private outLine: Promise<number | undefined> | undefined;
  private readonly symbols: GdbSymbolResolver;
  /** Offer the Hypercall and VM Exit scopes (off: `hv hypercall auto off`; the requests still answer). */
  auto = true;

  constructor(
    private readonly dbg: Debugger,
    private readonly args: CommonArguments,
  ) {
    this.gdb = dbg.connection.gdb;
    this.symbols = new GdbSymbolResolver(
      (command, timeoutMs) => this.gdb.console(command, timeoutMs),
      new SourceFinder(args.sourceFileMap, args.sourcePaths),
    );
    this.gdb.on('running', () => {
      this.analyses = new Map();
      this.handlerInfo = new Map();
      this.exitInfo = new Map();
    });
    dbg.variables.addScopeProvider((frame) => this.hypercallScope(frame));
    dbg.variables.addScopeProvider((frame) => this.vmExitScope(frame));
  }

  // -------------------------------------------------------------------------------------------------
  // Stops

  private analysis(threadId: number): Settled<StopAnalysis> {
    let a = this.analyses.get(threadId);
    if (a === undefined) {
      a = settle(this.analyse(threadId));
      this.analyses.set(threadId, a);
    }
    return a;
  }

  /** Reads `pv_info.name` once (a Linux guest's paravirt backend: "KVM", "Xen HVM", ...). */
  private async guestHint(): Promise<void> {
    this.hint ??= evaluate(this.gdb, 'pv_info.name').then(
      (text) => {
        const name = /"([^"]*)"/.exec(text)?.[1];
        return name === undefined ? undefined : hintFromPvInfoName(name);
      },
      () => undefined,
    );
    this.knownHint = await this.hint;
  }

  private async analyse(threadId: number): Promise<StopAnalysis> {
    await this.guestHint();
    const frame0: FrameRef = { threadId, level: 0, pc: '' };
    const [registers, frames] = await Promise.all([
      this.dbg.registers.main(frame0).then(
        (regs) => {
          const out: Record<string, bigint> = {};
          for (const r of regs) if (r.value !== undefined) out[r.name] = r.value;
          return out;
        },
        (): Record<string, bigint> => ({}),
      ),
      listFrames(this.gdb, threadId, 0, MAX_FRAMES - 1).catch(() => [] as FrameInfo[]),
    ]);
    const guest = await this.guest.analyse({
      threadId,
      registers,
      readBytes: async (address, count) => {
        const bytes = await readMemory(this.gdb, address, count);
        if (bytes.length === 0) throw new Error('the stub returned no bytes');
        return bytes;
      },
    });
    const handler = frames.find((f) => f.func !== undefined && KVM_HYPERCALL_HANDLERS.includes(f.func));
    const kvmFrames = frames.filter((f) => f.file !== undefined && KVM_FILE.test(f.file));
    const guestPart =
      'none' in guest
        ? { none: guest.none }
        : {
            info: toHypercallInfo(guest.call, {
              side: 'guest',
              withInstruction: true,
              ...(guest.result === undefined ? {} : { result: { decoded: guest.result, from: 'rax' } }),
            }),
          };
    return { guest: guestPart, ...(handler === undefined ? {} : { handler }), kvmFrames };
  }

  private async hypercallScope(frame: FrameRef) {
    if (!this.auto) return undefined;
    const v = await this.analysis(frame.threadId).promise;
    if (!(v.handler !== undefined || (frame.level === 0 && v.guest.info !== undefined))) return undefined;
    return {
      name: 'Hypercall',
      load: async (): Promise<ProvidedVariable[]> => {
        const body = await this.hypercall(frame.threadId, frame.level);
        return body.hypercall === undefined
          ? [{ name: 'none', value: body.none ?? 'no hypercall here' }]
          : hypercallRows(body.hypercall);
      },
    };
  }

  private async vmExitScope(frame: FrameRef) {
    if (!this.auto) return undefined;
    const v = await this.analysis(frame.threadId).promise;
    if (v.kvmFrames.length === 0) return undefined;
    return {
      name: 'VM Exit',
      load: async (): Promise<ProvidedVariable[]> => {
        const body = await this.vmExit(frame.threadId);
        return body.exit === undefined
          ? [{ name: 'none', value: body.none ?? '' }]
          : rows(vmExitRows(body.exit));
      },
    };
  }

  // -------------------------------------------------------------------------------------------------
  // The hypercall of a stop

  /** The hypercall the vCPU is at (guest side, frame 0) or KVM is handling (hypervisor side). */
  async hypercall(threadId: number, level = 0): Promise<HypercallBody> {
    if (this.dbg.execution.state !== 'stopped') return { none: 'the guest is running' };
    const a = await this.analysis(threadId).promise;
    if (a.handler !== undefined) {
      const key = `${threadId}/${a.handler.level}`;
      let body = this.handlerInfo.get(key);
      if (body === undefined) {
        body = this.handledCall(threadId, a.handler);
        this.handlerInfo.set(key, body);
      }
      return body;
    }
    if (level === 0 && a.guest.info !== undefined) return { hypercall: a.guest.info };
    return { none: a.guest.none ?? 'no hypercall here' };
  }

  private async handledCall(threadId: number, frame: FrameInfo): Promise<HypercallBody> {
    const at = (expression: string) => evaluate(this.gdb, expression, threadId, frame.level);
    let cache: VcpuRegisterCache;
    let pointer: string;
    try {
      const [regs, efer, dirty, vcpu] = await Promise.all([
        at('vcpu->arch.regs'),
        at('vcpu->arch.efer'),
        at('vcpu->arch.regs_dirty'),
        at('(unsigned long)vcpu'),
      ]);
      cache = {
        regs: parseGdbIntegerArray(regs),
        efer: parseGdbInteger(efer),
        regsDirty: parseGdbInteger(dirty),
      };
      pointer = vcpu;
    } catch (error) {
      return { none: `cannot read vcpu->arch in ${frame.func ?? '?'}: ${message(error)}` };
    }
    const exit = await this.vmExit(threadId);
    const instruction = exit.exit?.name === 'VMCALL' ? 'vmcall' : 'vmmcall';
    const rip = cache.regs[VCPU_REGS.rip] ?? 0n;
    const rax = cache.regs[VCPU_REGS.rax] ?? 0n;
    const written = resultWritten(cache);
    const notes: string[] = [];
    let nr = rax;
    if (!written) {
      this.numbers.set(pointer, { nr: rax, rip });
    } else {
      const seen = this.numbers.get(pointer);
      if (seen !== undefined && seen.rip === rip) nr = seen.nr;
      else {
        const local = await at('nr').catch(() => undefined);
        if (local !== undefined && /^-?\d/.test(local)) nr = parseGdbInteger(local);
        else
          notes.push(
            'KVM had already written the result into RAX when hvdbg first saw this call: the number is unknown',
          );
      }
    }
    const call = describeHandledCall(cache, nr, instruction);
    let result: { decoded: ReturnType<typeof describeResult>; from: string } | undefined;
    if (written) {
      result = { decoded: describeResult(call, rax), from: 'vcpu->arch.regs[VCPU_REGS_RAX]' };
    } else if (await this.pastOutLabel(frame)) {
      const ret = await at('ret').catch(() => undefined);
      if (ret !== undefined && /^-?\d/.test(ret))
        result = {
          decoded: describeResult(call, parseGdbInteger(ret)),
          from: `ret (${frame.func ?? 'handler'})`,
        };
    }
    const info = toHypercallInfo(call, {
      side: 'hypervisor',
      abiReason: 'kvm-handler',
      notes,
      ...(result === undefined ? {} : { result }),
    });
    return { hypercall: info };
  }

  /** Whether the handler's frame is at or after its `out:` label (where `ret` is final). */
  private async pastOutLabel(frame: FrameInfo): Promise<boolean> {
    if (frame.line === undefined || frame.func !== 'kvm_emulate_hypercall') return false;
    this.outLine ??= this.gdb
      .console('info line kvm_emulate_hypercall:out', 2000)
      .then((text) => {
        const m = /Line (\d+) of/.exec(text);
        return m?.[1] === undefined ? undefined : Number(m[1]);
      })
      .catch(() => undefined);
    const out = await this.outLine;
    return out !== undefined && frame.line >= out;
  }

  // -------------------------------------------------------------------------------------------------
  // The VM exit being handled

  async vmExit(threadId: number): Promise<VmExitBody> {
    if (this.dbg.execution.state !== 'stopped') return { none: 'the guest is running' };
    const key = String(threadId);
    let body = this.exitInfo.get(key);
    if (body === undefined) {
      body = this.readVmExit(threadId);
      this.exitInfo.set(key, body);
    }
    return body;
  }

  private async readVmExit(threadId: number): Promise<VmExitBody> {
    const a = await this.analysis(threadId).promise;
    if (a.kvmFrames.length === 0) return { none: 'no frame of KVM (arch/x86/kvm, virt/kvm) on this stack' };
    const offsets = await this.kvmOffsets();
    if (typeof offsets === 'string') return { none: offsets };
    const problems: string[] = [];
    for (const frame of a.kvmFrames) {
      for (const variable of offsets.isa === 'svm' ? ['vcpu', 'svm'] : ['vcpu']) {
        try {
          const at = (x: string) => evaluate(this.gdb, x, threadId, frame.level);
          const base = parseGdbInteger(await at(`(unsigned long)${variable}`));
          const where = { function: frame.func ?? '??', level: frame.level };
          if (offsets.isa === 'svm') {
            const vmcb = parseGdbInteger(await at(`*(unsigned long *)${hex(base + offsets.vmcb)}`));
            const f = parseVmcbExit(await readMemory(this.gdb, vmcb + BigInt(VMCB_EXIT_CODE), 24));
            const from = `((struct vcpu_svm *)${variable})->vmcb->control`;
            return { exit: describeVmExit('svm', f.code, f.info1, f.info2, from, where) };
          }
          const code = parseGdbInteger(await at(`*(unsigned int *)${hex(base + offsets.reason)}`));
          const qual = parseGdbInteger(await at(`*(unsigned long *)${hex(base + offsets.qualification)}`));
          const from = `((struct vcpu_vmx *)vcpu)->exit_reason, exit_qualification`;
          return { exit: describeVmExit('vmx', Number(code & 0xffffffffn), qual, undefined, from, where) };
        } catch (error) {
          problems.push(`${frame.func ?? '?'}: ${message(error)}`);
        }
      }
    }
    return { none: `no vCPU found in KVM's frames (${problems.slice(0, 3).join('; ')})` };
  }

  /** Offsets of KVM's exit fields, from the kvm_amd / kvm_intel debug info; looked up once (slow in gdb). */
  private async kvmOffsets(): Promise<
    { isa: 'svm'; vmcb: bigint } | { isa: 'vmx'; reason: bigint; qualification: bigint } | string
  > {
    if (this.offsets !== undefined) return this.offsets;
    const get = (x: string) => evaluate(this.gdb, x).then(parseGdbInteger);
    try {
      this.offsets = { isa: 'svm', vmcb: await get(KVM_OFFSET_EXPRESSIONS.svmVmcb) };
    } catch (svmError) {
      try {
        this.offsets = {
          isa: 'vmx',
          reason: await get(KVM_OFFSET_EXPRESSIONS.vmxExitReason),
          qualification: await get(KVM_OFFSET_EXPRESSIONS.vmxExitQualification),
        };
      } catch (vmxError) {
        return `neither struct vcpu_svm nor struct vcpu_vmx is known: load kvm-amd.ko or kvm-intel.ko symbols (${message(svmError)}; ${message(vmxError)})`;
      }
    }
    return this.offsets;
  }

  // -------------------------------------------------------------------------------------------------
  // Hypercall breakpoints (hypervisor side)

  async setBreakpoints(wanted: readonly unknown[]): Promise<HypercallBreakpointResult[]> {
    await deleteBreakpoints(this.gdb, this.planted).catch(() => undefined);
    this.planted = [];
    const results: HypercallBreakpointResult[] = [];
    for (const raw of wanted) {
      const b = record(raw);
      const abi = b['abi'] ?? 'kvm';
      const call = b['call'];
      if (abi !== 'kvm') {
        results.push({
          verified: false,
          message: `abi ${JSON.stringify(abi)}: only 'kvm' (Linux KVM) is supported`,
        });
        continue;
      }
      if (typeof call !== 'string' && typeof call !== 'number') {
        results.push({ verified: false, message: '"call" must be a hypercall name or number' });
        continue;
      }
      const resolved = resolveKvmCall(call);
      if (typeof resolved === 'string') {
        results.push({ verified: false, message: resolved });
        continue;
      }
      const extra =
        typeof b['condition'] === 'string' && b['condition'] !== '' ? ` && (${b['condition']})` : '';
      const label = resolved.name ?? `hypercall 0x${resolved.number.toString(16)}`;
      try {
        const info = await insertBreakpoint(this.gdb, {
          location: KVM_HYPERCALL_HANDLERS[0] ?? 'kvm_emulate_hypercall',
          hardware: (this.args.breakpointType ?? 'hardware') === 'hardware',
          condition: kvmHypercallCondition(resolved.number) + extra,
        });
        this.planted.push(info.number);
        results.push({
          verified: !info.pending,
          id: info.number,
          number: resolved.number,
          ...(resolved.name === undefined ? {} : { name: resolved.name }),
          message: info.pending
            ? `pending: kvm_emulate_hypercall is in no loaded symbol file yet (load kvm.ko's symbols)`
            : `stops in kvm_emulate_hypercall when the guest asks for ${label} (${resolved.number})`,
        });
      } catch (error) {
        results.push({ verified: false, message: `${label}: ${message(error)}` });
      }
    }
    return results;
  }

  // -------------------------------------------------------------------------------------------------
  // Hypercall sites

  async sites(file?: string): Promise<HypercallSitesBody> {
    const sections = parseMaintSections(await this.gdb.console('maint info sections .text', 10000));
    const path = file ?? this.args.program ?? sections.file;
    if (path === undefined)
      throw new HypercallRequestError('no program: set "program" to the kernel ELF (vmlinux)');
    const text = sections.sections.find((s) => s.name === '.text');
    if (text === undefined || (file !== undefined && file !== sections.file))
      throw new HypercallRequestError(`gdb knows no .text section of ${path}`);
    const size = Number(text.end - text.start);
    const bytes = Buffer.alloc(size);
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw new HypercallRequestError(`cannot read ${path}: ${message(error)}`);
    });
    try {
      await handle.read(bytes, 0, size, text.fileOffset);
    } finally {
      await handle.close();
    }
    const xenPage = await evaluate(this.gdb, '(unsigned long)&hypercall_page').then(
      (v) => parseGdbInteger(v),
      () => undefined,
    );
    const functions = await collectSites(
      bytes,
      text.start,
      {
        resolve: (address) => this.symbols.resolve(address),
        readGuest: async (address, count) => {
          const live = await readMemory(this.gdb, address, count);
          if (live.length === 0) throw new Error('the stub returned no bytes');
          return live;
        },
      },
      xenPage === undefined ? {} : { xenHypercallPage: xenPage },
    );
    return { file: path, functions, count: functions.reduce((n, g) => n + g.sites.length, 0) };
  }

  // -------------------------------------------------------------------------------------------------
  // Requests and console

  async handle(command: string, rawArgs: unknown): Promise<object> {
    const args = record(rawArgs);
    switch (command) {
      case hypercallCatalogueRequest.command:
        return {
          abi: 'kvm',
          entries: KVM_HYPERCALLS.map((e) => ({
            name: e.name,
            number: e.number,
            description: e.description,
          })),
        };
      case hypercallRequest.command: {
        const threadId = optionalNumber(args, 'threadId') ?? (await this.dbg.threads.currentId());
        const frameId = optionalNumber(args, 'frameId');
        const frame = frameId === undefined ? undefined : this.dbg.frames.get(frameId);
        return this.hypercall(frame?.threadId ?? threadId, frame?.level ?? 0);
      }
      case hypercallSitesRequest.command: {
        const file = args['file'];
        if (file !== undefined && typeof file !== 'string')
          throw new HypercallRequestError('"file" must be a path');
        return this.sites(file);
      }
      case setHypercallBreakpointsRequest.command: {
        const list = args['breakpoints'];
        if (!Array.isArray(list)) throw new HypercallRequestError('"breakpoints" must be an array');
        return { breakpoints: await this.setBreakpoints(list) };
      }
      case vmExitRequest.command: {
        const threadId = optionalNumber(args, 'threadId') ?? (await this.dbg.threads.currentId());
        return this.vmExit(threadId);
      }
      default:
        throw new HypercallRequestError(`unknown request ${command}`);
    }
  }

  /** `hv hypercall [auto on|off]`. */
  async hypercallCommand(argv: readonly string[], frame: FrameRef | undefined): Promise<string> {
    if (argv[0] === 'auto') {
      if (argv[1] !== 'on' && argv[1] !== 'off') return 'usage: hv hypercall auto on|off';
      this.auto = argv[1] === 'on';
      return `decoding hypercalls at every stop: ${argv[1]}`;
    }
    const threadId = frame?.threadId ?? (await this.dbg.threads.currentId());
    const body = await this.hypercall(threadId, frame?.level ?? 0);
    return body.hypercall === undefined
      ? `no hypercall: ${body.none ?? ''}`
      : formatHypercall(body.hypercall);
  }

  /** `hv break hypercall <name|number> ...` (replaces the hypercall breakpoints; none clears them). */
  async breakCommand(argv: readonly string[]): Promise<string> {
    if (argv[0] !== 'hypercall')
      return 'usage: hv break hypercall <name|number>... (e.g. KVM_HC_SCHED_YIELD, 0x4711)';
    const calls = argv.slice(1);
    const results = await this.setBreakpoints(calls.map((call) => ({ abi: 'kvm', call })));
    if (results.length === 0) return 'hypercall breakpoints cleared';
    return results
      .map(
        (r, i) =>
          `${r.verified ? `breakpoint ${r.id ?? '?'}` : 'not set'}: ${calls[i] ?? ''}: ${r.message ?? ''}`,
      )
      .join('\n');
  }

  async exitCommand(frame: FrameRef | undefined): Promise<string> {
    const threadId = frame?.threadId ?? (await this.dbg.threads.currentId());
    const body = await this.vmExit(threadId);
    return body.exit === undefined ? `no VM exit: ${body.none ?? ''}` : formatVmExit(body.exit);
  }
}

function rows(list: readonly ScopeRow[]): ProvidedVariable[] {
  return list.map((r) => ({ ...r }));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.trim() : String(error);
}

/** Wires the hypercall service into a session: scopes, console commands, custom requests. */
export function wireHypercalls(dbg: Debugger, args: CommonArguments): HypercallService {
  const service = new HypercallService(dbg, args);
  for (const command of hypercallCommands(service)) dbg.console.register(command);
  for (const command of HYPERCALL_REQUESTS) dbg.handle(command, (a) => service.handle(command, a));
  return service;
}
