/** gdb's `*stopped` async record, typed (GDB manual, "GDB/MI Async Records"). */
import type { MITuple } from './miValues';

/** `*stopped`, typed. See the GDB manual, "GDB/MI Async Records". */
export interface StopRecord {
  readonly reason: string;
  readonly threadId: number | undefined;
  readonly breakpointNumber: number | undefined;
  readonly signalName: string | undefined;
  readonly raw: MITuple;
}

/** The record's fields hvdbg reads; the rest stays in `raw`. */
export function toStopRecord(data: MITuple): StopRecord {
  const num = (key: string): number | undefined => {
    const value = data[key];
    return typeof value === 'string' ? Number.parseInt(value, 10) : undefined;
  };
  const reason = data['reason'];
  const signal = data['signal-name'];
  return {
    reason: typeof reason === 'string' ? reason : 'unknown',
    threadId: num('thread-id'),
    breakpointNumber: num('bkptno'),
    signalName: typeof signal === 'string' ? signal : undefined,
    raw: data,
  };
}
