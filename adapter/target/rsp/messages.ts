/**
 * Messages between the relay's main-thread handle (relay.ts) and its worker thread (rspWorker.ts).
 */
import type { StubAddress } from '../address';

export interface WorkerInit {
  readonly address: StubAddress;
  readonly timeoutMs: number;
  readonly replyTimeoutMs: number;
}

export type ToWorker =
  /** Lend the stub connection to the adapter once the guest is stopped and gdb awaits nothing. */
  | { readonly t: 'lend'; readonly id: number }
  | {
      readonly t: 'exchange';
      readonly id: number;
      readonly requests: readonly string[];
      readonly monitor: boolean;
    }
  /** The adapter is done: gdb's held bytes go on. */
  | { readonly t: 'return' }
  | { readonly t: 'close'; readonly reason: string };

export type FromWorker =
  | { readonly t: 'ready'; readonly socketPath: string }
  | { readonly t: 'open-failed'; readonly message: string }
  | { readonly t: 'lent'; readonly id: number; readonly gdbPhyMemMode: '0' | '1' }
  | { readonly t: 'lend-refused'; readonly id: number; readonly running: boolean; readonly message: string }
  | { readonly t: 'replies'; readonly id: number; readonly replies: readonly Uint8Array[] }
  | { readonly t: 'exchange-failed'; readonly id: number; readonly message: string }
  | { readonly t: 'closed'; readonly reason: string };
