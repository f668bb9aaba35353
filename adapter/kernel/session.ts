/**
 * The kernel service wired into a connected session: `hv modules` / `hv pvops` in the Debug Console,
 * `hvdbg/modules` / `hvdbg/paravirt` for the views, DAP's `modules` and `module` events (dapModules.ts),
 * the service's `do_init_module` / `free_module` breakpoints made internal ones (symbols added or removed,
 * the guest continues without a visible stop), and a KASLR slide looked for again at each stop while it
 * is unknown (attached before the kernel ran).
 */
import { modulesRequest, paravirtRequest, type ModulesBody } from '../protocol/kernelRequests';
import type { SessionHost } from '../session/host';
import { KernelModules } from './dapModules';
import { formatParavirt } from './pvops';
import type { KernelService } from './service';
import { GdbCommandError, GdbExitedError, GdbTimeoutError } from '../gdb/errors';

/** `hv modules` text. */
export function formatModules(body: ModulesBody): string {
  const slide = body.kaslrSlide === undefined ? 'unknown' : body.kaslrSlide;
  if (body.modules.length === 0) return `KASLR slide: ${slide}\nno modules loaded`;
  const width = Math.max(...body.modules.map((m) => m.name.length));
  const rows = body.modules.map(
    (m) => `  ${m.name.padEnd(width)}  ${m.text}  ${m.symbolFile ?? `(no symbols: ${m.problem ?? '?'})`}`,
  );
  return `KASLR slide: ${slide}\n${body.modules.length} modules:\n${rows.join('\n')}`;
}

async function paravirtOrExplain(kernel: KernelService) {
  try {
    return await kernel.paravirt();
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).trim();
    const message = `cannot read pv_info/pv_ops (a kernel without CONFIG_PARAVIRT?): ${why}`;
    // gdb's answer (the guest runs, no such symbol) or gdb gone: the target's failure, not hvdbg's.
    if (error instanceof GdbCommandError) throw new GdbCommandError(error.command, message);
    if (error instanceof GdbExitedError || error instanceof GdbTimeoutError) throw error;
    throw new Error(message);
  }
}

/** Wires `kernel` into the session; returns its DAP modules (the session answers `modules` and sends events). */
export function wireKernel(host: SessionHost, kernel: KernelService): KernelModules {
  const output = (text: string): void => host.log(text);
  kernel.setLog(output);
  const stopped = (): boolean => host.stops.state === 'stopped';
  const modules = new KernelModules(kernel, stopped);
  host.stops.onResume(() => modules.resumed());

  host.addCommand({
    name: 'modules',
    usage: 'hv modules',
    summary: 'loaded kernel modules, their .text and symbol files; the KASLR slide',
    run: async () => formatModules(await kernel.describeModules(stopped())),
  });
  host.addCommand({
    name: 'pvops',
    usage: 'hv pvops',
    summary: 'pv_info.name and every pv_ops slot: native or paravirtualized',
    run: async () => formatParavirt(await paravirtOrExplain(kernel)),
  });
  host.handle(modulesRequest, () => kernel.describeModules(stopped()));
  host.handle(paravirtRequest, () => paravirtOrExplain(kernel));

  host.stops.onStop(() => {
    if (kernel.slide !== undefined) return;
    void kernel
      .ensureSlide()
      .then(() => kernel.loadModules())
      .catch((error: unknown) => output(`hvdbg: ${String(error)}\n`));
  });

  const watch = (): void => {
    for (const [number, kind] of kernel.hooks)
      host.addInternalBreakpoint(number, () =>
        kind === 'load' ? kernel.moduleLoading() : kernel.moduleUnloading(),
      );
  };
  kernel.hooksMoved = (removed) => {
    for (const number of removed) host.removeInternalBreakpoint(number);
    watch();
  };
  watch();
  return modules;
}
