/**
 * The hover of a trace line: routes the line's event to its description (describeExit.ts,
 * describeEvents.ts) and adds the go-to-definition hint on lines with a guest RIP when no symbol file
 * is set.
 */
import { MarkupKind, type Hover } from 'vscode-languageserver';
import { DEFINITION_HINT, origin, type HoverContext } from './describeCommon';
import {
  describeCr,
  describeEntry,
  describeHypercall,
  describeMmio,
  describeMsr,
  describePageFault,
  describePio,
} from './describeEvents';
import { describeExit } from './describeExit';
import { guestRip, type LineEvent } from './lineEvent';

export function hoverFor(le: LineEvent, ctx: HoverContext): Hover {
  const paragraphs = describe(le, ctx);
  if (!ctx.symbolFileSet && guestRip(le) !== null) paragraphs.push(DEFINITION_HINT);
  return {
    contents: { kind: MarkupKind.Markdown, value: paragraphs.join('\n\n') },
    range: { start: { line: le.line, character: 0 }, end: { line: le.line, character: le.text.length } },
  };
}

function describe({ event: ev }: LineEvent, ctx: HoverContext): string[] {
  switch (ev.kind) {
    case 'exit':
      return describeExit(ev, ctx);
    case 'entry':
      return describeEntry(ev, ctx);
    case 'hypercall':
      return describeHypercall(ev, ctx);
    case 'pio':
      return describePio(ev, ctx);
    case 'mmio':
      return describeMmio(ev, ctx);
    case 'msr':
      return describeMsr(ev, ctx);
    case 'cr':
      return describeCr(ev, ctx);
    case 'page_fault':
      return describePageFault(ev, ctx);
    case 'userspace_exit':
      return [
        `**kvm_userspace_exit** \`${ev.reason}\` (${ev.code}) — KVM_RUN returns to the VMM (e.g. QEMU) to handle it`,
        origin(ev, null, null, ctx),
      ];
    case 'other':
      return [`**${ev.name}** — an event hvdbg shows as is`, origin(ev, null, null, ctx)];
    case 'lost': {
      const n = ev.count === null ? 'Events' : `${ev.count} events`;
      const cpu = ev.cpu >= 0 ? ` on CPU ${ev.cpu}` : '';
      return [
        `**Lost events**: ${n} were dropped${cpu} (the trace buffer overflowed); the trace has a gap here`,
      ];
    }
    case 'unparsed':
      return [`**Cannot parse this line**: ${ev.why}`];
  }
}
