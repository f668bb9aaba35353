// The demo's Node half (scripts/demo.sh builds hvdbg.vsix first): boots the lab with the KVM program, writes
// a workspace whose launch.json attaches hvdbg to it, and opens that workspace in VS Code: the desktop
// `code` when there is one, otherwise code-server on 127.0.0.1 (its URL printed). Stays up until Ctrl-C,
// then stops QEMU and code-server.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bootLab, gdbCommandFor, shellQuote, type Lab } from '../lab/lab';
import { launchCodeServer, repoRoot, type CodeServerProcess } from './codeServer';
import { LAB_CONFIG_NAME, writeLabWorkspace } from './labWorkspace';

const usage = `usage: scripts/demo.sh [options]
  --port N        code-server's port on 127.0.0.1 (default 8080, or a free one if 8080 is taken)
  --code-server   use code-server even if a desktop \`code\` is installed
  --no-kvm        do not run the L2 guest's hypercall loop
  --vsix FILE     the extension to install (default: hvdbg.vsix at the repository root)
  -h, --help`;

const log = (line: string): void => console.log(`[demo] ${line}`);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function desktopCode(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  const file = found.stdout.trim();
  return found.status === 0 && file !== '' ? file : undefined;
}

function openInDesktopCode(code: string, vsix: string, workspace: string): void {
  for (const args of [['--install-extension', vsix, '--force'], [workspace]]) {
    const result = spawnSync(code, args, { stdio: 'inherit' });
    if (result.status !== 0) {
      throw new Error(`${code} ${args.join(' ')} failed (${result.status ?? result.signal})`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'code-server': { type: 'boolean' },
      'no-kvm': { type: 'boolean' },
      vsix: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const vsix = path.resolve(values.vsix ?? path.join(repoRoot(), 'hvdbg.vsix'));
  if (!fs.existsSync(vsix)) {
    throw new Error(`${vsix} is missing: run \`npm run build && npm run package\` (scripts/demo.sh does)`);
  }

  log(values['no-kvm'] ? 'booting the lab guest ...' : 'booting the lab guest with its KVM program ...');
  const lab: Lab = await bootLab({ kvm: !values['no-kvm'] });
  let server: CodeServerProcess | undefined;
  let stopping = false;
  const shutdown = async (why: string): Promise<never> => {
    if (!stopping) {
      stopping = true;
      log(`${why}: stopping`);
      await server?.stop();
      await lab.stop();
    }
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(signal));
  }

  const workspace = writeLabWorkspace(lab, path.join(os.homedir(), '.cache', 'hvdbg-demo', 'workspace'));
  const kvm = lab.kvmText === undefined ? '' : `, kvm.ko .text at 0x${lab.kvmText.toString(16)}`;
  log(`guest: Linux ${lab.manifest.kernelVersion} under QEMU (pid ${lab.qemuPid}${kvm})`);
  log(`workspace: ${workspace}`);

  const code = values['code-server'] ? undefined : desktopCode();
  if (code !== undefined) {
    openInDesktopCode(code, vsix, workspace);
    log(`opened in ${code}`);
  } else {
    const wanted = values.port !== undefined ? Number(values.port) : (await portIsFree(8080)) ? 8080 : 0;
    log('starting code-server (installs it on first use, about a minute) ...');
    server = await launchCodeServer({ workspace, vsix, port: wanted });
    log(`open ${server.url}`);
    log(
      `  (from another machine: ssh -L ${server.port}:127.0.0.1:${server.port} <this host>, then the same URL)`,
    );
    void server.exited.then(() => shutdown('code-server exited'));
  }
  log(`then press F5 ("${LAB_CONFIG_NAME}"): the vCPUs show in the Call Stack.`);
  log(`plain gdb works too: ${gdbCommandFor(lab).map(shellQuote).join(' ')}`);
  log('Ctrl-C stops QEMU and code-server.');
  void lab.exited.then(() => shutdown('QEMU exited'));
}

// Only when run (node out/scripts/demo.js), never when merely loaded, e.g. by a test runner's glob.
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
