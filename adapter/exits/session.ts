/**
 * The exits service wired into a connected session: RIPs resolved through the session's gdb, `tracefs`
 * traced for the QEMU serving the stub, `hv exits` in the Debug Console, the last exits sent at each
 * stop, everything released when gdb goes (every way a session ends).
 */
import { ExitsError } from './errors';
import type { CommonArguments } from '../protocol/config';
import type { SessionHost } from '../session/host';
import type { FrameRef } from '../debugger/frames';
import { describeStubAddress } from '../target/address';
import { exitsCommand } from './command';
import { registerExitRequests } from './requests';
import { ExitTraceService } from './service';
import { GdbSymbolResolver, SourceFinder } from './symbols';
import { cli } from '../gdb/mi/cli';
import { stubOwner } from './stubOwner';

export { ExitTraceService } from './service';

export function createExitService(host: SessionHost, args: CommonArguments): ExitTraceService {
  const { gdb, address } = host;
  const service = new ExitTraceService({
    symbols: new GdbSymbolResolver(
      (command, timeoutMs) => cli(gdb, command, timeoutMs),
      new SourceFinder(args.sourceFileMap, args.sourcePaths),
    ),
    tracefsPid: async () => {
      const pid = await stubOwner(address);
      if (pid === undefined)
        throw new ExitsError(
          `"exitTrace": no process here serves ${describeStubAddress(address)}; write "tracefs:PID" with QEMU's pid`,
        );
      return pid;
    },
  });
  const selected = (frame: FrameRef | undefined, threadId?: number) =>
    selectedVcpu(host, threadId ?? frame?.threadId);
  host.addCommand(exitsCommand(service, selected));
  registerExitRequests(host, service, (threadId) => selectedVcpu(host, threadId));
  gdb.once('exited', () => service.dispose());
  host.stops.onStop((stop) => {
    if (stop.threadId === undefined || !service.hasSource) return;
    void selected(undefined, stop.threadId).then(
      (vcpu) => service.stopped(vcpu.vcpuIndex, vcpu.threadId),
      () => undefined,
    );
  });
  const setting = args.exitTrace;
  if (setting !== undefined) {
    const live = typeof setting === 'string' ? { source: setting } : setting;
    // Asynchronous: the session subscribes to the service's events before anything is emitted.
    void service.startLive(live).catch((error: unknown) => {
      service.emit(
        'output',
        `hvdbg: "exitTrace": ${error instanceof Error ? error.message : String(error)}\n`,
      );
    });
  }
  return service;
}

/** A vCPU's DAP thread id and index (QEMU's CPU#n): of `threadId`, or of gdb's selected thread. */
export async function selectedVcpu(
  host: SessionHost,
  threadId?: number,
): Promise<{ threadId: number; vcpuIndex: number }> {
  const id = threadId ?? (await host.threads.currentId());
  const thread = (await host.threads.list()).find((t) => t.id === id);
  return { threadId: id, vcpuIndex: thread?.cpuIndex ?? id - 1 };
}
