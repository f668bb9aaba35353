/**
 * A gdb that replays a recorded transcript (test/lab/miRecorder.ts): each `mi()` call must be the next
 * recorded command, and is answered with the result gdb gave it, parsed as the live backend parses it.
 * An unexpected command fails the test, naming what was expected, so the in-process lane notices when the
 * adapter's traffic with gdb changes as surely as when gdb's answers do.
 */
import type { MiPort } from '../../../adapter/gdb/backend';
import type { MITuple } from '../../../adapter/gdb/miValues';
import { resultOf, type MiExchange } from '../../lab/miRecorder';

export class ReplayGdb implements MiPort {
  private next = 0;

  constructor(private readonly transcript: readonly MiExchange[]) {}

  mi(command: string): Promise<MITuple> {
    const expected = this.transcript[this.next];
    if (expected === undefined)
      return Promise.reject(new Error(`unexpected gdb command after the transcript's end: ${command}`));
    if (expected.command !== command)
      return Promise.reject(
        new Error(`unexpected gdb command ${command}; the transcript has ${expected.command} next`),
      );
    this.next++;
    return new Promise((resolve) => resolve(resultOf(command, expected.result)));
  }

  /** Fails unless every recorded command was asked for. */
  get unused(): number {
    return this.transcript.length - this.next;
  }
}
