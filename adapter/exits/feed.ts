/**
 * One trace being read: a source feeding a monitor, with the source's state for the views. Live
 * sources (followed files, fifos, sockets, tracefs) keep a sliding one-minute timeline; files read once
 * keep the whole trace's.
 */
import { EventEmitter } from 'node:events';
import type { TraceSourceInfo } from '../protocol/customRequests';
import { type MonitorOptions, TraceMonitor } from './monitor';
import type { TraceSource } from './sources/types';

export interface FeedEvents {
  /** New bytes were read (or the state changed). */
  changed: [];
  ended: [error: Error | undefined];
}

const LIVE_TIMELINE = { mode: 'recent', bucketNs: 250_000_000, maxBuckets: 240 } as const;
const FILE_TIMELINE = { mode: 'whole', bucketNs: 1_000_000, maxBuckets: 240 } as const;

export class TraceFeed extends EventEmitter<FeedEvents> {
  readonly monitor: TraceMonitor;
  private state: TraceSourceInfo['state'] = 'waiting';
  private error: string | undefined;
  private restarts = 0;
  private readonly endedPromise: Promise<void>;
  private endResolve: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly source: TraceSource,
    options: MonitorOptions = {},
  ) {
    super();
    const timeline = source.kind === 'file' ? FILE_TIMELINE : LIVE_TIMELINE;
    this.monitor = new TraceMonitor({ timeline, ...options });
    this.endedPromise = new Promise((resolve) => (this.endResolve = resolve));
  }

  start(): this {
    this.source.start({
      data: (chunk) => {
        this.monitor.push(chunk);
        this.emit('changed');
      },
      state: (state, detail) => {
        this.state = state;
        this.error = state === 'waiting' ? detail : undefined;
        this.emit('changed');
      },
      restarted: () => {
        this.restarts++;
        // End the line that was cut short, so it does not run into the new first line.
        this.monitor.push(Buffer.from('\n'));
      },
      end: (error) => this.finish(error),
    });
    return this;
  }

  /** Resolves when the source ends (a file read to its end, a stream closed, a failure). */
  ended(): Promise<void> {
    return this.endedPromise;
  }

  get isEnded(): boolean {
    return this.state === 'ended' || this.state === 'failed';
  }

  info(): TraceSourceInfo {
    return {
      id: this.id,
      kind: this.source.kind,
      label: this.source.label,
      state: this.state,
      ...(this.error === undefined ? {} : { error: this.error }),
      bytes: this.monitor.bytes,
      lines: this.monitor.lines,
      restarts: this.restarts,
    };
  }

  dispose(): void {
    this.source.dispose();
    this.finish(undefined);
  }

  private finish(error: Error | undefined): void {
    if (this.isEnded) return;
    this.monitor.end();
    this.state = error === undefined ? 'ended' : 'failed';
    this.error = error?.message;
    this.source.dispose();
    this.endResolve?.();
    this.emit('ended', error);
    this.emit('changed');
  }
}
