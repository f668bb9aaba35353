/**
 * Hovers of the lines around an exit: kvm_entry, kvm_hypercall (the KVM_HC_* call and its arguments),
 * kvm_pio, kvm_mmio, kvm_msr, kvm_cr (CR0/CR3/CR4/CR8 and EFER bits from adapter/x86), kvm_page_fault,
 * kvm_userspace_exit, and the lost-events and unparsed lines.
 */
import type {
  CrEvent,
  EntryEvent,
  HypercallEvent,
  MmioEvent,
  MsrEvent,
  PageFaultEvent,
  PioEvent,
} from '../vmexits/index';
import { decodeEptViolation, decodeNestedPageFault } from '../vmexits/decode';
import { eferLayout, layoutForRegister } from '../x86/controlRegisters';
import { formatSummary } from '../x86/bitfields';
import { describeExitInfo, describePageFaultErrorCode } from '../vmexits/describeInfo';
import { origin, type HoverContext } from './describeCommon';
import { findHypercall } from '../hypercalls/catalogue';
import { hex, msrName, portName } from '../vmexits/wellKnown';

const EFER = 0xc0000080;

export function describeEntry(ev: EntryEvent, ctx: HoverContext): string[] {
  const notes = [
    ev.immediateExit ? 'an immediate exit was requested' : '',
    ev.guestMode ? 'entering L2 (nested guest)' : '',
  ];
  const note = notes.filter((s) => s !== '').join('; ');
  return [
    `**kvm_entry** — KVM enters the guest${note === '' ? '' : `: ${note}`}`,
    origin(ev, ev.vcpu, ev.rip, ctx),
  ];
}

export function describeHypercall(ev: HypercallEvent, ctx: HoverContext): string[] {
  const hc = ev.nr <= 0xffffn ? findHypercall('kvm', ev.nr) : undefined;
  const args = [ev.a0, ev.a1, ev.a2, ev.a3];
  if (hc === undefined) {
    return [
      `**kvm_hypercall** unknown hypercall number \`${hex(ev.nr)}\` (not a KVM_HC_* number)`,
      origin(ev, null, null, ctx),
      args.map((a, i) => `a${i} \`${hex(a)}\``).join(' · '),
    ];
  }
  const lines = args.map((a, i) => {
    const arg = hc.args[i];
    return arg === undefined
      ? `a${i} \`${hex(a)}\` (unused)`
      : `a${i} \`${hex(a)}\` ${arg.name} (${arg.register}): ${arg.description.replace(/^a\d: /, '')}`;
  });
  return [
    `**kvm_hypercall** \`${hc.name}\` (nr ${hc.number}) — ${hc.description}`,
    origin(ev, null, null, ctx),
    lines.map((l) => `- ${l}`).join('\n'),
    `Returns: ${hc.returns}`,
  ];
}

export function describePio(ev: PioEvent, ctx: HoverContext): string[] {
  const name = portName(ev.port);
  const op = ev.write ? 'OUT (write)' : 'IN (read)';
  const times = ev.count === 1 ? '' : ` × ${ev.count} (string)`;
  const val = ev.val === null ? '' : `, value \`${hex(ev.val)}\``;
  const port = `port \`${hex(ev.port)}\`${name === undefined ? '' : ` (${name})`}`;
  return [
    `**kvm_pio** ${op} of ${ev.size} byte${ev.size === 1 ? '' : 's'}${times}, ${port}${val}`,
    origin(ev, null, null, ctx),
  ];
}

export function describeMmio(ev: MmioEvent, ctx: HoverContext): string[] {
  const val = ev.val === null ? '' : `, value \`${hex(ev.val)}\``;
  const apic =
    ev.gpa >= 0xfee00000n && ev.gpa < 0xfee01000n ? ` (local APIC register ${hex(ev.gpa & 0xfffn)})` : '';
  return [
    `**kvm_mmio** ${ev.access} of ${ev.len} bytes at GPA \`${hex(ev.gpa)}\`${apic}${val}`,
    origin(ev, null, null, ctx),
  ];
}

export function describeMsr(ev: MsrEvent, ctx: HoverContext): string[] {
  const name = msrName(ev.msr);
  const head = `**kvm_msr** ${ev.write ? 'WRMSR' : 'RDMSR'} \`${hex(ev.msr)}\`${name === undefined ? '' : ` (${name})`} = \`${hex(ev.data)}\``;
  const out = [ev.gp ? `${head} · **#GP** (the access faulted)` : head, origin(ev, null, null, ctx)];
  if (ev.msr === EFER) out.push(`EFER ${formatSummary(eferLayout, ev.data)}`);
  return out;
}

export function describeCr(ev: CrEvent, ctx: HoverContext): string[] {
  const out = [
    `**kvm_cr** ${ev.write ? 'write' : 'read'} CR${ev.cr} = \`${hex(ev.val)}\``,
    origin(ev, null, null, ctx),
  ];
  const layout = layoutForRegister(`cr${ev.cr}`);
  if (layout !== undefined) out.push(`CR${ev.cr} ${formatSummary(layout, ev.val)}`);
  return out;
}

/**
 * KVM traces the fault's error code: on VMX with EPT, `handle_ept_violation` passes the exit
 * qualification; on SVM with NPT, `npf_interception` passes EXITINFO1; with shadow paging, the guest's
 * #PF error code. The trace's ISA (from its exits) picks the decoding.
 */
export function describePageFault(ev: PageFaultEvent, ctx: HoverContext): string[] {
  const out = [
    `**kvm_page_fault** at \`${hex(ev.address)}\`, error code \`${hex(ev.errorCode)}\``,
    origin(ev, ev.vcpu, ev.rip, ctx),
  ];
  if (ctx.isa === 'vmx')
    out.push(
      `${describeExitInfo(decodeEptViolation(ev.errorCode))} (on VMX the error code is the exit qualification)`,
    );
  else if (ctx.isa === 'svm') out.push(describeExitInfo(decodeNestedPageFault(ev.errorCode, ev.address)));
  else out.push(`As a page-fault error code: ${describePageFaultErrorCode(ev.errorCode)}`);
  return out;
}
