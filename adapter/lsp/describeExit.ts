/**
 * The hover of a `kvm_exit` line: the reason (name, code and the manual's description, VMX or SVM),
 * where it happened, the decoded exit information, and the event being delivered or raised.
 * Field meanings by ISA and layout: KVM's `get_exit_info` (`arch/x86/kvm/vmx/vmx.c`, `svm/svm.c`).
 */
import {
  decodeExitInfo,
  decodeInterruptionInfo,
  exitReason,
  VMX_FAILED_VMENTRY,
  type ExitEvent,
  type ExitReasonInfo,
} from '../vmexits/index';
import { describeExitInfo, describePageFaultErrorCode } from '../vmexits/describeInfo';
import { origin, type HoverContext } from './describeCommon';
import { hex, vectorName } from '../vmexits/wellKnown';

/** Markdown paragraphs. */
export function describeExit(ev: ExitEvent, ctx: HoverContext): string[] {
  const isa = ev.isa !== 'unknown' ? ev.isa : ctx.isa;
  const row = ev.code !== null && isa !== null ? exitReason(isa, ev.code) : undefined;
  const out = [headline(ev, isa, row), origin(ev, ev.vcpu, ev.rip, ctx)];
  const info = isa === null ? null : decodeExitInfo({ isa, code: ev.code, info1: ev.info1, info2: ev.info2 });
  if (info !== null) out.push(describeExitInfo(info).replace(/^([^:]+):/, '**$1**:'));
  out.push(...events(ev, isa));
  const raw = rawFields(ev, isa);
  if (raw !== '') out.push(raw);
  return out;
}

function headline(ev: ExitEvent, isa: 'vmx' | 'svm' | null, row: ExitReasonInfo | undefined): string {
  const shown =
    row !== undefined && row.name !== ev.reason ? `\`${ev.reason}\` (${row.name})` : `\`${ev.reason}\``;
  let text: string;
  if (row === undefined) {
    const code = ev.code === null ? '' : `, code ${hex(ev.code)}`;
    text = `**kvm_exit** ${shown}: not in the ${isa === null ? 'VMX or SVM' : isa.toUpperCase()} exit-reason tables${code}`;
  } else {
    const code = row.isa === 'vmx' ? `VMX basic exit reason ${row.code}` : `SVM exit code ${hex(row.code)}`;
    text = `**kvm_exit** ${shown} — ${row.description} (${code})`;
  }
  if ((ev.flags & VMX_FAILED_VMENTRY) !== 0) text += ' · **VM-entry failure** (exit reason bit 31)';
  return text;
}

/** The interruption-information words that are valid, and the fault details of #PF exits. */
function events(ev: ExitEvent, isa: 'vmx' | 'svm' | null): string[] {
  const out: string[] = [];
  const low = (v: bigint | null): number | null => (v === null ? null : Number(v & 0xffffffffn));
  if (isa === 'vmx') {
    const exitIntr = ev.layout === 'extended' ? ev.intrInfo : low(ev.info2);
    const idt = ev.layout === 'extended' ? low(ev.info2) : null;
    if (exitIntr !== null) {
      const d = decodeInterruptionInfo('vmx', exitIntr);
      if (d.valid) {
        const ec = d.errorCodeValid && ev.errorCode !== null ? `, error code ${hex(ev.errorCode)}` : '';
        out.push(`Exit interruption: vector ${vectorName(d.vector)}, ${d.type}${ec}`);
        if (ev.code === 0 && d.vector === 14 && ev.info1 !== null) {
          const bits =
            ev.errorCode !== null && d.errorCodeValid
              ? `: ${describePageFaultErrorCode(BigInt(ev.errorCode))}`
              : '';
          out.push(`**Page fault** at guest-linear address \`${hex(ev.info1)}\`${bits}`);
        }
      }
    }
    if (idt !== null && decodeInterruptionInfo('vmx', idt).valid) {
      const d = decodeInterruptionInfo('vmx', idt);
      out.push(
        `The exit interrupted the delivery of vector ${vectorName(d.vector)} (${d.type}; IDT-vectoring info)`,
      );
    }
  } else if (isa === 'svm') {
    if (ev.intrInfo !== null && decodeInterruptionInfo('svm', ev.intrInfo).valid) {
      const d = decodeInterruptionInfo('svm', ev.intrInfo);
      out.push(
        `The exit interrupted the delivery of vector ${vectorName(d.vector)} (${d.type}; EXITINTINFO)`,
      );
    }
    if (ev.code === 0x4e && ev.info1 !== null) {
      const addr = ev.info2 === null ? '' : ` at \`${hex(ev.info2)}\``;
      out.push(`**Page fault**${addr}: ${describePageFaultErrorCode(ev.info1)}`);
    }
  }
  return out;
}

function rawFields(ev: ExitEvent, isa: 'vmx' | 'svm' | null): string {
  const names =
    isa === 'svm'
      ? ['EXITINFO1', 'EXITINFO2', 'EXITINTINFO', 'EXITINTINFO error code']
      : isa === 'vmx'
        ? [
            'exit qualification',
            ev.layout === 'extended' ? 'IDT-vectoring info' : 'exit interruption info',
            'exit interruption info',
            'interruption error code',
          ]
        : ['info1', 'info2', 'intr_info', 'error_code'];
  const values = [ev.info1, ev.info2, ev.intrInfo, ev.errorCode];
  return values
    .map((v, i) => (v === null ? '' : `${names[i] ?? ''} \`${hex(v)}\``))
    .filter((s) => s !== '')
    .join(' · ');
}
