/** `hv hypercall`, `hv break hypercall` and `hv exit` in the Debug Console, with their completions. */
import type { HvCommand } from '../debugger/console';
import { startingWith, type WordCompletion } from '../debugger/hvCompletions';
import { KVM_HYPERCALLS } from './kvm';
import { resolveKvmCall } from '../hypervisors/kvm/handler';
import type { FrameRef } from '../debugger/frames';
import type { HypercallService } from './session';
import { formatHypercall, formatVmExit } from './info';

const KVM_PREFIX = 'KVM_HC_';

/**
 * The KVM hypercall names for `partial`, matched with or without `KVM_HC_` (`KI` and `KVM_HC_KI` both
 * give `KVM_HC_KICK_CPU`), leaving out the calls `given` already names. The full name is inserted: it
 * is what the catalogue and `hv break hypercall` print, and what gdb and KVM's sources call it.
 */
export function completeKvmHypercall(given: readonly string[], partial: string): WordCompletion[] {
  const chosen = new Set(
    given.map((g) => resolveKvmCall(g)).flatMap((r) => (typeof r === 'string' ? [] : [r.number])),
  );
  const wanted = partial.toUpperCase();
  return KVM_HYPERCALLS.filter(
    (e) =>
      !chosen.has(e.number) &&
      (e.name.startsWith(wanted) || e.name.slice(KVM_PREFIX.length).startsWith(wanted)),
  ).map((e) => ({
    label: e.name,
    type: 'value',
    detail: `${e.number} (0x${e.number.toString(16)}): ${e.description}`,
    sortText: String(e.number).padStart(4, '0'),
  }));
}

/** `hv break hypercall <name|nr>...`. */
export function completeBreak(args: readonly string[], partial: string): WordCompletion[] {
  if (args.length === 0)
    return startingWith(partial, [
      { label: 'hypercall', type: 'keyword', detail: 'stop when KVM handles these hypercalls' },
    ]);
  return args[0] === 'hypercall' ? completeKvmHypercall(args.slice(1), partial) : [];
}

/** `hv hypercall [auto on|off]`. */
export function completeHypercall(args: readonly string[], partial: string): WordCompletion[] {
  if (args.length === 0)
    return startingWith(partial, [
      { label: 'auto', type: 'keyword', detail: 'decode the hypercall at every stop: on or off' },
    ]);
  return args.length === 1 && args[0] === 'auto' ? startingWith(partial, ['on', 'off'], 'value') : [];
}

export function hypercallCommands(service: HypercallService): HvCommand[] {
  return [
    {
      name: 'hypercall',
      usage: 'hv hypercall [auto on|off]',
      summary: 'the hypercall this vCPU is at or KVM is handling, decoded',
      run: (argv, frame) => hypercallCommand(service, argv, frame),
      complete: completeHypercall,
    },
    {
      name: 'break',
      usage: 'hv break hypercall <name|nr>',
      summary: 'stop when KVM handles that hypercall (kvm_emulate_hypercall)',
      run: (argv) => breakCommand(service, argv),
      complete: completeBreak,
    },
    {
      name: 'exit',
      usage: 'hv exit',
      summary: 'the VM exit KVM is handling (VMCB / VMCS), decoded',
      run: (_argv, frame) => exitCommand(service, frame),
    },
  ];
}

/** `hv hypercall [auto on|off]`. */
async function hypercallCommand(
  service: HypercallService,
  argv: readonly string[],
  frame: FrameRef | undefined,
): Promise<string> {
  if (argv[0] === 'auto') {
    if (argv[1] !== 'on' && argv[1] !== 'off') return 'usage: hv hypercall auto on|off';
    service.auto = argv[1] === 'on';
    return `decoding hypercalls at every stop: ${argv[1]}`;
  }
  const threadId = frame?.threadId ?? (await service.currentThread());
  const body = await service.hypercall(threadId, frame?.level ?? 0);
  return body.hypercall === undefined ? `no hypercall: ${body.none ?? ''}` : formatHypercall(body.hypercall);
}

/** `hv break hypercall <name|number> ...` (replaces the hypercall breakpoints; none clears them). */
async function breakCommand(service: HypercallService, argv: readonly string[]): Promise<string> {
  if (argv[0] !== 'hypercall')
    return 'usage: hv break hypercall <name|number>... (e.g. KVM_HC_SCHED_YIELD, 0x4711)';
  const calls = argv.slice(1);
  const results = await service.setBreakpoints(calls.map((call) => ({ abi: 'kvm', call })));
  if (results.length === 0) return 'hypercall breakpoints cleared';
  return results
    .map(
      (r, i) =>
        `${r.verified ? `breakpoint ${r.id ?? '?'}` : 'not set'}: ${calls[i] ?? ''}: ${r.message ?? ''}`,
    )
    .join('\n');
}

/** `hv exit`. */
async function exitCommand(service: HypercallService, frame: FrameRef | undefined): Promise<string> {
  const threadId = frame?.threadId ?? (await service.currentThread());
  const body = await service.vmExit(threadId);
  return body.exit === undefined ? `no VM exit: ${body.none ?? ''}` : formatVmExit(body.exit);
}
