/**
 * Go to definition from a guest RIP (kvm_exit, kvm_entry, kvm_page_fault lines): the RIP's source
 * location in `hvdbg.traces.symbolFile` through addr2line, paths mapped by `sourceFileMap`. With -i,
 * an address inside inlined code gives the inlined function's line first, then its callers' lines.
 * Nothing without a symbol file (the hover says how to set one).
 */
import { pathToFileURL } from 'node:url';
import type { Location, LocationLink, Range } from 'vscode-languageserver';
import type { Addr2Line } from './addr2line';
import { guestRip, type LineEvent } from './lineEvent';
import type { TraceSettings } from '../protocol/traceServer';
import { mapSourcePath } from './sourceMap';

export async function definition(
  le: LineEvent,
  settings: TraceSettings,
  addr2line: Addr2Line,
  linkSupport: boolean,
): Promise<Location[] | LocationLink[] | null> {
  const rip = guestRip(le);
  if (rip === null || settings.symbolFile === null) return null;
  const elf = settings.symbolFile;
  const frames = await addr2line.resolve(elf, rip.address);
  if (frames.length === 0) return null;
  const seen = new Set<string>();
  const targets: { uri: string; range: Range }[] = [];
  for (const f of frames) {
    const uri = pathToFileURL(mapSourcePath(f.file, settings.sourceFileMap, elf)).toString();
    const line = Math.max(0, f.line - 1);
    if (seen.has(`${uri}:${line}`)) continue;
    seen.add(`${uri}:${line}`);
    targets.push({ uri, range: { start: { line, character: 0 }, end: { line, character: 0 } } });
  }
  if (!linkSupport) return targets;
  return targets.map((t) => ({
    originSelectionRange: rip.range,
    targetUri: t.uri,
    targetRange: t.range,
    targetSelectionRange: t.range,
  }));
}
