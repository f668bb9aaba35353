// Bundles the extension (runs in VS Code's extension host) and the debug adapter (a plain Node process).
import { copyFile, mkdir } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
  }),
  esbuild.build({ ...common, entryPoints: ['adapter/main.ts'], outfile: 'dist/adapter.js' }),
  // The KVM trace language server (adapter/lsp), started by extension/traceClient.ts.
  esbuild.build({ ...common, entryPoints: ['adapter/lsp/main.ts'], outfile: 'dist/traceServer.js' }),
  // The VM Exits chart webview's script (Chart.js included): runs in the browser, loaded under a CSP.
  esbuild.build({
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    sourcemap: false,
    entryPoints: ['media/exitsChart.ts'],
    outfile: 'dist/exitsChart.js',
  }),
]);

// iced-x86 (adapter/hypercalls) loads its WebAssembly from `iced_x86_bg.wasm` beside the script that
// requires it: beside dist/adapter.js once bundled.
await mkdir('dist', { recursive: true });
await copyFile('node_modules/iced-x86/iced_x86_bg.wasm', 'dist/iced_x86_bg.wasm');
