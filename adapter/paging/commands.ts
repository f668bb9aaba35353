/** `hv pt` and `hv translate`: the page-table service in the Debug Console. */
import type { HvCommand } from '../debugger/console';
import type { FrameRef } from '../debugger/frames';
import { completePageTableFilter, completeTranslateOption, type RootLister } from './complete';
import { parseHex, sizeName } from './format';
import type { MergeMode } from './memoryMap';
import type { MemoryMapArgs, PagingService } from './service';
import { UserInputError } from '../debugger/userInputError';

const pad = (hexText: string): string => hexText.replace(/^0x/, '').padStart(16, '0');

/**
 * The exclusive end of an inclusive one (`…400fff` → `…401000`), as `info mem`, `/proc/PID/maps`, the
 * kernel's ptdump and pwndbg print ranges; a range ending at the top of the address space ends at 2^64.
 */
const exclusiveEnd = (inclusive: string): string => pad(`0x${(BigInt(inclusive) + 1n).toString(16)}`);

/** The column header of `hv pt`: says which end convention the ranges use. */
export const PT_HEADER = `${'START-END (end exclusive)'.padEnd(33)} ${'PHYSICAL'.padEnd(16)} ${'SIZE'.padEnd(16)} PERM PAGE`;

/** The root a command's `cr3=`/`root=` words name (a `cr3=` is taken in the frame's vCPU's mode). */
async function rootOf(
  words: Map<string, string>,
  frame: FrameRef | undefined,
  currentThread: () => Promise<number>,
): Promise<{ rootId?: string; threadId: number }> {
  const threadId = words.has('thread')
    ? Number(words.get('thread'))
    : (frame?.threadId ?? (await currentThread()));
  const root = words.get('root');
  if (root !== undefined) return { rootId: root, threadId };
  const cr3 = words.get('cr3');
  if (cr3 !== undefined) return { rootId: `cr3:${parseHex(cr3, 'cr3').toString(16)}@${threadId}`, threadId };
  return { threadId };
}

function splitWords(args: readonly string[]): { words: Map<string, string>; rest: string[] } {
  const words = new Map<string, string>();
  const rest: string[] = [];
  for (const a of args) {
    const m = /^(cr3|root|thread)=(.+)$/i.exec(a);
    if (m?.[1] !== undefined && m[2] !== undefined) words.set(m[1].toLowerCase(), m[2]);
    else rest.push(a);
  }
  return { words, rest };
}

/** The roots of this stop, for completion (none while the guest runs: reading them fails). */
const rootsOf =
  (service: PagingService): RootLister =>
  async () =>
    (await service.roots()).roots;

export function pageTableCommand(service: PagingService, currentThread: () => Promise<number>): HvCommand {
  return {
    name: 'pt',
    usage: 'hv pt [filters]',
    complete: (args, partial) => completePageTableFilter(rootsOf(service), args, partial),
    summary:
      "memory map of the vCPU's CR3 (ranges end exclusive): START-END, cr3=0x.. or root=ID, w/x/u/wx/u!x permissions, --warn, --qemu (as info mem), --leaves (as info tlb)",
    async run(args, frame) {
      const { words, rest } = splitWords(args);
      const where = await rootOf(words, frame, currentThread);
      let merge: MergeMode | undefined;
      let warningsOnly = false;
      let from: string | undefined;
      let to: string | undefined;
      let permissions = '';
      for (const a of rest) {
        if (a === '--qemu') merge = 'qemu';
        else if (a === '--leaves') merge = 'none';
        else if (a === '--warn') warningsOnly = true;
        else if (/^[urwx!]+$/i.test(a)) permissions += a;
        else {
          const m = /^([0-9a-fx_]+)?-([0-9a-fx_]+)?$/i.exec(a) ?? /^([0-9a-fx_]+)()$/i.exec(a);
          if (m === null) {
            throw new UserInputError(
              `hv pt: '${a}' is not a filter. Usage: hv pt [START-END (hex, end exclusive)] [w|x|u|wx|u!x] [cr3=0x..] [root=ID] [--warn] [--qemu|--leaves]`,
            );
          }
          // Hex with or without 0x, as QEMU's monitor prints addresses.
          const asHex = (t: string | undefined): string | undefined =>
            t === undefined || t === '' ? undefined : /^0x/i.test(t) ? t : `0x${t}`;
          from = asHex(m[1]);
          // END is exclusive, as the ranges print: a line's START-END pasted back selects that range.
          const end = asHex(m[2]);
          to = end === undefined || BigInt(end) === 0n ? undefined : `0x${(BigInt(end) - 1n).toString(16)}`;
          if (!a.includes('-')) to = from;
        }
      }
      const request: MemoryMapArgs = {
        ...where,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(permissions === '' ? {} : { permissions }),
        ...(merge === undefined ? {} : { merge }),
        warningsOnly,
      };
      const map = await service.memoryMap(request);
      const lines = map.ranges.map((r) => {
        const warn = r.warnings.map((w) => (w === 'writable-executable' ? 'W+X' : 'USER-KERNEL')).join(' ');
        const entry = r.entryFlags === undefined ? '' : ` ${r.level ?? ''} ${r.entryFlags}`;
        return `${pad(r.virtualStart)}-${exclusiveEnd(r.virtualEnd)} ${pad(r.physicalStart)} ${pad(r.size)} ${r.flags} ${sizeName(r.pageSize).padStart(4)}${entry}${warn === '' ? '' : `  ! ${warn}`}`;
      });
      const s = map.stats;
      lines.unshift(PT_HEADER);
      lines.push(
        `${map.ranges.length} ranges; ${s.leaves} leaves, ${s.tables} tables, ${s.packets} packets, ${s.bytes} bytes, ${s.milliseconds.toFixed(1)} ms`,
      );
      for (const p of map.problems) lines.push(`problem: ${p}`);
      return lines.join('\n');
    },
  };
}

export function translateCommand(service: PagingService, currentThread: () => Promise<number>): HvCommand {
  return {
    name: 'translate',
    usage: 'hv translate ADDR [cr3=..]',
    complete: (args, partial) => completeTranslateOption(rootsOf(service), args, partial),
    summary: "virtual → physical through the vCPU's page tables, each level shown (root=ID for nested ones)",
    async run(args, frame) {
      const { words, rest } = splitWords(args);
      const address = rest[0];
      if (address === undefined || rest.length > 1) {
        throw new UserInputError('usage: hv translate ADDRESS [cr3=0x...] [root=ID] [thread=N]');
      }
      const where = await rootOf(words, frame, currentThread);
      const t = await service.translate(address, where.rootId, where.threadId);
      const lines = [
        t.ok
          ? `${t.address} -> ${t.physical ?? '?'} (${sizeName(t.pageSize ?? 0)} page, ${t.permissions ?? ''})  ${t.physicalMemoryReference ?? ''}`
          : `${t.address} does not translate: ${t.fault ?? 'unknown fault'}`,
      ];
      for (const s of t.steps) {
        const stage = s.stage === undefined ? '' : `${s.stage === 'nested' ? 'npt  ' : 'guest'} `;
        lines.push(
          `  ${stage}${`${s.level}[${s.index}]`.padEnd(10)} table ${s.tableAddress} = ${s.raw} ${s.flags} -> ${s.physical}`,
        );
      }
      return lines.join('\n');
    },
  };
}
