// Bundles the extension (runs in VS Code's extension host) and the debug adapter (a plain Node process).
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
]);
