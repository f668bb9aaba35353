/** The custom DAP requests of adapter/protocol/customRequests.ts, answered by the exits service. */
import { ExitsError } from './errors';
import {
  type BodyOf,
  exitStatsRequest,
  lastExitsRequest,
  openTraceRequest,
} from '../protocol/customRequests';
import type { SelectedVcpu } from './command';
import type { ExitTraceService } from './service';

/** Bad arguments to a custom request: the client's mistake. */
export class ExitRequestError extends ExitsError {
  override name = 'ExitRequestError';
}

function record(args: unknown): Record<string, unknown> {
  return typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
}

function optional<T>(value: unknown, type: 'string' | 'number' | 'boolean', name: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new ExitRequestError(`"${name}" must be a ${type}`);
  return value as T;
}

export async function handleExitRequest(
  service: ExitTraceService,
  selected: SelectedVcpu,
  command: string,
  rawArgs: unknown,
): Promise<object> {
  const args = record(rawArgs);
  switch (command) {
    case exitStatsRequest.command: {
      const source = optional<string>(args['source'], 'string', 'source');
      const snapshot = service.snapshot(source);
      return (snapshot === undefined ? {} : { snapshot }) satisfies BodyOf<typeof exitStatsRequest>;
    }
    case openTraceRequest.command: {
      const path = optional<string>(args['path'], 'string', 'path');
      if (path === undefined) throw new ExitRequestError('"path" is required');
      const follow = optional<boolean>(args['follow'], 'boolean', 'follow');
      const source = await service.open({ path, ...(follow === undefined ? {} : { follow }) });
      return { source } satisfies BodyOf<typeof openTraceRequest>;
    }
    case lastExitsRequest.command: {
      const threadId = optional<number>(args['threadId'], 'number', 'threadId');
      const count = optional<number>(args['count'], 'number', 'count');
      const vcpu = await selected(undefined, threadId);
      return (await service.lastExits(vcpu.vcpuIndex, vcpu.threadId, count)) satisfies BodyOf<
        typeof lastExitsRequest
      >;
    }
    default:
      throw new ExitRequestError(`unknown request ${command}`);
  }
}
