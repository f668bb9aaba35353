/**
 * The VM Exits chart webview's script (bundled by esbuild for the browser into dist/exitsChart.js):
 * Chart.js draws a histogram of exits per reason and a per-vCPU timeline. Data comes from the extension
 * (extension/views/exitsChart.ts); however fast it comes, the charts are redrawn at most once per
 * animation frame, with the latest data, without animation.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ChartData, FromChart, ToChart } from '../extension/views/chartProtocol';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

declare function acquireVsCodeApi(): { postMessage(message: FromChart): void };
const vscode = acquireVsCodeApi();

const css = getComputedStyle(document.body);
const color = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
const fg = color('--vscode-foreground', '#ccc');
const grid = color('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
const palette = [
  color('--vscode-charts-blue', '#3794ff'),
  color('--vscode-charts-orange', '#d18616'),
  color('--vscode-charts-green', '#89d185'),
  color('--vscode-charts-purple', '#b180d7'),
  color('--vscode-charts-red', '#f14c4c'),
  color('--vscode-charts-yellow', '#cca700'),
];
Chart.defaults.color = fg;
Chart.defaults.borderColor = grid;
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} missing`);
  return found as T;
}

const histogram = new Chart<'bar', number[], string>(element<HTMLCanvasElement>('histogram'), {
  type: 'bar',
  data: { labels: [], datasets: [{ label: 'exits', data: [], backgroundColor: palette[0] }] },
  options: {
    indexAxis: 'y',
    plugins: { legend: { display: false } },
    scales: { x: { beginAtZero: true, title: { display: true, text: 'exits' } } },
  },
});

const timeline = new Chart<'line', { x: number; y: number }[]>(element<HTMLCanvasElement>('timeline'), {
  type: 'line',
  data: { labels: [], datasets: [] },
  options: {
    parsing: false,
    normalized: true,
    elements: { point: { radius: 0 }, line: { borderWidth: 1.5, tension: 0 } },
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    scales: {
      x: { type: 'linear', title: { display: true, text: 'trace time (s)' } },
      y: { beginAtZero: true, title: { display: true, text: 'exits per bucket' } },
    },
  },
});

let latest: ChartData | undefined;
let frame: number | undefined;

function draw(): void {
  frame = undefined;
  const data = latest;
  element('title').textContent =
    data === undefined
      ? 'No VM exits yet: start a debug session with "exitTrace", or run "hvdbg: Open KVM trace…".'
      : data.title;
  const reasons = data?.reasons ?? [];
  histogram.data.labels = reasons.map((r) => r.name);
  const bars = histogram.data.datasets[0];
  if (bars !== undefined) bars.data = reasons.map((r) => r.exits);
  histogram.update('none');

  const t = data?.timeline;
  timeline.data.datasets = (t?.series ?? []).map((s, i) => ({
    label: s.vcpu < 0 ? 'vCPU ?' : `vCPU ${s.vcpu}`,
    data: s.counts.map((y, k) => ({ x: (t === undefined ? 0 : t.startNs + k * t.bucketNs) / 1e9, y })),
    borderColor: palette[i % palette.length] ?? fg,
    backgroundColor: palette[i % palette.length] ?? fg,
  }));
  const axis = timeline.options.scales?.['y'];
  if (axis !== undefined && t !== undefined)
    axis.title = {
      display: true,
      text: `exits per ${(t.bucketNs / 1e6).toFixed(t.bucketNs < 1e6 ? 3 : 0)} ms`,
    };
  timeline.update('none');
  document.body.dataset['exits'] = String(reasons.reduce((n, r) => n + r.exits, 0));
  document.body.dataset['reasons'] = reasons.map((r) => r.name).join(',');
}

window.addEventListener('message', (event: MessageEvent<ToChart>) => {
  if (event.data.type !== 'data') return;
  latest = event.data.data;
  frame ??= requestAnimationFrame(draw);
});

vscode.postMessage({ type: 'ready' });
