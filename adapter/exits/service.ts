/**
 * The VM-exit service of a debug session: the trace sources it reads (the launch configuration's
 * `exitTrace`, followed for the session's lifetime, and traces opened from the views), their statistics
 * pushed to the client at most `1000 / intervalMs` times a second, the last exits of the vCPU that stops,
 * and RIPs resolved to functions and lines with the session's symbols.
 */
import { ExitsError } from './errors';
import { EventEmitter } from 'node:events';
import type { ExitTraceSetting } from '../protocol/config';
import type { ExitSnapshot, LastExitsBody, OpenTraceArguments } from '../protocol/customRequests';
import { TraceFeed } from './feed';
import { formatExitReport } from './report';
import { buildSnapshot, toLastExit, unresolvedRips } from './snapshot';
import { openSource } from './sources/open';
import type { SymbolResolver } from './symbols';
import { Throttle } from './throttle';
import { toBig } from '../vmexits/bytes';

/** How long `hv exits FILE` waits for a source that does not end by itself (a socket, a fifo), ms. */
const REPORT_WAIT_MS = 2000;

export interface ExitServiceOptions {
  readonly symbols: SymbolResolver;
  /** The debugged QEMU's pid, for `tracefs` without one. */
  readonly tracefsPid?: () => Promise<number>;
  /** Shortest time between two snapshots sent (default 250 ms: 4 a second). */
  readonly intervalMs?: number;
  /** Wait after a stop for the trace's last lines to arrive (default 150 ms). */
  readonly settleMs?: number;
  /** Bound on resolving the RIPs of a report or of last exits (default 5000 ms). */
  readonly resolveBudgetMs?: number;
}

export interface ExitServiceEvents {
  snapshot: [ExitSnapshot];
  lastExits: [LastExitsBody];
  /** A message for the Debug Console. */
  output: [text: string];
}

/** Traces opened from the views kept at once (the oldest is closed). */
const MAX_OPENED = 4;
/** Symbol lookups queued at once for snapshots. */
const MAX_RESOLVING = 64;

