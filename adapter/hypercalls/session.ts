/**
 * Hypercalls in a connected session: at each stop, the hypercall the vCPU is at (guest side: the
 * instruction at RIP, read from live memory) or KVM is handling (hypervisor side: a frame of
 * `kvm_emulate_hypercall`, the guest's registers from `vcpu->arch.regs`), and the VM exit being handled
 * (a frame of KVM's exit handling). Shown as the Hypercall and VM Exit scopes, `hv hypercall`, `hv exit`,
 * `hv break hypercall`, and the custom requests of adapter/protocol/hypercallRequests.ts.
 */
import type { CommonArguments } from '../protocol/config';
import type {
  HypercallBody,
  HypercallBreakpointResult,
  HypercallInfo,
  HypercallSitesBody,
  VmExitBody,
} from '../protocol/hypercallRequests';
import type { SessionHost } from '../session/host';
import type { FrameRef } from '../debugger/frames';
import type { ProvidedVariable } from '../debugger/variables';
import { GdbSymbolResolver, SourceFinder } from '../exits/symbols';
import type { GdbBackend } from '../gdb/backend';
import { cli } from '../gdb/mi/cli';
import { evaluate, readMemory } from '../gdb/mi/data';
import { listFrames, type FrameInfo } from '../gdb/mi/stack';
import { GuestHypercallTracker } from './guest';
import { hintFromPvInfoName } from './hint';
import type { HypervisorHint } from './types';
import { hypercallRows, toHypercallInfo, vmExitRows, type ScopeRow } from './info';
import {
  KVM_HYPERCALL_HANDLERS,
  VCPU_REGS,
  describeHandledCall,
  parseGdbInteger,
  parseGdbIntegerArray,
  resultWritten,
  type VcpuRegisterCache,
} from '../hypervisors/kvm/handler';
import { describeResult } from './result';
import {
  KVM_OFFSET_EXPRESSIONS,
  VMCB_EXIT_CODE,
  describeVmExit,
  parseVmcbExit,
} from '../hypervisors/kvm/vmExit';
import { hex } from './registers';
import { HypercallBreakpoints } from './breakpoints';
import { listHypercallSites } from './siteList';
import { settle, type Settled } from './settled';

export { HypercallRequestError } from './errors';

/** Frames of KVM's exit handling: files of `arch/x86/kvm/` and `virt/kvm/`. */
const KVM_FILE = /(^|\/)(arch\/x86\/kvm|virt\/kvm)\//;
/** How many frames a stop's analysis looks at. */
const MAX_FRAMES = 48;

/** What a stop of one vCPU showed, learned once per stop. */
interface StopAnalysis {
  readonly guest: { info?: HypercallInfo; none?: string };
  /** The frame of `kvm_emulate_hypercall`, when on the stack. */
  readonly handler?: FrameInfo;
  /** The innermost frame of KVM's exit handling with a `vcpu` or `svm` argument candidate. */
  readonly kvmFrames: readonly FrameInfo[];
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
  private readonly breakpoints: HypercallBreakpoints;
  private offsets:
    { isa: 'svm'; vmcb: bigint } | { isa: 'vmx'; reason: bigint; qualification: bigint } | undefined;
  private outLine: Promise<number | undefined> | undefined;
  private readonly symbols: GdbSymbolResolver;
  /** Offer the Hypercall and VM Exit scopes (off: `hv hypercall auto off`; the requests still answer). */
  auto = true;

  constructor(
    private readonly host: SessionHost,
    private readonly args: CommonArguments,
  ) {
    this.gdb = host.gdb;
    this.breakpoints = new HypercallBreakpoints(this.gdb, (args.breakpointType ?? 'hardware') === 'hardware');
    this.symbols = new GdbSymbolResolver(
      (command, timeoutMs) => cli(this.gdb, command, timeoutMs),
      new SourceFinder(args.sourceFileMap, args.sourcePaths),
    );
    host.stops.onResume(() => {
      this.analyses = new Map();
      this.handlerInfo = new Map();
      this.exitInfo = new Map();
    });
    host.addScope((frame) => this.hypercallScope(frame));
    host.addScope((frame) => this.vmExitScope(frame));
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
      this.host.registers.main(frame0).then(
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
    if (this.host.stops.state !== 'stopped') return { none: 'the guest is running' };
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
    this.outLine ??= cli(this.gdb, 'info line kvm_emulate_hypercall:out', 2000)
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
    if (this.host.stops.state !== 'stopped') return { none: 'the guest is running' };
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
  // Hypercall breakpoints (hypervisor side) and sites

  setBreakpoints(wanted: readonly unknown[]): Promise<HypercallBreakpointResult[]> {
    return this.breakpoints.set(wanted);
  }

  sites(file?: string): Promise<HypercallSitesBody> {
    return listHypercallSites(this.gdb, this.symbols, file ?? this.args.program, file !== undefined);
  }

  // -------------------------------------------------------------------------------------------------
  // Requests and console

  /** gdb's selected vCPU (commands and requests given no thread). */
  currentThread(): Promise<number> {
    return this.host.threads.currentId();
  }

  /** A DAP frame of this stop, or undefined if it is stale. */
  frame(frameId: number): FrameRef | undefined {
    return this.host.frames.get(frameId);
  }
}

function rows(list: readonly ScopeRow[]): ProvidedVariable[] {
  return list.map((r) => ({ ...r }));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.trim() : String(error);
}
