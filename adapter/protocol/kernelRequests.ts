/**
 * hvdbg's custom DAP requests about the debugged Linux kernel (adapter/kernel/), declared once with their
 * types: the adapter answers them, the extension's Paravirt and module views call them. Wire conventions
 * as in customRequests.ts: 64-bit addresses and offsets are `0x`-prefixed hex strings.
 */
import { request } from './customRequests';

/** How the `pv_ops` slot's target is classified. */
export type ParavirtKind =
  /** `native_*`, `pv_native_*`, or one of paravirt.c's defaults (`paravirt_nop`, `_paravirt_ident_64`, ...). */
  | 'native'
  /** A hypervisor's replacement: `kvm_*`, `xen_*`, `vmware_*`, `hv_*`, `__pv_queued_spin_unlock`, ... */
  | 'paravirt'
  /** Anything else (a generic kernel function such as `tlb_remove_page`, or no symbol). */
  | 'other'
  /** The slot holds 0. */
  | 'null';

export interface ParavirtSlot {
  /** The field of `struct paravirt_patch_template`: `cpu.io_delay`, `irq.save_fl`, `mmu.write_cr3`, ... */
  readonly slot: string;
  /** The function pointer's value, hex. */
  readonly address: string;
  /** The function it points at (`native_write_cr3`, `kvm_flush_tlb_multi+16`); absent without a symbol. */
  readonly target?: string;
  readonly kind: ParavirtKind;
}

export interface ParavirtBody {
  /** `pv_info.name`: "bare hardware", "KVM", "Xen HVM", "VMware hypervisor", ... */
  readonly name: string;
  /** In the order of `struct paravirt_patch_template` (arch/x86/include/asm/paravirt_types.h). */
  readonly slots: readonly ParavirtSlot[];
}

export interface KernelModuleInfo {
  /** The module's name as the kernel knows it (`kvm_amd`). */
  readonly name: string;
  /** Load address of its `.text`, hex. */
  readonly text: string;
  /** The ELF file whose symbols were added (from `modulePath` or `symbolFiles`). */
  readonly symbolFile?: string;
  /** Why there are no symbols: not found in `modulePath`, gdb refused the file, ... */
  readonly problem?: string;
}

export interface ModulesBody {
  /** Loaded modules, in the kernel's list order (most recently loaded first). */
  readonly modules: readonly KernelModuleInfo[];
  /** Run-time address minus link-time address of the kernel (hex; `0x0` without KASLR); absent when unknown. */
  readonly kaslrSlide?: string;
}

/** `pv_info.name` and every `pv_ops` slot resolved to its function (`hv pvops`). */
export const paravirtRequest = request<Record<string, never>, ParavirtBody>('hvdbg/paravirt');
/** The loaded kernel modules and the symbols hvdbg added for them (`hv modules`). */
export const modulesRequest = request<Record<string, never>, ModulesBody>('hvdbg/modules');
