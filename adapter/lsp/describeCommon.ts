/**
 * What every hover shows about where a line comes from, and the context a single line cannot give:
 * the thread's vCPU (learned from its kvm_entry lines) and the trace's ISA (from its exits).
 */
import type { LineFields } from '../vmexits/index';
import { hex } from '../vmexits/wellKnown';

export interface HoverContext {
  /** Thread id → vCPU, from the document's kvm_entry lines. */
  readonly vcpuByPid: ReadonlyMap<number, number>;
  /** The ISA the document's exits name, or null (none seen yet). */
  readonly isa: 'vmx' | 'svm' | null;
  /** Whether `hvdbg.traces.symbolFile` is set (go to definition on a RIP works). */
  readonly symbolFileSet: boolean;
}

/** `812.100800 s` (6 decimals, 9 when the trace has nanoseconds). */
export function seconds(tsNs: number): string {
  return `${(tsNs / 1e9).toFixed(tsNs % 1000 === 0 ? 6 : 9)} s`;
}

/**
 * `vCPU 1 · guest RIP 0x… · host CPU 0 · thread CPU 1/KVM (4243) · 812.100800 s`; the vCPU from the
 * line, else from the thread's kvm_entry lines (said so), else left out.
 */
export function origin(ev: LineFields, vcpu: number | null, rip: bigint | null, ctx: HoverContext): string {
  const parts: string[] = [];
  const known = vcpu ?? ctx.vcpuByPid.get(ev.pid) ?? null;
  if (known !== null)
    parts.push(vcpu === null ? `vCPU ${known} (from the thread's kvm_entry)` : `vCPU ${known}`);
  if (rip !== null) parts.push(`guest RIP \`${hex(rip)}\``);
  parts.push(`host CPU ${ev.cpu}`);
  parts.push(`thread \`${ev.comm}\` (${ev.pid})`);
  parts.push(seconds(ev.tsNs));
  return parts.join(' · ');
}

export const DEFINITION_HINT =
  '*Go to Definition on the RIP opens the guest source: set `hvdbg.traces.symbolFile` to an ELF with DWARF (e.g. the guest vmlinux).*';
