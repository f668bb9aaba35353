/**
 * Exit information decoded by adapter/vmexits (`decodeExitInfo`) as one sentence for a hover: the I/O
 * access, the EPT violation or nested page fault, the control-register access, the MSR access. Also the
 * x86 page-fault error code (`PFERR_*`: the same bits 0–6 as SVM's NPF EXITINFO1).
 */
import {
  decodeNestedPageFault,
  type CrAccess,
  type EptViolation,
  type ExitInfo,
  type IoAccess,
  type MsrAccess,
  type NestedPageFault,
} from './decode';
import { hex, msrName, portName } from './wellKnown';

export function describeExitInfo(info: ExitInfo): string {
  switch (info.kind) {
    case 'io':
      return describeIo(info);
    case 'ept-violation':
      return describeEpt(info);
    case 'npf':
      return describeNpf(info);
    case 'cr':
      return describeCr(info);
    case 'msr':
      return describeMsr(info);
  }
}

function describeIo(io: IoAccess): string {
  const op = `${io.rep ? 'REP ' : ''}${io.direction === 'in' ? 'IN' : 'OUT'}${io.string ? 'S' : ''}`;
  const size = io.size === 0 ? 'reserved size' : `${io.size} byte${io.size === 1 ? '' : 's'}`;
  const name = portName(io.port);
  const parts = [`${op}, ${size}, port ${hex(io.port)}${name === undefined ? '' : ` (${name})`}`];
  if (io.immediate !== null) parts.push(io.immediate ? 'port from an immediate' : 'port in DX');
  if (io.addressSize !== null) parts.push(`${io.addressSize}-bit addresses`);
  if (io.nextRip !== null) parts.push(`next RIP \`${hex(io.nextRip)}\``);
  return `I/O: ${parts.join(' · ')}`;
}

const rwx = (r: boolean, w: boolean, x: boolean): string =>
  [r ? 'read' : '', w ? 'write' : '', x ? 'execute' : ''].filter((s) => s !== '').join('/');

function describeEpt(e: EptViolation): string {
  const access = rwx(e.access.read, e.access.write, e.access.fetch).replace('execute', 'instruction fetch');
  const allowed = rwx(e.allowed.read, e.allowed.write, e.allowed.execute);
  const parts = [
    `${access === '' ? 'no' : access} access`,
    allowed === ''
      ? 'the guest-physical page is not mapped (EPT entry not present)'
      : `EPT allows ${allowed}`,
  ];
  if (e.linearAddressValid) {
    parts.push(
      e.translatedAccess
        ? 'guest-linear address valid, access to the translated address'
        : 'guest-linear address valid, access to a guest paging-structure entry',
    );
  }
  if (e.nmiUnblocking) parts.push('NMI unblocking due to IRET');
  if (e.shadowStack) parts.push('shadow-stack access');
  return `EPT violation: ${parts.join(' · ')}`;
}

/** `user-mode write, page present (protection violation)` from PFERR bits 0–6. */
export function describePageFaultBits(
  f: Pick<
    NestedPageFault,
    'present' | 'write' | 'user' | 'reservedBit' | 'fetch' | 'protectionKey' | 'shadowStack'
  >,
): string {
  const access = f.fetch ? 'instruction fetch' : f.write ? 'write' : 'read';
  const parts = [`${f.user ? 'user-mode' : 'supervisor-mode'} ${access}`];
  parts.push(f.present ? 'page present (protection violation)' : 'page not present');
  if (f.reservedBit) parts.push('reserved bit set in a paging entry');
  if (f.protectionKey) parts.push('protection-key violation');
  if (f.shadowStack) parts.push('shadow-stack access');
  return parts.join(', ');
}

/** The x86 page-fault error code, e.g. of a #PF exit or a shadow-paging `kvm_page_fault`. */
export function describePageFaultErrorCode(code: bigint): string {
  return describePageFaultBits(decodeNestedPageFault(code));
}

function describeNpf(f: NestedPageFault): string {
  const parts = [describePageFaultBits(f)];
  if (f.finalTranslation) parts.push('during the final guest-physical translation');
  if (f.guestPageTables) parts.push("while walking the guest's page tables");
  if (f.rmp) parts.push('RMP check failed');
  if (f.encrypted) parts.push('encrypted access');
  if (f.sizeMismatch) parts.push('page-size mismatch');
  if (f.vmpl) parts.push('VMPL violation');
  if (f.gpa !== null) parts.push(`GPA \`${hex(f.gpa)}\``);
  return `Nested page fault: ${parts.join(' · ')}`;
}

function describeCr(c: CrAccess): string {
  const cr = `CR${c.cr}`;
  switch (c.access) {
    case 'mov-to-cr':
      return `CR access: MOV to ${cr} from ${c.gpr ?? '?'}`;
    case 'mov-from-cr':
      return `CR access: MOV from ${cr} to ${c.gpr ?? '?'}`;
    case 'clts':
      return 'CR access: CLTS (clears CR0.TS)';
    case 'lmsw':
      return `CR access: LMSW ${hex(c.lmswData ?? 0)}${c.lmswMemory ? ' (memory operand)' : ''}`;
    case 'mov':
      return `CR access: ${cr}, MOV with ${c.gpr ?? '?'}`;
    case 'other':
      return `CR access: ${cr} (not a MOV: CLTS, LMSW or SMSW)`;
  }
}

function describeMsr(m: MsrAccess): string {
  const op = m.write ? 'WRMSR' : 'RDMSR';
  if (m.msr === null)
    return `MSR access: ${op} (the index is in ECX; the \`kvm_msr\` line after this one names it)`;
  const name = msrName(m.msr);
  return `MSR access: ${op} ${hex(m.msr)}${name === undefined ? '' : ` (${name})`}`;
}
