// A deliberately plain, independent reading of KVM trace text — the kernel's ftrace text (`trace`,
// `trace_pipe`) and `trace-cmd report` — for checking adapter/vmexits against the lab's real captures
// (test/unit/vmexits/captures.test.ts, test/integration/traces.test.ts). It imports nothing from
// adapter/: one regular expression per line, file order, each thread's kvm_exit paired with its next
// kvm_entry (a second exit before an entry replaces the first, as `perf kvm stat` does).

/** One tracepoint line. */
export interface RefEvent {
  /** 1-based line number. */
  line: number;
  comm: string;
  pid: number;
  cpu: number;
  /** The printed timestamp (seconds with 6 decimals) in nanoseconds. */
  ns: number;
  /** Event name, e.g. `kvm_exit`. */
  event: string;
  /** Everything after `event:` with the padding trimmed. */
  body: string;
}

export interface RefLines {
  events: RefEvent[];
  /** `#` lines. */
  comments: number;
  /** Non-blank lines that are neither comments nor events (e.g. trace-cmd's `cpus=2`). */
  other: string[];
}

// `  COMM-PID  [CPU] FLAGS  SECS.USECS: EVENT: BODY`; trace-cmd report has no FLAGS column and pads the
// event name. COMM may contain spaces and dashes, so the PID is the last `-digits` before `[`.
const LINE = /^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(?:[^\s:]{4,5}\s+)?(\d+)\.(\d{6}):\s+([a-z0-9_]+):\s*(.*)$/;

/** Splits `text` into tracepoint lines, comments and the rest. */
export function refLines(text: string): RefLines {
  const out: RefLines = { events: [], comments: 0, other: [] };
  text.split('\n').forEach((raw, i) => {
    const l = raw.replace(/\r$/, '');
    if (l.trim() === '') return;
    if (l.startsWith('#')) {
      out.comments++;
      return;
    }
    const m = LINE.exec(l);
    if (m === null) {
      out.other.push(l);
      return;
    }
    const [, comm = '', pid = '', cpu = '', sec = '', usec = '', event = '', body = ''] = m;
    out.events.push({
      line: i + 1,
      comm: comm.trim(),
      pid: Number(pid),
      cpu: Number(cpu),
      ns: Number(sec) * 1e9 + Number(usec) * 1e3,
      event,
      body: body.trim(),
    });
  });
  return out;
}

/** Per exit reason: what `perf kvm stat` reports (times in ns). */
export interface RefRow {
  /** Exits paired with an entry. */
  samples: number;
  /** All kvm_exit lines with this reason. */
  exits: number;
  totalNs: number;
  /** 0 without samples. */
  minNs: number;
  maxNs: number;
  /** totalNs / samples, 0 without samples. */
  meanNs: number;
}

export interface RefStats {
  reasons: Map<string, RefRow>;
  /** vCPU → reason → row. Samples count for the entry's vCPU; exits for the exit line's vCPU (or, when
   * the line has none, as trace-cmd's kvm plugin prints it, the thread's last entry's vCPU, else -1). */
  vcpus: Map<number, Map<string, RefRow>>;
  exits: number;
  entries: number;
  unpairedExits: number;
  orphanEntries: number;
  /** Other events by the parser's kind names (see `kindOf`). */
  eventCounts: Record<string, number>;
  /** `kvm_hypercall` numbers (hex as printed) with their counts. */
  hypercalls: Map<string, number>;
  /** Hypercall lines whose thread's previous kvm_exit did not have the reason `hypercall`. */
  strayHypercalls: number;
  /** Lines whose timestamp is below the previous line's. */
  backwards: number;
}

/**
 * How libtraceevent's kvm plugin (plugins/plugin_kvm.c, `SVM_EXIT_REASONS` with `_ER(reason, val)
 * { SVM_EXIT_##reason, #reason }` prefixed `EXIT_`) prints the SVM exit codes the lab produces, mapped
 * to the kernel's own names (arch/x86/include/uapi/asm/svm.h `SVM_EXIT_REASONS`), with the codes from
 * the AMD APM vol. 2, appendix C.
 */
export const SVM_REASONS: Record<string, { kernel: string; code: number }> = {
  EXIT_INTR: { kernel: 'interrupt', code: 0x60 },
  EXIT_NMI: { kernel: 'nmi', code: 0x61 },
  EXIT_VINTR: { kernel: 'vintr', code: 0x64 },
  EXIT_CPUID: { kernel: 'cpuid', code: 0x72 },
  EXIT_PAUSE: { kernel: 'pause', code: 0x77 },
  EXIT_HLT: { kernel: 'hlt', code: 0x78 },
  EXIT_IOIO: { kernel: 'io', code: 0x7b },
  EXIT_MSR: { kernel: 'msr', code: 0x7c },
  EXIT_SHUTDOWN: { kernel: 'shutdown', code: 0x7f },
  EXIT_VMMCALL: { kernel: 'hypercall', code: 0x81 },
  EXIT_NPF: { kernel: 'npf', code: 0x400 },
};

