/** `hv regs`: the selected vCPU's control registers and RFLAGS with every named bit, for the console. */
import { decode } from '../x86/bitfields';
import type { HvCommand } from './console';
import type { FrameRef } from './frames';
import type { RegisterService } from './registers';

const SHOWN = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer', 'eflags'];

export function controlRegistersCommand(
  registers: RegisterService,
  currentFrame: () => Promise<FrameRef>,
): HvCommand {
  return {
    name: 'regs',
    usage: 'hv regs',
    summary: 'control registers, EFER and RFLAGS with their bit fields decoded',
    async run(_args, frame) {
      const where = frame ?? (await currentFrame());
      const lines: string[] = [];
      for (const r of await registers.main(where)) {
        if (!SHOWN.includes(r.name)) continue;
        lines.push(`${r.name.padEnd(7)} ${r.text}`);
        if (r.layout === undefined || r.value === undefined) continue;
        for (const f of decode(r.layout, r.value)) {
          if (f.reserved || (f.width === 1 && f.raw === 0n)) continue;
          lines.push(`        ${f.display.padEnd(22)} ${f.description}`);
        }
      }
      return lines.join('\n');
    },
  };
}
