/**
 * `hv exits` in the Debug Console:
 *   hv exits                  perf kvm stat's table of the session's trace (`exitTrace`), so far
 *   hv exits FILE             the same for a trace file (ftrace, trace-cmd report, perf script)
 *   hv exits [FILE] --vcpu N  one vCPU (perf's --vcpu)
 *   hv exits last [COUNT]     the last exits of the selected vCPU
 */
import { completeExits } from './complete';
import { ExitsError } from './errors';
import type { HvCommand } from '../debugger/console';
import type { FrameRef } from '../debugger/frames';
import { formatLastExits } from './report';
import type { ExitTraceService } from './service';

/** A vCPU (the frame's, the given thread's, or gdb's selected one): its DAP thread id and its index (CPU#n). */
export type SelectedVcpu = (
  frame: FrameRef | undefined,
  threadId?: number,
) => Promise<{ threadId: number; vcpuIndex: number }>;

export function exitsCommand(service: ExitTraceService, selected: SelectedVcpu): HvCommand {
  return {
    name: 'exits',
    usage: 'hv exits [FILE] [--vcpu N] | last [N]',
    complete: completeExits,
    summary: "VM-exit statistics as perf kvm stat gives them, the top guest RIPs, a vCPU's last exits",
    async run(args, frame) {
      if (args[0] === 'last') {
        const count = args[1] === undefined ? 16 : Number(args[1]);
        if (!(Number.isInteger(count) && count > 0)) throw new ExitsError(`'${args[1]}' is not a count`);
        if (!service.hasSource)
          throw new ExitsError('no KVM trace is followed: set "exitTrace" in the launch configuration');
        const { threadId, vcpuIndex } = await selected(frame);
        return formatLastExits(await service.lastExits(vcpuIndex, threadId, count));
      }
      let file: string | undefined;
      let vcpu: number | undefined;
      for (let i = 0; i < args.length; i++) {
        const arg = args[i] ?? '';
        if (arg === '--vcpu') {
          vcpu = Number(args[++i]);
          if (!Number.isInteger(vcpu) || vcpu < 0) throw new ExitsError('--vcpu needs a vCPU number');
        } else if (file === undefined) {
          file = arg;
        } else {
          throw new ExitsError(`unexpected '${arg}'. Usage: hv exits [FILE] [--vcpu N] | hv exits last [N]`);
        }
      }
      return service.report(file, vcpu);
    },
  };
}
