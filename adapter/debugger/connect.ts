/**
 * From a validated configuration to a gdb connected to the stub: spawn gdb, load symbols (with progress:
 * a distribution kernel's vmlinux is hundreds of MB), map sources, connect within a bounded time, detect
 * the stub. Any failure disposes gdb before it is reported: nothing is left running.
 */
import { stat } from 'node:fs/promises';
import { ConfigurationError, type CommonArguments } from '../protocol/config';
import { GdbBackend } from '../gdb/backend';
import { GdbCommandError, GdbTimeoutError } from '../gdb/errors';
import { cli } from '../gdb/mi/cli';
import { lockSchedulerOnStep, sessionSettings, setX86_64 } from '../gdb/mi/settings';
import { addSourceDirectory, addSymbolFile, loadProgram, substitutePath } from '../gdb/mi/symbols';
import { selectRemote } from '../gdb/mi/target';
import { describeStubAddress, type StubAddress } from '../target/address';
import { RspRelay, StubLinkError } from '../target/rsp/relay';
import { detectStub, type StubStrategy } from '../target/stub';
import { attachKernel, type KernelService } from '../kernel/service';

export interface Connection {
  readonly gdb: GdbBackend;
  readonly stub: StubStrategy;
  readonly address: StubAddress;
  /** hvdbg's own link to the stub; gdb talks through it. */
  readonly relay: RspRelay;
  /** Linux kernel awareness (KASLR slide, module symbols, pv_ops) when `program` is a vmlinux. */
  readonly kernel: KernelService | undefined;
}

export interface ConnectReporter {
  progress(message: string): void;
  log(message: string): void;
}

/** The stub could not be reached; the message says where we looked and what to check. */
export class StubUnreachableError extends Error {
  override name = 'StubUnreachableError';
}

/** Size in bytes of each ELF file the configuration names; a missing one is a configuration error. */
async function symbolFileSizes(args: CommonArguments): Promise<Map<string, number>> {
  const named: [string, string][] = [];
  if (args.program !== undefined) named.push(['program', args.program]);
  (args.symbolFiles ?? []).forEach((f, i) => named.push([`symbolFiles.${i}.path`, f.path]));
  const sizes = new Map<string, number>();
  for (const [attribute, path] of named) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      throw new ConfigurationError(
        `Invalid hvdbg configuration: "${attribute}": ${path} is not a readable file.`,
      );
    }
    sizes.set(path, info.size);
  }
  return sizes;
}

async function loadSymbols(
  gdb: GdbBackend,
  args: CommonArguments,
  sizes: Map<string, number>,
  reporter: ConnectReporter,
): Promise<void> {
  if (args.program !== undefined) {
    const size = sizes.get(args.program) ?? 0;
    reporter.progress(`Loading symbols from ${args.program} (${Math.round(size / 2 ** 20)} MB)`);
    const started = Date.now();
    await loadProgram(gdb, args.program);
    reporter.log(`hvdbg: loaded ${args.program} in ${Date.now() - started} ms\n`);
  } else {
    await setX86_64(gdb);
  }
  for (const file of args.symbolFiles ?? []) {
    reporter.progress(`Loading symbols from ${file.path}`);
    await addSymbolFile(gdb, file.path, file.address, Object.entries(file.sections ?? {}));
  }
}

async function mapSources(gdb: GdbBackend, args: CommonArguments): Promise<void> {
  for (const [from, to] of Object.entries(args.sourceFileMap ?? {})) {
    await substitutePath(gdb, from, to);
  }
  for (const dir of args.sourcePaths ?? []) {
    await addSourceDirectory(gdb, dir);
  }
}

function unreachable(address: StubAddress, why: string): StubUnreachableError {
  return new StubUnreachableError(
    `No gdbstub answered at ${describeStubAddress(address)} (${why}). Is the guest running with a ` +
      `gdbstub there (QEMU: -s for localhost:1234, or -gdb unix:/path,server,nowait)? QEMU's stub ` +
      `accepts one debugger at a time.`,
  );
}

/**
 * Connects gdb to the stub through hvdbg's relay (adapter/target/rsp/relay.ts). `connectTimeout` bounds
 * the whole connection (default 5000 ms).
 */
export async function connectToStub(
  args: CommonArguments,
  address: StubAddress,
  reporter: ConnectReporter,
): Promise<Connection> {
  const sizes = await symbolFileSizes(args);
  const gdb = await GdbBackend.start({ gdbPath: args.gdbPath ?? 'gdb' });
  let relay: RspRelay | undefined;
  try {
    await sessionSettings(gdb, args.connectTimeout ?? 5000);
    await loadSymbols(gdb, args, sizes, reporter);
    await mapSources(gdb, args);
    for (const command of args.initCommands ?? []) await cli(gdb, command);
    reporter.progress(`Connecting to ${describeStubAddress(address)}`);
    const timeout = args.connectTimeout ?? 5000;
    relay = await RspRelay.open(address, timeout).catch((error: unknown) => {
      throw error instanceof StubLinkError ? unreachable(address, error.message) : error;
    });
    try {
      await selectRemote(gdb, relay.socketPath, timeout);
    } catch (error) {
      if (error instanceof GdbCommandError || error instanceof GdbTimeoutError) {
        throw unreachable(address, error.message.trim());
      }
      throw error;
    }
    const link = relay;
    gdb.once('exited', () => link.close());
    await lockSchedulerOnStep(gdb);
    const stub = await detectStub(gdb);
    const kernel = await attachKernel(gdb, args, reporter);
    return { gdb, stub, address, relay, kernel };
  } catch (error) {
    relay?.close();
    await gdb.killAndWait();
    throw error;
  }
}
