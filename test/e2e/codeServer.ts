// Real VS Code for tests and the demo: code-server 4.100.3 (VS Code 1.100.3) on 127.0.0.1, driven by Debian's
// Chromium through playwright-core. See shared/recipes/code-server.md.
//
//   const vs = await startCodeServer({ workspace, vsix });   // vs.page shows the workbench
//   ...
//   await vs.stop();                                          // kills code-server, its children, Chromium
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { killGroup, onExit } from './exitHooks';

export const CHROMIUM_PATH = process.env['HVDBG_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** User settings that keep the workbench quiet and predictable: no trust prompt, telemetry, updates, tours. */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'debug.openDebug': 'openOnDebugBreak',
  'debug.showInStatusBar': 'always',
  'debug.toolBarLocation': 'floating',
};

/** The repository root (the folder whose package.json is hvdbg's), from this file's place in src or out/. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && /"name":\s*"hvdbg"/.test(fs.readFileSync(manifest, 'utf8'))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`no hvdbg package.json above ${__dirname}`);
    }
  }
}

function run(file: string, args: readonly string[], timeoutMs: number, env = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Installs code-server into its cache folder when missing (scripts/install-code-server.sh); returns entry.js. */
export async function installCodeServer(): Promise<string> {
  const script = path.join(repoRoot(), 'scripts', 'install-code-server.sh');
  const stdout = await run('bash', [script], 20 * 60_000);
  const entry = stdout.trim().split('\n').pop() ?? '';
  if (!fs.existsSync(entry)) {
    throw new Error(`install-code-server.sh printed no entry.js (got ${JSON.stringify(entry)})`);
  }
  return entry;
}

export interface CodeServerOptions {
  /** The folder to open. */
  workspace: string;
  /** A .vsix to install before the server starts. */
  vsix?: string | undefined;
  /** Extra user settings, merged over QUIET_SETTINGS. */
  settings?: Readonly<Record<string, unknown>> | undefined;
  /** Port on 127.0.0.1; 0 (the default) lets the system pick a free one. */
  port?: number | undefined;
  /** Keep the user-data and extensions folders after stop() (for the logs). */
  keepData?: boolean | undefined;
  /** Receives each line code-server prints. */
  onOutput?: ((line: string) => void) | undefined;
}

export interface CodeServerProcess {
  /** http://127.0.0.1:PORT/?folder=WORKSPACE */
  url: string;
  port: number;
  /** Root of the user-data-dir, extensions-dir and config of this instance. */
  dataDir: string;
  /** VS Code's logs (window, exthost, ...) of this instance. */
  logsDir: string;
  /** What code-server printed so far. */
  output(): string;
  /** Resolves when code-server exits (by stop() or by itself). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills code-server and everything it started (extension host, debug adapters, gdb). Idempotent. */
  stop(): Promise<void>;
}

export interface CodeServer extends CodeServerProcess {
  browser: Browser;
  page: Page;
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** `cmd args` under util-linux's setpriv: SIGKILL when this process dies (as test/lab does for QEMU). */
function withDeathSignal(cmd: string, args: readonly string[]): [string, string[]] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => fs.existsSync(file));
  return setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, [...args]];
}

/** Starts code-server (after installing it and the .vsix) and resolves once it listens. No browser. */
export async function launchCodeServer(options: CodeServerOptions): Promise<CodeServerProcess> {
  const entry = await installCodeServer();
  // Short: code-server puts a unix socket in the user-data-dir (108-byte limit on socket paths).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvdbg-cs-'));
  const userDataDir = path.join(dataDir, 'data');
  const extensionsDir = path.join(dataDir, 'ext');
  writeJson(path.join(userDataDir, 'User', 'settings.json'), { ...QUIET_SETTINGS, ...options.settings });
  // code-server writes its config.yaml and logs under XDG folders: keep them out of $HOME.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(dataDir, 'config'),
    XDG_DATA_HOME: path.join(dataDir, 'share'),
  };
  delete env['VSCODE_IPC_HOOK_CLI'];
  delete env['PASSWORD'];
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  const removeData = (): void => {
    if (!options.keepData) {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  };

  if (options.vsix !== undefined) {
    try {
      await run(
        process.execPath,
        [entry, ...common, '--force', '--install-extension', options.vsix],
        120_000,
        env,
      );
    } catch (error) {
      removeData();
      throw error;
    }
  }

  const args = [
    entry,
    ...common,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${options.port ?? 0}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    options.workspace,
  ];
  // Its own process group, so that stop() reaches the extension host and whatever the extension spawned;
  // SIGKILL when this process dies, even by SIGKILL (setpriv's PR_SET_PDEATHSIG): its children follow it.
  const [command, argv] = withDeathSignal(process.execPath, args);
  const child = spawn(command, argv, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    removeData();
    throw new Error('could not spawn code-server');
  }
  const unregister = onExit(() => {
    killGroup(pid, 'SIGKILL');
    removeData();
  });
  let exited = false;
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });

  let output = '';
  let onLine: ((line: string) => void) | undefined;
  let partial = '';
  const feed = (chunk: Buffer): void => {
    output += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      options.onOutput?.(line);
      onLine?.(line);
    }
  };
  child.stdout.on('data', feed);
  child.stderr.on('data', feed);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (!exited) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 5_000);
        await exitedPromise;
        clearTimeout(timer);
      }
      // The leader is gone; anything left in its group (an orphaned extension host or gdb) goes too.
      killGroup(pid, 'SIGKILL');
      unregister();
      removeData();
    })();
    return stopped;
  };

  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`code-server did not listen within 60 s:\n${output}`)),
        60_000,
      );
      onLine = (line) => {
        const match = /HTTP server listening on (http:\/\/\S+?)\/?$/.exec(line);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
    onLine = undefined;
    const port = Number(new URL(base).port);
    return {
      url: `${base}/?folder=${encodeURIComponent(options.workspace)}`,
      port,
      dataDir,
      logsDir: path.join(userDataDir, 'logs'),
      output: () => output,
      exited: exitedPromise,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Opens `url` in headless Chromium and resolves once VS Code's workbench is on the page. */
export async function openWorkbench(url: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return { browser, page };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** code-server with the .vsix installed, the workspace open in Chromium. stop() ends all of it. */
export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const server = await launchCodeServer(options);
  try {
    const { browser, page } = await openWorkbench(server.url);
    return {
      ...server,
      browser,
      page,
      stop: async () => {
        await browser.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
