/**
 * Typed events parsed from KVM trace text (ftrace `trace`/`trace_pipe`, `trace-cmd report`,
 * `perf script`). Field names follow the tracepoints' `TP_STRUCT__entry` in Linux
 * `arch/x86/kvm/trace.h` and `include/trace/events/kvm.h`.
 *
 * Units: `tsNs` is the trace clock in nanoseconds (the text's seconds with 6 or 9 decimals, scaled;
 * exact while below 2^53 ns, about 104 days of uptime). Addresses and 64-bit fields are `bigint`.
 */
import type { ExitIsa } from './reasonTypes';

/** Fields every tracepoint line carries in its prefix. */
export interface LineFields {
  /** 1-based line number in the input. */
  readonly lineNo: number;
  /** Task name (`comm`), e.g. `CPU 0/KVM` or `qemu-system-x86`; `<...>` when ftrace lost it. */
  readonly comm: string;
  /** Thread id: ftrace's `comm-PID`, perf's TID column; -1 when the line has no task column (`perf script -F cpu,...`). */
  readonly pid: number;
  /** Thread-group id from ftrace's `record-tgid` column, or null. */
  readonly tgid: number | null;
  /** Host CPU the event was recorded on. */
  readonly cpu: number;
  /** Trace timestamp, nanoseconds. */
  readonly tsNs: number;
}

/**
 * Which `kvm_exit` text layout the line used (`arch/x86/kvm/trace.h` across versions):
 * - `legacy`: `reason %s rip 0x%lx info %llx %llx` (Linux 3.x–5.3; `trace-cmd`/`perf` plugin output),
 *   or without `info` (2.6.3x);
 * - `vcpu`: `vcpu %u reason %s[%s%s] rip 0x%lx info %llx %llx` (5.4–5.12; flags since 5.7);
 * - `extended`: `vcpu %u reason %s%s%s rip 0x%lx info1 0x%016llx info2 0x%016llx intr_info 0x%08x
 *   error_code 0x%08x` (5.13 onward, current).
 */
export type ExitLayout = 'legacy' | 'vcpu' | 'extended';

/** `kvm_exit`: the guest left VMX non-root / SVM guest mode. */
export interface ExitEvent extends LineFields {
  readonly kind: 'exit';
  /** `vcpu_id`, or null in layouts without it. */
  readonly vcpu: number | null;
  /** Canonical reason name (see `ExitReasonInfo.name`), or the text as printed when not in the tables. */
  readonly reason: string;
  /** Basic exit reason / exit code, or null when the text gave only an unknown name. */
  readonly code: number | null;
  readonly isa: ExitIsa;
  /** VMX exit-reason flag bits printed after the name (bit 31 = FAILED_VMENTRY), else 0. */
  readonly flags: number;
  /** Guest RIP at the exit. */
  readonly rip: bigint;
  /** VMX exit qualification / SVM EXITINFO1; null when the line had no info (or, extended layout, malformed digits). */
  readonly info1: bigint | null;
  /** VMX: IDT-vectoring info (`extended`) or VM-exit interruption info (older); SVM: EXITINFO2. */
  readonly info2: bigint | null;
  /** `extended` layout only: VMX VM-exit interruption info / SVM EXITINTINFO. */
  readonly intrInfo: number | null;
  /** `extended` layout only: the matching error code. */
  readonly errorCode: number | null;
  readonly layout: ExitLayout;
}

/** `kvm_entry`: `vcpu %u` (≤5.8), `vcpu %u, rip 0x%lx` (5.9+), plus `[immediate exit]`/`[guest]` (6.x). */
export interface EntryEvent extends LineFields {
  readonly kind: 'entry';
  readonly vcpu: number;
  /** Guest RIP at entry, or null before Linux 5.9 (or when its digits are malformed). */
  readonly rip: bigint | null;
  readonly immediateExit: boolean;
  /** Entering L2 (`[guest]`). */
  readonly guestMode: boolean;
}

