/** Completion of `hv exits [FILE] [--vcpu N] | last [N]`. */
import { startingWith, type WordCompletion } from '../debugger/hvCompletions';
import { completePath } from '../debugger/pathCompletion';

const LAST: WordCompletion = {
  label: 'last',
  type: 'keyword',
  detail: 'the last exits of the selected vCPU',
};
const VCPU: WordCompletion = {
  label: '--vcpu',
  type: 'keyword',
  detail: 'one vCPU only (as perf kvm stat --vcpu)',
};

export async function completeExits(args: readonly string[], partial: string): Promise<WordCompletion[]> {
  if (args[0] === 'last' || args.at(-1) === '--vcpu') return [];
  const file = args.some((a, i) => a !== '--vcpu' && args[i - 1] !== '--vcpu');
  const words = [...(args.length === 0 ? [LAST] : []), ...(args.includes('--vcpu') ? [] : [VCPU])];
  return [...startingWith(partial, words), ...(file ? [] : await completePath(partial))];
}
