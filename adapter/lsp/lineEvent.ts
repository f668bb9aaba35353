/**
 * One line of a document as an event: parsed alone by adapter/vmexits (a hover or a definition never
 * waits for the whole document), plus where its guest RIP is written, for go-to-definition.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Range } from 'vscode-languageserver';
import { parseTraceText, type TraceEvent } from '../vmexits/index';

export interface LineEvent {
  readonly event: TraceEvent;
  readonly line: number;
  /** The line without its end of line. */
  readonly text: string;
}

export interface GuestRip {
  readonly address: bigint;
  /** Where `0x…` is written on the line. */
  readonly range: Range;
}

/** The line's text, without `\n` / `\r\n`. */
export function lineText(doc: TextDocument, line: number): string {
  return doc
    .getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } })
    .replace(/\r?\n$/, '');
}

/** The event on `line`, or null for blank, comment and header lines (and lines past the end). */
export function eventAt(doc: TextDocument, line: number): LineEvent | null {
  if (line < 0 || line >= doc.lineCount) return null;
  const text = lineText(doc, line);
  const [event] = parseTraceText(text);
  return event === undefined ? null : { event, line, text };
}

/** The guest RIP of a kvm_exit, kvm_entry (5.9+) or kvm_page_fault (6.x) line, or null. */
export function guestRip(ev: LineEvent): GuestRip | null {
  const e = ev.event;
  const address = e.kind === 'exit' || e.kind === 'entry' || e.kind === 'page_fault' ? e.rip : null;
  if (address === null) return null;
  const m = /\brip (0x[0-9a-fA-F]+)/.exec(ev.text);
  if (m?.[1] === undefined) return null;
  const start = m.index + 4;
  return {
    address,
    range: {
      start: { line: ev.line, character: start },
      end: { line: ev.line, character: start + m[1].length },
    },
  };
}