/** `kvm_hypercall`: `nr 0x%lx a0 0x%lx a1 0x%lx a2 0x%lx a3 0x%lx`. */
export interface HypercallEvent extends LineFields {
  readonly kind: 'hypercall';
  readonly nr: bigint;
  readonly a0: bigint;
  readonly a1: bigint;
  readonly a2: bigint;
  readonly a3: bigint;
}

/** `kvm_pio`: `pio_%s at 0x%x size %d count %d val 0x%x %s` (`val` since Linux 3.x). */
export interface PioEvent extends LineFields {
  readonly kind: 'pio';
  readonly write: boolean;
  readonly port: number;
  /** Bytes per access: 1, 2 or 4. */
  readonly size: number;
  readonly count: number;
  readonly val: number | null;
}

/** `kvm_mmio`: `mmio %s len %u gpa 0x%llx val 0x%llx`. */
export interface MmioEvent extends LineFields {
  readonly kind: 'mmio';
  /** `read`, `write`, `unsatisfied-read`, or the printed number for an unknown type. */
  readonly access: string;
  readonly len: number;
  readonly gpa: bigint;
  readonly val: bigint | null;
}

/** `kvm_msr`: `msr_%s %x = 0x%llx%s` (` (#GP)` when the access faulted). */
export interface MsrEvent extends LineFields {
  readonly kind: 'msr';
  readonly write: boolean;
  readonly msr: number;
  readonly data: bigint;
  readonly gp: boolean;
}

/** `kvm_cr`: `cr_%s %x = 0x%lx`. */
export interface CrEvent extends LineFields {
  readonly kind: 'cr';
  readonly write: boolean;
  readonly cr: number;
  readonly val: bigint;
}

/**
 * `kvm_page_fault`: `address %lx error_code %x` (≤5.x), `vcpu %u rip 0x%lx address 0x%lx error_code %x`,
 * `vcpu %u rip 0x%lx address 0x%016llx error_code 0x%llx` (6.x).
 */
export interface PageFaultEvent extends LineFields {
  readonly kind: 'page_fault';
  readonly vcpu: number | null;
  readonly rip: bigint | null;
  /** Faulting guest-physical (TDP) or guest-linear (shadow paging) address. */
  readonly address: bigint;
  /** KVM's PFERR_* error code. */
  readonly errorCode: bigint;
}

/** `kvm_userspace_exit`: `reason %s (%d)`, e.g. `reason KVM_EXIT_IO (2)`, `reason restart (4)`. */
export interface UserspaceExitEvent extends LineFields {
  readonly kind: 'userspace_exit';
  readonly reason: string;
  /** The exit reason number, or the errno for `restart`/`error`. */
  readonly code: number;
}

/** A well-formed tracepoint line for an event this parser does not decode (e.g. `kvm_inj_virq`). */
export interface OtherEvent extends LineFields {
  readonly kind: 'other';
  readonly name: string;
}

/**
 * Lost-events marker: ftrace `CPU:%d [LOST %lu EVENTS]` / `CPU:%d [LOST EVENTS]`, trace-cmd
 * `CPU:%d [%lld EVENTS DROPPED]` / `CPU:%d [EVENTS DROPPED]`, perf `PERF_RECORD_LOST … lost %lu`.
 */
export interface LostEvent {
  readonly kind: 'lost';
  readonly lineNo: number;
  /** CPU whose buffer overflowed, or -1 when the marker does not say. */
  readonly cpu: number;
  /** Events lost, or null when the marker gives no count. */
  readonly count: number | null;
}

/** A line that is not a comment, header or blank and could not be parsed. */
export interface UnparsedLine {
  readonly kind: 'unparsed';
  readonly lineNo: number;
  /** The line, at most 160 characters, control and non-ASCII bytes escaped as `\xNN`. */
  readonly text: string;
  /** Why it was rejected, e.g. `no [cpu] field`, `truncated kvm_exit`. */
  readonly why: string;
}

export type TraceEvent =
  | ExitEvent
  | EntryEvent
  | HypercallEvent
  | PioEvent
  | MmioEvent
  | MsrEvent
  | CrEvent
  | PageFaultEvent
  | UserspaceExitEvent
  | OtherEvent
  | LostEvent
  | UnparsedLine;
