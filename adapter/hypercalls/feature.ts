/**
 * The hypercall feature of a session: the service (adapter/hypercalls/session.ts) with its console
 * commands (console.ts) and custom requests registered on the session host.
 */
import type { CommonArguments } from '../protocol/config';
import {
  hypercallCatalogueRequest,
  hypercallRequest,
  hypercallSitesRequest,
  setHypercallBreakpointsRequest,
  vmExitRequest,
} from '../protocol/hypercallRequests';
import type { SessionHost } from '../session/host';
import { hypercallCommands } from './console';
import { KVM_HYPERCALLS } from './kvm';
import { HypercallService } from './session';

/** Wires the hypercall service into a session: scopes, console commands, custom requests. */
export function wireHypercalls(host: SessionHost, args: CommonArguments): HypercallService {
  const service = new HypercallService(host, args);
  for (const command of hypercallCommands(service)) host.addCommand(command);
  host.handle(hypercallCatalogueRequest, () =>
    Promise.resolve({
      abi: 'kvm',
      entries: KVM_HYPERCALLS.map((e) => ({ name: e.name, number: e.number, description: e.description })),
    }),
  );
  host.handle(hypercallRequest, async (args) => {
    const frame = args.frameId === undefined ? undefined : service.frame(args.frameId);
    const threadId = frame?.threadId ?? args.threadId ?? (await service.currentThread());
    return service.hypercall(threadId, frame?.level ?? 0);
  });
  host.handle(hypercallSitesRequest, (args) => service.sites(args.file));
  host.handle(setHypercallBreakpointsRequest, async (args) => ({
    breakpoints: await service.setBreakpoints(args.breakpoints),
  }));
  host.handle(vmExitRequest, async (args) =>
    service.vmExit(args.threadId ?? (await service.currentThread())),
  );
  return service;
}