export class ExitTraceService extends EventEmitter<ExitServiceEvents> {
  private readonly feeds = new Map<string, TraceFeed>();
  private active: string | undefined;
  private readonly throttle: Throttle;
  private seq = 0;
  private nextId = 1;
  private published = -1;
  private symbolsChanged = false;
  private resolving = 0;
  private vcpuColumn: 'cpu' | 'vcpu' = 'cpu';
  private stopTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly options: ExitServiceOptions) {
    super();
    this.throttle = new Throttle(() => this.publish(), options.intervalMs ?? 250);
  }

  /** Follows the configuration's trace for the session's lifetime. */
  async startLive(setting: ExitTraceSetting): Promise<void> {
    const source = await openSource(setting.source, {
      follow: true,
      from: setting.from ?? 'start',
      ...(this.options.tracefsPid === undefined ? {} : { tracefsPid: this.options.tracefsPid }),
    });
    this.vcpuColumn = setting.vcpuColumn ?? (source.kind === 'tracefs' ? 'vcpu' : 'cpu');
    this.add('live', source);
    this.emit('output', `hvdbg: following the KVM trace ${source.label}\n`);
  }

  /** Opens a trace for the views; it becomes the active source. */
  async open(args: OpenTraceArguments): Promise<string> {
    const source = await openSource(args.path, {
      follow: args.follow === true,
      ...(this.options.tracefsPid === undefined ? {} : { tracefsPid: this.options.tracefsPid }),
    });
    const opened = [...this.feeds.keys()].filter((id) => id !== 'live');
    if (opened.length >= MAX_OPENED && opened[0] !== undefined) this.close(opened[0]);
    const id = `trace-${this.nextId++}`;
    this.add(id, source);
    return id;
  }

  private add(id: string, source: Awaited<ReturnType<typeof openSource>>): void {
    this.close(id);
    const feed = new TraceFeed(id, source);
    this.feeds.set(id, feed);
    this.active = id;
    this.published = -1;
    feed.on('changed', () => {
      if (this.active === id) this.throttle.poke();
    });
    feed.on('ended', (error) => {
      if (error !== undefined) this.emit('output', `hvdbg: KVM trace ${source.label}: ${error.message}\n`);
    });
    feed.start();
    this.throttle.poke();
  }

  private close(id: string): void {
    this.feeds.get(id)?.dispose();
    this.feeds.delete(id);
    if (this.active === id) this.active = this.feeds.has('live') ? 'live' : [...this.feeds.keys()].pop();
  }

  get hasSource(): boolean {
    return this.active !== undefined;
  }

  private feed(id?: string): TraceFeed | undefined {
    return this.feeds.get(id ?? this.active ?? '');
  }

  /** The statistics of a source (default the active one), or undefined when there is none. */
  snapshot(id?: string): ExitSnapshot | undefined {
    const feed = this.feed(id);
    return feed === undefined ? undefined : buildSnapshot(feed, this.options.symbols, ++this.seq);
  }

  /** Sends the active source's statistics when they changed; then resolves the RIPs they list. */
  private publish(): void {
    const feed = this.feed();
    if (feed === undefined || this.disposed) return;
    const version = feed.monitor.version + (feed.isEnded ? 1 : 0);
    if (version === this.published && !this.symbolsChanged) return;
    this.published = version;
    this.symbolsChanged = false;
    const snapshot = buildSnapshot(feed, this.options.symbols, ++this.seq);
    this.emit('snapshot', snapshot);
    for (const rip of unresolvedRips(snapshot)) {
      if (this.resolving >= MAX_RESOLVING) break;
      this.resolving++;
      void this.options.symbols.resolve(rip).finally(() => {
        this.resolving--;
        this.symbolsChanged = true;
        this.throttle.poke();
      });
    }
  }

  /** `hv exits [FILE] [--vcpu N]`: perf's table and the top RIPs, of FILE or of the active source. */
  async report(file: string | undefined, vcpu: number | undefined): Promise<string> {
    let feed: TraceFeed;
    let owned = false;
    if (file === undefined) {
      const active = this.feed();
      if (active === undefined)
        throw new ExitsError(
          'no KVM trace: set "exitTrace" in the launch configuration, or give a file: hv exits <file>',
        );
      feed = active;
    } else {
      feed = new TraceFeed('report', await openSource(file)).start();
      owned = true;
      // A file ends; a socket, a fifo or tracefs need not: the report is of what came within the wait.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        feed.ended(),
        new Promise((resolve) => (timer = setTimeout(resolve, REPORT_WAIT_MS))),
      ]);
      clearTimeout(timer);
      if (feed.info().state === 'waiting') {
        feed.dispose();
        throw new ExitsError(
          `${feed.source.label}: nothing to read within ${REPORT_WAIT_MS / 1000} s (no such file or socket yet?)`,
        );
      }
    }
    try {
      const stats = feed.monitor.stats();
      const rips = stats.topRips.slice(0, 10).map((r) => r.rip);
      await this.resolveWithin(rips);
      const label = `${feed.source.label}${feed.isEnded ? '' : ' (live, so far)'}`;
      const info = feed.info();
      if (info.state === 'failed') throw new ExitsError(`${label}: ${info.error ?? 'read failed'}`);
      return formatExitReport(stats, (rip) => this.options.symbols.cached(rip), {
        label,
        ...(vcpu === undefined ? {} : { vcpu }),
      });
    } finally {
      if (owned) feed.dispose();
    }
  }

  /** The last exits of the debugged vCPU `vcpuIndex` in the active source. */
  async lastExits(vcpuIndex: number, threadId?: number, count = 16): Promise<LastExitsBody> {
    const feed = this.feed();
    const slots = feed?.monitor.lastExits(this.vcpuColumn, vcpuIndex, count) ?? [];
    await this.resolveWithin(slots.map((s) => toBig(s.ripHi, s.ripLo)));
    return {
      ...(threadId === undefined ? {} : { threadId }),
      vcpuIndex,
      matchedBy: this.vcpuColumn,
      ...(feed === undefined ? {} : { source: feed.source.label }),
      exits: slots.map((s) => toLastExit(s, this.options.symbols)),
    };
  }

  /** The guest stopped on `vcpuIndex`: once the trace's last lines are in, send that vCPU's last exits. */
  stopped(vcpuIndex: number, threadId: number): void {
    if (this.feed() === undefined || this.disposed) return;
    if (this.stopTimer !== undefined) clearTimeout(this.stopTimer);
    this.stopTimer = setTimeout(() => {
      this.stopTimer = undefined;
      void this.lastExits(vcpuIndex, threadId).then(
        (body) => {
          if (!this.disposed) this.emit('lastExits', body);
        },
        () => undefined,
      );
    }, this.options.settleMs ?? 150);
    this.stopTimer.unref();
  }

  /** The guest runs again: a pending last-exits report is stale. */
  resumed(): void {
    if (this.stopTimer !== undefined) clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
  }

  private async resolveWithin(rips: readonly bigint[]): Promise<void> {
    const wanted = [...new Set(rips)].filter((r) => this.options.symbols.cached(r) === undefined);
    if (wanted.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(wanted.map((r) => this.options.symbols.resolve(r))),
      new Promise((resolve) => (timer = setTimeout(resolve, this.options.resolveBudgetMs ?? 5000))),
    ]);
    clearTimeout(timer);
  }

  dispose(): void {
    this.disposed = true;
    this.throttle.dispose();
    if (this.stopTimer !== undefined) clearTimeout(this.stopTimer);
    for (const feed of this.feeds.values()) feed.dispose();
    this.feeds.clear();
    this.active = undefined;
  }
}
