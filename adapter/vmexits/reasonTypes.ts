/**
 * Shapes shared by the VMX and SVM exit-reason tables.
 */

/** Which virtualization extension an exit reason belongs to; `unknown` when a trace line does not say. */
export type ExitIsa = 'vmx' | 'svm' | 'unknown';

/** One row of an exit-reason table. */
export interface ExitReasonInfo {
  readonly isa: 'vmx' | 'svm';
  /**
   * VMX: the basic exit reason (bits 15:0 of the exit-reason field).
   * SVM: the EXITCODE as an unsigned 32-bit number (so VMEXIT_INVALID, -1, is 0xffffffff).
   */
  readonly code: number;
  /**
   * The name KVM's `kvm_exit` tracepoint prints for this code (`VMX_EXIT_REASONS` / `SVM_EXIT_REASONS`),
   * or, where KVM's table has no entry (KVM then prints the code as `0x%lx`), a name in the same style
   * taken from the manual.
   */
  readonly name: string;
  /** True when KVM's table names the code, i.e. the trace shows `name`; false when it shows `0x…`. */
  readonly kvmNamed: boolean;
  /** The manual's description of the exit. */
  readonly description: string;
  /**
   * Other spellings seen in traces: older KVM names (VMX `PENDING_INTERRUPT`) and the names of
   * libtraceevent's kvm plugin, used by `trace-cmd report` and `perf script` (SVM `EXIT_IOIO`).
   */
  readonly aliases: readonly string[];
}

/** Builds a row; `kvmNamed` false means KVM's table lacks the code and prints it as hex. */
export function row(
  isa: 'vmx' | 'svm',
  code: number,
  name: string,
  kvmNamed: boolean,
  description: string,
  aliases: readonly string[] = [],
): ExitReasonInfo {
  return { isa, code: code >>> 0, name, kvmNamed, description, aliases };
}
