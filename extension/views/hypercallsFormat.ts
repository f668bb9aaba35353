/**
 * How the Hypercalls and Hypercall Sites views print the adapter's answers
 * (adapter/protocol/hypercallRequests.ts). No `vscode` import (unit-tested in
 * plain Node): strings and grouping only; decoding is the adapter's.
 */
import type { ResolvedSymbol } from '../../adapter/protocol/customRequests';
import type {
  HypercallArgumentInfo,
  HypercallInfo,
  HypercallSiteInfo,
  VmExitInfo,
} from '../../adapter/protocol/hypercallRequests';

/** The call's row: `KVM_HC_SCHED_YIELD`, `KVM · nr 0xb (rax) · guest side: vmmcall at 0xffffffff81…`. */
export function hypercallText(call: HypercallInfo): { label: string; description: string } {
  const parts = [call.abiTitle];
  if (call.number !== undefined)
    parts.push(`nr ${call.number}${call.numberRegister === undefined ? '' : ` (${call.numberRegister})`}`);
  if (call.side === 'guest')
    parts.push(
      call.instruction === undefined
        ? 'guest side'
        : `guest side: ${call.instruction.text} at ${call.instruction.address}`,
    );
  else parts.push(`in the hypervisor${call.guestRip === undefined ? '' : `, guest RIP ${call.guestRip}`}`);
  return { label: call.name, description: parts.join(' · ') };
}

/** An argument's row: `dest_apicid = 0x1`, `rcx · the APIC ID of the vCPU to yield to`. */
export function argumentText(arg: HypercallArgumentInfo): { label: string; description: string } {
  return {
    label: `${arg.name} = ${arg.value ?? 'unreadable'}`,
    description: arg.description === '' ? arg.register : `${arg.register} · ${arg.description}`,
  };
}

/** The result's row: `result: 0 (success)` / `result: -1000 (-KVM_ENOSYS)` / `no result yet`. */
export function resultText(call: HypercallInfo): { label: string; description: string } {
  const r = call.result;
  if (r === undefined)
    return {
      label: 'result: not yet',
      description: call.side === 'guest' ? 'step over the instruction to see it' : 'step until KVM writes it',
    };
  return { label: `result: ${r.text}`, description: `${r.kind} · ${r.raw} from ${r.from}` };
}

/** The VM exit's row: `VM exit: vmmcall (0x81)`, `SVM · info1 0x0 · info2 0x0 · …`. */
export function vmExitText(exit: VmExitInfo): { label: string; description: string; tooltip: string } {
  const parts = [exit.isa.toUpperCase()];
  if (exit.infoText !== undefined && exit.infoText !== '') parts.push(exit.infoText);
  else {
    if (exit.info1 !== undefined) parts.push(`info1 ${exit.info1}`);
    if (exit.info2 !== undefined) parts.push(`info2 ${exit.info2}`);
  }
  const tooltip = [
    `${exit.isa === 'svm' ? 'EXITCODE' : 'exit reason'} ${exit.code}: ${exit.name}`,
    exit.description,
    exit.info1 === undefined
      ? undefined
      : `${exit.isa === 'svm' ? 'EXITINFO1' : 'qualification'} ${exit.info1}`,
    exit.info2 === undefined ? undefined : `EXITINFO2 ${exit.info2}`,
    exit.infoText,
    `read from ${exit.from} in ${exit.frame.function} (frame ${exit.frame.level})`,
  ]
    .filter((s) => s !== undefined && s !== '')
    .join('\n');
  return { label: `VM exit: ${exit.name} (${exit.code})`, description: parts.join(' · '), tooltip };
}

/** `kvm_hypercall2 · kvm_para.h:34` or the address's symbol as far as it is known. */
export function symbolText(symbol: ResolvedSymbol): string {
  if (symbol.function === undefined) return symbol.none ?? 'no symbol';
  const fn = symbol.offset ? `${symbol.function}+${symbol.offset}` : symbol.function;
  if (symbol.file === undefined || symbol.line === undefined) return fn;
  return `${fn} · ${symbol.file.slice(symbol.file.lastIndexOf('/') + 1)}:${symbol.line}`;
}

/** A site's row: `0xffffffff81071234`, `vmmcall (ELF: vmcall) · kvm_para.h:34`. */
export function siteText(site: HypercallSiteInfo): { label: string; description: string } {
  const patched =
    site.liveError !== undefined
      ? `${site.elfInstruction} (live bytes unreadable)`
      : site.instruction === site.elfInstruction
        ? site.instruction
        : `${site.instruction} (ELF: ${site.elfInstruction})`;
  const where =
    site.symbol.file !== undefined && site.symbol.line !== undefined
      ? `${site.symbol.file.slice(site.symbol.file.lastIndexOf('/') + 1)}:${site.symbol.line}`
      : undefined;
  return { label: site.address, description: [patched, where].filter((s) => s !== undefined).join(' · ') };
}

/** The breakpoint that stops at a site: gdb's `*ADDRESS` location, as a DAP function breakpoint name. */
export function siteBreakpointName(address: string): string {
  return `*${address}`;
}

/**
 * Parses a hypercall breakpoint as typed: a catalogue name (`KVM_HC_SCHED_YIELD`, `sched_yield`) or a
 * number (`11`, `0xb`). Names are upper-cased; the adapter resolves them against its catalogue.
 */
export function parseHypercallCall(text: string): string | number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (/^0x[0-9a-f]+$/i.test(t) || /^\d+$/.test(t)) {
    const n = Number(BigInt(t));
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) return t.toUpperCase();
  return undefined;
}
