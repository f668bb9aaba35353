/** Completion of `hv pt` filters and `hv translate` options: the words, and the roots there are. */
import { startingWith, type WordCompletion } from '../debugger/hvCompletions';
import type { PagingRootInfo } from '../protocol/pagingRequests';

/** The page-table roots of this stop (empty when they cannot be read, e.g. while the guest runs). */
export type RootLister = () => Promise<readonly PagingRootInfo[]>;

const FLAGS: readonly WordCompletion[] = [
  { label: '--warn', type: 'keyword', detail: 'only writable+executable and user-accessible kernel ranges' },
  { label: '--qemu', type: 'keyword', detail: "merge ranges as QEMU's info mem does" },
  { label: '--leaves', type: 'keyword', detail: "one range per leaf entry, as QEMU's info tlb" },
];

const PERMISSIONS: readonly WordCompletion[] = [
  { label: 'w', detail: 'writable ranges' },
  { label: 'x', detail: 'executable ranges' },
  { label: 'u', detail: 'user-accessible ranges' },
  { label: 'wx', detail: 'writable and executable ranges' },
  { label: 'u!x', detail: 'user-accessible, not executable' },
].map((p): WordCompletion => ({ ...p, type: 'value' }));

/** `root=ID` and `thread=N` for every root the lister gives; bare `root=`/`thread=` without any. */
async function whereWords(roots: RootLister, given: readonly string[]): Promise<WordCompletion[]> {
  const has = (key: string): boolean => given.some((g) => g.toLowerCase().startsWith(`${key}=`));
  const listed = await roots().catch((): readonly PagingRootInfo[] => []);
  const words: WordCompletion[] = [];
  if (!has('root') && !has('cr3')) {
    const ids = listed.map((r): WordCompletion => ({
      label: `root=${r.id}`,
      type: 'value',
      detail: `${r.label}: ${r.description}`,
    }));
    const bare: WordCompletion = { label: 'root=', type: 'keyword', detail: 'a page-table root id' };
    words.push(...(ids.length > 0 ? ids : [bare]));
    words.push({ label: 'cr3=', type: 'keyword', detail: "another CR3, in the vCPU's paging mode" });
  }
  if (!has('thread')) {
    const threads = [...new Set(listed.flatMap((r) => (r.threadId === undefined ? [] : [r.threadId])))];
    const bare: WordCompletion = {
      label: 'thread=',
      type: 'keyword',
      detail: 'the vCPU (DAP thread id) to walk',
    };
    const ids = threads.map((t): WordCompletion => ({
      label: `thread=${t}`,
      type: 'value',
      detail: 'a vCPU',
    }));
    words.push(...(ids.length > 0 ? ids : [bare]));
  }
  return words;
}

/** `hv pt [START-END] [w|x|u|wx|u!x] [cr3=..|root=ID] [thread=N] [--warn] [--qemu|--leaves]`. */
export async function completePageTableFilter(
  roots: RootLister,
  args: readonly string[],
  partial: string,
): Promise<WordCompletion[]> {
  const used = new Set(args.map((a) => a.toLowerCase()));
  const merged = used.has('--qemu') || used.has('--leaves');
  const flags = FLAGS.filter((f) => !used.has(f.label) && !(merged && f.label !== '--warn'));
  const permissions = args.some((a) => /^[urwx!]+$/i.test(a)) ? [] : PERMISSIONS;
  return startingWith(partial, [...flags, ...permissions, ...(await whereWords(roots, args))]);
}

/** `hv translate ADDRESS [cr3=..|root=ID] [thread=N]`: the options, not the address. */
export async function completeTranslateOption(
  roots: RootLister,
  args: readonly string[],
  partial: string,
): Promise<WordCompletion[]> {
  const addressGiven = args.some((a) => !a.includes('='));
  if (!addressGiven && !/^[a-z]/i.test(partial)) return [];
  return startingWith(partial, await whereWords(roots, args));
}
