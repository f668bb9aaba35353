/**
 * Starts QEMU for a `launch` request: the user's arguments plus a gdbstub on a fresh unix socket in a
 * private temporary directory and `-S` (vCPUs wait for the debugger). Spawned with an argument array,
 * never through a shell. User-mode networks get `restrict=on` and host forwards bound to 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, watch } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface QemuLaunchOptions {
  readonly path: string;
  readonly args: readonly string[];
  readonly cwd?: string | undefined;
  /** Called with QEMU's stderr text as it arrives. */
  readonly onStderr?: (text: string) => void;
  /** How long to wait for the gdbstub socket (ms). */
  readonly readyTimeoutMs?: number;
}

export interface LaunchedQemu {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly socketPath: string;
  /** The full argument list QEMU was started with. */
  readonly argv: readonly string[];
  /** Resolves with a description of how QEMU ended. */
  readonly exited: Promise<string>;
  /** Kills QEMU (SIGTERM, then SIGKILL after 2 s) and removes the socket directory. Idempotent. */
  dispose(): Promise<void>;
  /** Kills QEMU (SIGKILL) and removes the socket directory, synchronously: for the adapter's exit. */
  killNow(): void;
}

export class QemuLaunchError extends Error {
  override name = 'QemuLaunchError';
}

/** Rewrites `-netdev user,...`/`-nic user,...` values: adds `restrict=on`, binds host forwards to 127.0.0.1. */
export function hardenUserNetwork(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    const prev = args[i - 1];
    if ((prev !== '-netdev' && prev !== '-nic') || !/^user(,|$)/.test(arg)) return arg;
    let value = arg.replace(/hostfwd=(tcp|udp)::/g, 'hostfwd=$1:127.0.0.1:');
    if (!/(^|,)restrict=/.test(value)) value += ',restrict=on';
    return value;
  });
}

/** Arguments that would fight hvdbg over the gdbstub. */
export function conflictingArgument(args: readonly string[]): string | undefined {
  return args.find((a) => a === '-s' || a === '-gdb' || a === '--gdb');
}

export async function launchQemu(options: QemuLaunchOptions): Promise<LaunchedQemu> {
  const conflict = conflictingArgument(options.args);
  if (conflict !== undefined) {
    throw new QemuLaunchError(`qemu.args must not contain '${conflict}': hvdbg adds its own gdbstub`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'hvdbg-qemu-'));
  const socketPath = join(dir, 'gdb.sock');
  const argv = [...hardenUserNetwork(options.args), '-gdb', `unix:${socketPath},server,nowait`, '-S'];
  const child = spawn(options.path, argv, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
    options.onStderr?.(text);
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) =>
      resolve(signal !== null ? `QEMU was killed by ${signal}` : `QEMU exited with code ${String(code)}`),
    );
    child.once('error', (error) => resolve(`QEMU could not start: ${error.message}`));
  });
  let disposed = false;
  const dispose = async (): Promise<void> => {
    if (!disposed) {
      disposed = true;
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForSocket(dir, socketPath, exited, options.readyTimeoutMs ?? 10000);
  } catch (error) {
    await dispose();
    const why = error instanceof Error ? error.message : String(error);
    const path = options.path;
    throw new QemuLaunchError(`${why} (qemu.path '${path}')${stderr === '' ? '' : `: ${stderr.trim()}`}`);
  }
  const killNow = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return { process: child, pid: child.pid ?? -1, socketPath, argv, exited, dispose, killNow };
}

/** Waits until QEMU has created its gdbstub socket, or fails when QEMU exits or the time is up. */
async function waitForSocket(dir: string, socketPath: string, exited: Promise<string>, timeoutMs: number) {
  const watcher = watch(dir);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no gdbstub socket after ${timeoutMs} ms`)), timeoutMs);
      const check = (): void => {
        access(socketPath).then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          () => undefined,
        );
      };
      watcher.on('change', check);
      check();
      void exited.then((why) => {
        clearTimeout(timer);
        reject(new Error(why));
      });
    });
  } finally {
    watcher.close();
  }
}