/** The kernel's name of a reason as the kernel or trace-cmd's plugin printed it. */
export function kernelReasonName(printed: string): string {
  return SVM_REASONS[printed]?.kernel ?? printed;
}

/** The parser's kind for a non-exit/entry event name (adapter/vmexits/events.ts). */
export function kindOf(event: string): string {
  const kinds: Record<string, string> = {
    kvm_hypercall: 'hypercall',
    kvm_pio: 'pio',
    kvm_mmio: 'mmio',
    kvm_msr: 'msr',
    kvm_cr: 'cr',
    kvm_page_fault: 'page_fault',
    kvm_userspace_exit: 'userspace_exit',
  };
  return kinds[event] ?? 'other';
}

function emptyRow(): RefRow {
  return { samples: 0, exits: 0, totalNs: 0, minNs: 0, maxNs: 0, meanNs: 0 };
}

function rowOf(m: Map<string, RefRow>, name: string): RefRow {
  let r = m.get(name);
  if (r === undefined) {
    r = emptyRow();
    m.set(name, r);
  }
  return r;
}

function addSample(r: RefRow, ns: number): void {
  r.minNs = r.samples === 0 ? ns : Math.min(r.minNs, ns);
  r.maxNs = Math.max(r.maxNs, ns);
  r.samples++;
  r.totalNs += ns;
  r.meanNs = r.totalNs / r.samples;
}

/** The statistics of `text`, reasons under their kernel names. */
export function refStats(text: string): RefStats {
  const { events } = refLines(text);
  const s: RefStats = {
    reasons: new Map(),
    vcpus: new Map(),
    exits: 0,
    entries: 0,
    unpairedExits: 0,
    orphanEntries: 0,
    eventCounts: {},
    hypercalls: new Map(),
    strayHypercalls: 0,
    backwards: 0,
  };
  const vcpuRows = (v: number): Map<string, RefRow> => {
    let m = s.vcpus.get(v);
    if (m === undefined) {
      m = new Map();
      s.vcpus.set(v, m);
    }
    return m;
  };
  const pending = new Map<number, { ns: number; reason: string }>();
  const lastReason = new Map<number, string>();
  const lastVcpu = new Map<number, number>();
  let prevNs = -Infinity;
  for (const e of events) {
    if (e.ns < prevNs) s.backwards++;
    prevNs = Math.max(prevNs, e.ns);
    if (e.event === 'kvm_exit') {
      const reason = /reason (.*?) rip 0x/.exec(e.body)?.[1];
      if (reason === undefined) throw new Error(`line ${e.line}: kvm_exit without a reason: ${e.body}`);
      const name = kernelReasonName(reason);
      const v = /^vcpu (\d+) /.exec(e.body)?.[1];
      const vcpu = v === undefined ? (lastVcpu.get(e.pid) ?? -1) : Number(v);
      s.exits++;
      rowOf(s.reasons, name).exits++;
      rowOf(vcpuRows(vcpu), name).exits++;
      if (pending.has(e.pid)) s.unpairedExits++;
      pending.set(e.pid, { ns: e.ns, reason: name });
      lastReason.set(e.pid, name);
    } else if (e.event === 'kvm_entry') {
      const v = /^vcpu (\d+)/.exec(e.body)?.[1];
      if (v === undefined) throw new Error(`line ${e.line}: kvm_entry without a vCPU: ${e.body}`);
      const vcpu = Number(v);
      s.entries++;
      lastVcpu.set(e.pid, vcpu);
      const p = pending.get(e.pid);
      if (p === undefined) {
        s.orphanEntries++;
        continue;
      }
      pending.delete(e.pid);
      addSample(rowOf(s.reasons, p.reason), e.ns - p.ns);
      addSample(rowOf(vcpuRows(vcpu), p.reason), e.ns - p.ns);
    } else {
      const kind = kindOf(e.event);
      s.eventCounts[kind] = (s.eventCounts[kind] ?? 0) + 1;
      if (e.event === 'kvm_hypercall') {
        const nr = /^nr (0x[0-9a-f]+) /.exec(e.body)?.[1] ?? '?';
        s.hypercalls.set(nr, (s.hypercalls.get(nr) ?? 0) + 1);
        if (lastReason.get(e.pid) !== 'hypercall') s.strayHypercalls++;
      }
    }
  }
  s.unpairedExits += pending.size;
  return s;
}
