/**
 * The "VM Exits chart" webview: a histogram of exits per reason and a per-vCPU timeline, drawn with
 * Chart.js in the webview (dist/exitsChart.js, bundled from media/exitsChart.ts; no CDN, a CSP with a
 * nonce). Updates are coalesced: at most one message in flight to the webview, the latest data wins, and
 * nothing is sent while the panel is hidden; the webview redraws once per animation frame at most.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { chartData } from './chartData';
import type { FromChart, ToChart } from './chartProtocol';
import type { ExitsStore } from './exitsStore';

export class ExitsChartPanel implements vscode.Disposable {
  static readonly viewType = 'hvdbg.exitsChart';
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private sending = false;
  private dirty = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ExitsStore,
  ) {
    this.disposables.push(store.onDidChange(() => this.update()));
  }

  show(): void {
    if (this.panel !== undefined) {
      this.panel.reveal(undefined, true);
      return;
    }
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(
      ExitsChartPanel.viewType,
      'VM Exits chart',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [dist] },
    );
    this.panel = panel;
    this.ready = false;
    panel.webview.html = this.html(panel.webview, vscode.Uri.joinPath(dist, 'exitsChart.js'));
    panel.webview.onDidReceiveMessage((message: FromChart) => {
      if (message.type === 'ready') {
        this.ready = true;
        this.update();
      }
    });
    panel.onDidChangeViewState(() => {
      if (panel.visible) this.update();
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
  }

  /** Sends the latest data, unless a message is in flight (then once it is delivered). */
  private update(): void {
    const panel = this.panel;
    if (panel === undefined || !this.ready || !panel.visible) return;
    if (this.sending) {
      this.dirty = true;
      return;
    }
    this.sending = true;
    this.dirty = false;
    const message: ToChart = { type: 'data', data: chartData(this.store.current()?.snapshot) };
    void panel.webview.postMessage(message).then(
      () => this.delivered(),
      () => this.delivered(),
    );
  }

  private delivered(): void {
    this.sending = false;
    if (this.dirty) this.update();
  }

  private html(webview: vscode.Webview, script: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>VM Exits chart</title>
<style nonce="${nonce}">
  body { padding: 8px 16px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); }
  h2 { font-size: 1.1em; font-weight: 600; margin: 12px 0 4px; }
  #title { opacity: 0.8; margin: 0 0 8px; }
  .chart { position: relative; height: 40vh; min-height: 180px; }
  #empty { opacity: 0.7; }
</style>
</head>
<body>
<div id="title">No VM exits yet: start a debug session with "exitTrace", or run "hvdbg: Open KVM trace…".</div>
<h2>Exits per reason</h2>
<div class="chart"><canvas id="histogram" aria-label="Exits per reason"></canvas></div>
<h2>Exits over time, per vCPU</h2>
<div class="chart"><canvas id="timeline" aria-label="Exits over time per vCPU"></canvas></div>
<script nonce="${nonce}" src="${webview.asWebviewUri(script).toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
