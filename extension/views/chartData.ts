/** What the chart webview draws, from the statistics. No `vscode` import (unit-tested in plain Node). */
import type { ExitSnapshot } from '../../adapter/protocol/customRequests';
import type { ChartData } from './chartProtocol';
import { count } from './format';

export function chartData(snapshot: ExitSnapshot | undefined): ChartData | undefined {
  if (snapshot === undefined) return undefined;
  const state = snapshot.source.state === 'reading' ? 'live' : snapshot.source.state;
  return {
    title: `${snapshot.source.label} · ${count(snapshot.exits)} exits · ${state}`,
    reasons: snapshot.reasons.map((r) => ({
      name: r.name,
      exits: r.exits,
      samples: r.samples,
      meanNs: r.meanNs,
    })),
    timeline: snapshot.timeline,
  };
}
