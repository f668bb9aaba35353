/**
 * Messages between the extension and the VM Exits chart webview (media/exitsChart.ts). Types only, no
 * `vscode` import: the webview's browser bundle imports this file too.
 */
import type { ExitTimeline } from '../../adapter/protocol/customRequests';

export interface ChartReason {
  readonly name: string;
  readonly exits: number;
  readonly samples: number;
  readonly meanNs: number;
}

export interface ChartData {
  /** What is shown: `/tmp/trace.txt · 12,345 exits`. */
  readonly title: string;
  readonly reasons: readonly ChartReason[];
  readonly timeline: ExitTimeline;
}

/** Extension → webview. */
export type ToChart = { readonly type: 'data'; readonly data: ChartData | undefined };

/** Webview → extension: it is ready for data (sent once its script runs). */
export type FromChart = { readonly type: 'ready' };
