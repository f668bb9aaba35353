/**
 * A decoded hypercall as the wire shape of `hvdbg/hypercall` (adapter/protocol/hypercallRequests.ts), as text
 * for the Debug Console (`hv hypercall`) and as rows for the Variables view's Hypercall scope.
 */
import type { HypercallInfo, HypercallResultInfo, VmExitInfo } from '../protocol/hypercallRequests';
import { ABI_INFO } from './catalogue';
import type { KnownHypercall, UnknownHypercall } from './describe';
import { hex } from './registers';
import type { DecodedResult } from './result';

/** One row of a provided scope; `children` makes it expandable. */
export interface ScopeRow {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
  readonly children?: readonly ScopeRow[];
}

export interface HypercallExtras {
  readonly side: 'guest' | 'hypervisor';
  /** Overrides the ABI reason (the hypervisor side knows the ABI from the handler). */
  readonly abiReason?: string;
  readonly result?: { readonly decoded: DecodedResult; readonly from: string };
  readonly notes?: readonly string[];
  /** Show the instruction (guest side: read from the guest). */
  readonly withInstruction?: boolean;
}

/** The wire shape of a decoded call. */
export function toHypercallInfo(
  call: KnownHypercall | UnknownHypercall,
  extras: HypercallExtras,
): HypercallInfo {
  const abi = ABI_INFO[call.abi];
  const registers: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.registers)) registers[name] = hex(value);
  const bits32 = call.site.bitness === 32;
  const numberRegister =
    abi.numberRegister === undefined
      ? undefined
      : bits32
        ? abi.numberRegister.replace(/^r/, 'e')
        : abi.numberRegister;
  const info: HypercallInfo = {
    side: extras.side,
    abi: call.abi,
    abiTitle: abi.title,
    abiReason: extras.abiReason ?? call.abiReason,
    kind: call.kind,
    name: call.name,
    ...(call.number === undefined ? {} : { number: hex(call.number) }),
    ...(numberRegister === undefined ? {} : { numberRegister }),
    ...(call.kind === 'known' ? { description: call.entry.description } : {}),
    args: call.args.map((a) => ({
      name: a.name,
      register: a.register,
      ...(a.value === undefined ? {} : { value: hex(a.value) }),
      description: a.description,
    })),
    registers,
    ...(extras.withInstruction === true
      ? {
          instruction: {
            text: call.site.text,
            address: hex(call.site.address),
            bytes: Buffer.from(call.site.bytes).toString('hex'),
          },
        }
      : {}),
    guestRip: hex(call.site.address),
    ...(extras.result === undefined
      ? {}
      : { result: toResultInfo(extras.result.decoded, extras.result.from) }),
    notes: [...call.notes, ...(extras.notes ?? [])],
    source: call.kind === 'known' ? call.entry.source : abi.source,
  };
  return info;
}

export function toResultInfo(result: DecodedResult, from: string): HypercallResultInfo {
  return {
    raw: hex(result.raw),
    kind: result.kind,
    ...(result.code === undefined ? {} : { code: result.code }),
    text: result.text,
    from,
  };
}

/** The Hypercall scope's rows. */
export function hypercallRows(info: HypercallInfo): ScopeRow[] {
  const rows: ScopeRow[] = [
    { name: 'call', value: info.name, type: info.description ?? `${info.abiTitle} hypercall` },
    {
      name: 'number',
      value: info.number ?? '?',
      ...(info.numberRegister === undefined ? {} : { type: info.numberRegister }),
    },
    { name: 'ABI', value: `${info.abiTitle} (${info.abiReason})`, type: info.source },
  ];
  for (const a of info.args)
    rows.push({ name: a.name, value: `${a.value ?? '?'} (${a.register})`, type: a.description });
  if (info.result !== undefined)
    rows.push({ name: 'result', value: info.result.text, type: `read from ${info.result.from}` });
  else rows.push({ name: 'result', value: 'not yet: step over the call', type: 'RAX after the call' });
  if (info.instruction !== undefined)
    rows.push({
      name: 'instruction',
      value: `${info.instruction.text} at ${info.instruction.address}`,
      type: info.instruction.bytes,
    });
  else if (info.guestRip !== undefined) rows.push({ name: 'guest RIP', value: info.guestRip });
  rows.push({
    name: 'registers',
    value: Object.entries(info.registers)
      .map(([r, v]) => `${r}=${v}`)
      .join(' '),
    children: Object.entries(info.registers).map(([r, v]) => ({ name: r, value: v })),
  });
  info.notes.forEach((n, i) => rows.push({ name: `note ${i + 1}`, value: n }));
  return rows;
}

/** `hv hypercall` text. */
export function formatHypercall(info: HypercallInfo): string {
  const lines = [
    `${info.side === 'guest' ? 'guest' : 'KVM handling'}: ${info.name} (${info.abiTitle}, number ${info.number ?? '?'}${info.numberRegister === undefined ? '' : ` in ${info.numberRegister}`})`,
  ];
  for (const a of info.args)
    lines.push(`  ${a.name.padEnd(16)} ${(a.value ?? '?').padEnd(20)} ${a.register}`);
  lines.push(
    `  result           ${info.result === undefined ? '(not yet: step over the call)' : info.result.text}`,
  );
  if (info.instruction !== undefined)
    lines.push(
      `  instruction      ${info.instruction.text} at ${info.instruction.address} (${info.instruction.bytes})`,
    );
  else if (info.guestRip !== undefined) lines.push(`  guest RIP        ${info.guestRip}`);
  for (const n of info.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

/** The VM Exit scope's rows. */
export function vmExitRows(exit: VmExitInfo): ScopeRow[] {
  const isa = exit.isa === 'svm' ? 'SVM EXITCODE' : 'VMX exit reason';
  const rows: ScopeRow[] = [
    { name: 'reason', value: `${exit.name} (${exit.code})`, type: exit.description ?? isa },
    { name: exit.isa === 'svm' ? 'EXITINFO1' : 'exit qualification', value: exit.info1 ?? '?' },
  ];
  if (exit.info2 !== undefined) rows.push({ name: 'EXITINFO2', value: exit.info2 });
  if (exit.infoText !== undefined) rows.push({ name: 'decoded', value: exit.infoText });
  rows.push({
    name: 'read from',
    value: exit.from,
    type: `frame ${exit.frame.level}: ${exit.frame.function}`,
  });
  return rows;
}

/** `hv exit` text. */
export function formatVmExit(exit: VmExitInfo): string {
  const lines = [
    `VM exit: ${exit.name} (${exit.isa.toUpperCase()} ${exit.code})${exit.description === undefined ? '' : ` — ${exit.description}`}`,
  ];
  if (exit.info1 !== undefined)
    lines.push(`  ${exit.isa === 'svm' ? 'EXITINFO1' : 'qualification'} ${exit.info1}`);
  if (exit.info2 !== undefined) lines.push(`  EXITINFO2 ${exit.info2}`);
  if (exit.infoText !== undefined) lines.push(`  ${exit.infoText}`);
  lines.push(`  from ${exit.from} in frame ${exit.frame.level} (${exit.frame.function})`);
  return lines.join('\n');
}
