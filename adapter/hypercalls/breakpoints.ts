/**
 * Hypercall breakpoints on the hypervisor side: "stop when KVM handles hypercall N" is a gdb breakpoint
 * in `kvm_emulate_hypercall` conditioned on the vCPU's RAX as KVM truncates it (adapter/hypercalls/
 * kvmHandler.ts). Setting them replaces the previous set, as DAP's setBreakpoints does.
 */
import type { HypercallBreakpointResult } from '../protocol/hypercallRequests';
import type { GdbBackend } from '../gdb/backend';
import { deleteBreakpoints, insertBreakpoint } from '../gdb/mi/breakpoints';
import { KVM_HYPERCALL_HANDLERS, kvmHypercallCondition, resolveKvmCall } from '../hypervisors/kvm/handler';

function message(error: unknown): string {
  return error instanceof Error ? error.message.trim() : String(error);
}

export class HypercallBreakpoints {
  private planted: number[] = [];

  constructor(
    private readonly gdb: GdbBackend,
    private readonly hardware: boolean,
  ) {}

  /**
   * Replaces the session's hypercall breakpoints; one result per wanted entry (`{ abi: 'kvm', call,
   * condition? }`), unverified with a message when an entry is wrong or gdb refuses it.
   */
  async set(wanted: readonly unknown[]): Promise<HypercallBreakpointResult[]> {
    await deleteBreakpoints(this.gdb, this.planted).catch(() => undefined);
    this.planted = [];
    const results: HypercallBreakpointResult[] = [];
    for (const raw of wanted) results.push(await this.plant(raw));
    return results;
  }

  private async plant(raw: unknown): Promise<HypercallBreakpointResult> {
    const b = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const abi = b['abi'] ?? 'kvm';
    const call = b['call'];
    if (abi !== 'kvm')
      return { verified: false, message: `abi ${JSON.stringify(abi)}: only 'kvm' (Linux KVM) is supported` };
    if (typeof call !== 'string' && typeof call !== 'number')
      return { verified: false, message: '"call" must be a hypercall name or number' };
    const resolved = resolveKvmCall(call);
    if (typeof resolved === 'string') return { verified: false, message: resolved };
    const condition = b['condition'];
    const extra = typeof condition === 'string' && condition !== '' ? ` && (${condition})` : '';
    const label = resolved.name ?? `hypercall 0x${resolved.number.toString(16)}`;
    try {
      const info = await insertBreakpoint(this.gdb, {
        location: KVM_HYPERCALL_HANDLERS[0] ?? 'kvm_emulate_hypercall',
        hardware: this.hardware,
        condition: kvmHypercallCondition(resolved.number) + extra,
      });
      this.planted.push(info.number);
      return {
        verified: !info.pending,
        id: info.number,
        number: resolved.number,
        ...(resolved.name === undefined ? {} : { name: resolved.name }),
        message: info.pending
          ? `pending: kvm_emulate_hypercall is in no loaded symbol file yet (load kvm.ko's symbols)`
          : `stops in kvm_emulate_hypercall when the guest asks for ${label} (${resolved.number})`,
      };
    } catch (error) {
      return { verified: false, message: `${label}: ${message(error)}` };
    }
  }
}
