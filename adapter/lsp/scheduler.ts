/**
 * When documents are analysed: once on open, and after edits only when they pause for `debounceMs`
 * (a burst of keystrokes costs one pass). A newer version cancels a pass still running for an older
 * one. Requests that need the analysis of the current text (outline, folding) wait for it; hover uses
 * whatever index is at hand.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeText } from './analyze';
import type { AnalysisLimits, TraceIndex } from './traceIndex';

interface DocState {
  doc: TextDocument;
  timer: NodeJS.Timeout | undefined;
  job: { cancelled: boolean } | undefined;
  index: TraceIndex | null;
  indexVersion: number;
  waiters: { version: number; resolve: (index: TraceIndex | null) => void }[];
}

export type AnalysedListener = (doc: TextDocument, index: TraceIndex) => void;

export class AnalysisScheduler {
  private readonly docs = new Map<string, DocState>();
  /** Passes completed (for tests and logs). */
  passes = 0;

  constructor(
    private readonly limits: AnalysisLimits,
    private readonly debounceMs: number,
    private readonly onAnalysed: AnalysedListener,
    private readonly onError: (uri: string, error: unknown) => void,
  ) {}

  /** The document was opened (analysed at once) or changed (analysed once edits pause). */
  schedule(doc: TextDocument): void {
    let s = this.docs.get(doc.uri);
    const delayMs = s === undefined ? 0 : this.debounceMs;
    if (s === undefined) {
      s = { doc, timer: undefined, job: undefined, index: null, indexVersion: -1, waiters: [] };
      this.docs.set(doc.uri, s);
    }
    s.doc = doc;
    clearTimeout(s.timer);
    if (s.job !== undefined) s.job.cancelled = true;
    const state = s;
    s.timer = setTimeout(() => this.run(state), delayMs);
  }

  /** The document was closed: stop its pass, drop its index, release its waiters. */
  forget(uri: string): void {
    const s = this.docs.get(uri);
    if (s === undefined) return;
    this.docs.delete(uri);
    clearTimeout(s.timer);
    if (s.job !== undefined) s.job.cancelled = true;
    for (const w of s.waiters.splice(0)) w.resolve(null);
  }

  /** Forgets every document (server shutdown). */
  dispose(): void {
    for (const uri of [...this.docs.keys()]) this.forget(uri);
  }

  /** The latest index of `uri`, possibly of an older version; null before the first pass. */
  latest(uri: string): TraceIndex | null {
    return this.docs.get(uri)?.index ?? null;
  }

  /** The index of `doc`'s current version (or a newer one), once analysed; null if the document closes first. */
  current(doc: TextDocument): Promise<TraceIndex | null> {
    const s = this.docs.get(doc.uri);
    if (s === undefined) return Promise.resolve(null);
    if (s.indexVersion >= doc.version) return Promise.resolve(s.index);
    return new Promise((resolve) => s.waiters.push({ version: doc.version, resolve }));
  }

  private run(s: DocState): void {
    s.timer = undefined;
    const doc = s.doc;
    const job = { cancelled: false };
    s.job = job;
    analyzeText(doc.getText(), this.limits, () => job.cancelled).then(
      (index) => {
        if (index === null || job.cancelled) return;
        s.job = undefined;
        s.index = index;
        s.indexVersion = doc.version;
        this.passes++;
        this.onAnalysed(doc, index);
        const ready = s.waiters.filter((w) => w.version <= doc.version);
        s.waiters = s.waiters.filter((w) => w.version > doc.version);
        for (const w of ready) w.resolve(index);
      },
      (error: unknown) => {
        s.job = undefined;
        this.onError(doc.uri, error);
        for (const w of s.waiters.splice(0)) w.resolve(null);
      },
    );
  }
}
