/** The custom DAP requests of adapter/protocol/customRequests.ts, answered by the exits service. */
import { exitStatsRequest, lastExitsRequest, openTraceRequest } from '../protocol/customRequests';
import type { SessionHost } from '../session/host';
import type { ExitTraceService } from './service';

/** Registers `hvdbg/exitStats`, `hvdbg/openTrace` and `hvdbg/lastExits` (arguments checked by their schemas). */
export function registerExitRequests(
  host: Pick<SessionHost, 'handle'>,
  service: ExitTraceService,
  vcpuOf: (threadId: number | undefined) => Promise<{ threadId: number; vcpuIndex: number }>,
): void {
  host.handle(exitStatsRequest, (args) => {
    const snapshot = service.snapshot(args.source);
    return Promise.resolve(snapshot === undefined ? {} : { snapshot });
  });
  host.handle(openTraceRequest, async (args) => ({ source: await service.open(args) }));
  host.handle(lastExitsRequest, async (args) => {
    const vcpu = await vcpuOf(args.threadId);
    return service.lastExits(vcpu.vcpuIndex, vcpu.threadId, args.count);
  });
}
