/**
 * AMD SVM exit codes.
 *
 * Codes and descriptions: AMD APM Vol. 2, Appendix C ("SVM Intercept Exit Codes"); the 0x8000_xxxx
 * software codes are the GHCB specification's (AMD 56421) VMGEXIT events, which KVM also names.
 * Names: Linux `arch/x86/include/uapi/asm/svm.h` `SVM_EXIT_REASONS`, which `kvm_exit` prints through
 * `__print_symbolic(exit_reason, SVM_EXIT_REASONS)` (`arch/x86/kvm/trace.h`): lower case, e.g. `io`,
 * `npf`, `hypercall` (VMMCALL), `PF excp`. Codes the table lacks are printed as `0x%lx`.
 * Aliases: libtraceevent's kvm plugin (`trace-cmd report`, `perf script`) prints `EXIT_` plus the
 * `SVM_EXIT_` macro suffix, e.g. `EXIT_IOIO`, `EXIT_VMMCALL`, `EXIT_EXCP_PF`, `EXIT_ERR`.
 */
import { row, type ExitReasonInfo } from './reasonTypes';

const K = true; // named in KVM's SVM_EXIT_REASONS
const H = false; // KVM prints the code in hex

function plugin(define: string): readonly string[] {
  return [`EXIT_${define}`];
}

/** Exception mnemonics by vector (APM Vol. 2 §8.2); KVM's table names the ones listed in `KVM_EXCP`. */
const VECTORS: readonly string[] = [
  'DE', 'DB', 'NMI', 'BP', 'OF', 'BR', 'UD', 'NM', 'DF', 'CSO', 'TS', 'NP', 'SS', 'GP', 'PF', 'RSVD15',
  'MF', 'AC', 'MC', 'XF', 'VE', 'CP', 'RSVD22', 'RSVD23', 'RSVD24', 'RSVD25', 'RSVD26', 'RSVD27', 'HV',
  'VC', 'SX', 'RSVD31',
]; // prettier-ignore
const KVM_EXCP = new Set([0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18, 19]);

function ranges(): ExitReasonInfo[] {
  const out: ExitReasonInfo[] = [];
  const kvmCr = new Set([0, 2, 3, 4, 8]);
  for (let n = 0; n < 16; n++) {
    out.push(row('svm', n, `read_cr${n}`, kvmCr.has(n), `Read of CR${n}`, plugin(`READ_CR${n}`)));
  }
  for (let n = 0; n < 16; n++) {
    out.push(row('svm', 0x10 + n, `write_cr${n}`, kvmCr.has(n), `Write of CR${n}`, plugin(`WRITE_CR${n}`)));
  }
  for (let n = 0; n < 16; n++) {
    out.push(row('svm', 0x20 + n, `read_dr${n}`, n < 8, `Read of DR${n}`, plugin(`READ_DR${n}`)));
  }
  for (let n = 0; n < 16; n++) {
    out.push(row('svm', 0x30 + n, `write_dr${n}`, n < 8, `Write of DR${n}`, plugin(`WRITE_DR${n}`)));
  }
  for (let v = 0; v < 32; v++) {
    const m = VECTORS[v] ?? `V${v}`;
    out.push(
      row(
        'svm',
        0x40 + v,
        `${m} excp`,
        KVM_EXCP.has(v),
        `Exception vector ${v} (#${m})`,
        plugin(`EXCP_${m}`),
      ),
    );
  }
  return out;
}

function named(): ExitReasonInfo[] {
  const t: [number, string, boolean, string, string][] = [
    [0x60, 'interrupt', K, 'Physical INTR (maskable interrupt)', 'INTR'],
    [0x61, 'nmi', K, 'Physical NMI', 'NMI'],
    [0x62, 'smi', K, 'Physical SMI', 'SMI'],
    [0x63, 'init', K, 'Physical INIT', 'INIT'],
    [0x64, 'vintr', K, 'Virtual INTR', 'VINTR'],
    [0x65, 'cr0_sel_write', K, 'Write of CR0 that changed bits other than TS or MP', 'CR0_SEL_WRITE'],
    [0x66, 'read_idtr', K, 'Read of IDTR', 'IDTR_READ'],
    [0x67, 'read_gdtr', K, 'Read of GDTR', 'GDTR_READ'],
    [0x68, 'read_ldtr', K, 'Read of LDTR', 'LDTR_READ'],
    [0x69, 'read_rt', K, 'Read of TR', 'TR_READ'],
    [0x6a, 'write_idtr', K, 'Write of IDTR', 'IDTR_WRITE'],
    [0x6b, 'write_gdtr', K, 'Write of GDTR', 'GDTR_WRITE'],
    [0x6c, 'write_ldtr', K, 'Write of LDTR', 'LDTR_WRITE'],
    [0x6d, 'write_rt', K, 'Write of TR', 'TR_WRITE'],
    [0x6e, 'rdtsc', K, 'RDTSC', 'RDTSC'],
    [0x6f, 'rdpmc', K, 'RDPMC', 'RDPMC'],
    [0x70, 'pushf', K, 'PUSHF', 'PUSHF'],
    [0x71, 'popf', K, 'POPF', 'POPF'],
    [0x72, 'cpuid', K, 'CPUID', 'CPUID'],
    [0x73, 'rsm', K, 'RSM', 'RSM'],
    [0x74, 'iret', K, 'IRET', 'IRET'],
    [0x75, 'swint', K, 'Software interrupt (INTn)', 'SWINT'],
    [0x76, 'invd', K, 'INVD', 'INVD'],
    [0x77, 'pause', K, 'PAUSE', 'PAUSE'],
    [0x78, 'hlt', K, 'HLT', 'HLT'],
    [0x79, 'invlpg', K, 'INVLPG', 'INVLPG'],
    [0x7a, 'invlpga', K, 'INVLPGA', 'INVLPGA'],
    [0x7b, 'io', K, 'IN or OUT accessing protected port (IOIO)', 'IOIO'],
    [0x7c, 'msr', K, 'RDMSR or WRMSR access to protected MSR', 'MSR'],
    [0x7d, 'task_switch', K, 'Task switch', 'TASK_SWITCH'],
    [0x7e, 'ferr_freeze', K, 'FP exception pending with CPU frozen in FERR freeze', 'FERR_FREEZE'],
    [0x7f, 'shutdown', K, 'Shutdown', 'SHUTDOWN'],
    [0x80, 'vmrun', K, 'VMRUN', 'VMRUN'],
    [0x81, 'hypercall', K, 'VMMCALL', 'VMMCALL'],
    [0x82, 'vmload', K, 'VMLOAD', 'VMLOAD'],
    [0x83, 'vmsave', K, 'VMSAVE', 'VMSAVE'],
    [0x84, 'stgi', K, 'STGI', 'STGI'],
    [0x85, 'clgi', K, 'CLGI', 'CLGI'],
    [0x86, 'skinit', K, 'SKINIT', 'SKINIT'],
    [0x87, 'rdtscp', K, 'RDTSCP', 'RDTSCP'],
    [0x88, 'icebp', K, 'ICEBP (INT1)', 'ICEBP'],
    [0x89, 'wbinvd', K, 'WBINVD or WBNOINVD', 'WBINVD'],
    [0x8a, 'monitor', K, 'MONITOR or MONITORX', 'MONITOR'],
    [0x8b, 'mwait', K, 'MWAIT or MWAITX, unconditionally', 'MWAIT'],
    [0x8c, 'mwait_cond', H, 'MWAIT or MWAITX, if monitor hardware is armed', 'MWAIT_COND'],
    [0x8d, 'xsetbv', K, 'XSETBV', 'XSETBV'],
    [0x8e, 'rdpru', H, 'RDPRU', 'RDPRU'],
    [0x8f, 'write_efer_trap', K, 'Write of EFER (trap, after the write)', 'EFER_WRITE_TRAP'],
  ];
  const out = t.map(([c, n, k, d, def]) => row('svm', c, n, k, d, plugin(def)));
  for (let n = 0; n < 16; n++) {
    const k = n === 0 || n === 4 || n === 8;
    out.push(
      row('svm', 0x90 + n, `write_cr${n}_trap`, k, `Write of CR${n} (trap, after the write)`, [
        `EXIT_CR${n}_WRITE_TRAP`,
      ]),
    );
  }
  const tail: [number, string, boolean, string, string][] = [
    [0xa0, 'invlpgb', H, 'INVLPGB', 'INVLPGB'],
    [0xa1, 'invlpgb_illegal', H, 'INVLPGB with illegal operand', 'INVLPGB_ILLEGAL'],
    [0xa2, 'invpcid', K, 'INVPCID', 'INVPCID'],
    [0xa3, 'mcommit', H, 'MCOMMIT', 'MCOMMIT'],
    [0xa4, 'tlbsync', H, 'TLBSYNC', 'TLBSYNC'],
    [0xa5, 'buslock', K, 'Bus lock while the bus-lock threshold counter is 0', 'BUS_LOCK'],
    [0xa6, 'idle-halt', K, 'HLT with no pending virtual interrupt (idle HLT)', 'IDLE_HLT'],
    [0x400, 'npf', K, 'Nested page fault', 'NPF'],
    [0x401, 'avic_incomplete_ipi', K, 'AVIC: IPI delivery not completed', 'AVIC_INCOMPLETE_IPI'],
    [0x402, 'avic_unaccelerated_access', K, 'AVIC: access to an unaccelerated APIC register', 'AVIC_UNACCELERATED_ACCESS'],
    [0x403, 'vmgexit', K, 'VMGEXIT (SEV-ES guest request through the GHCB)', 'VMGEXIT'],
    [0x407, 'pml_full', K, 'Page-modification log full', 'PML_FULL'],
    [0x80000001, 'vmgexit_mmio_read', K, 'GHCB: MMIO read', 'VMGEXIT_MMIO_READ'],
    [0x80000002, 'vmgexit_mmio_write', K, 'GHCB: MMIO write', 'VMGEXIT_MMIO_WRITE'],
    [0x80000003, 'vmgexit_nmi_complete', K, 'GHCB: NMI complete', 'VMGEXIT_NMI_COMPLETE'],
    [0x80000004, 'vmgexit_ap_hlt_loop', K, 'GHCB: AP HLT loop', 'VMGEXIT_AP_HLT_LOOP'],
    [0x80000005, 'vmgexit_ap_jump_table', K, 'GHCB: AP jump table', 'VMGEXIT_AP_JUMP_TABLE'],
    [0x80000010, 'vmgexit_page_state_change', K, 'GHCB: SNP page state change', 'VMGEXIT_PSC'],
    [0x80000011, 'vmgexit_guest_request', K, 'GHCB: SNP guest request', 'VMGEXIT_GUEST_REQUEST'],
    [0x80000012, 'vmgexit_ext_guest_request', K, 'GHCB: SNP extended guest request', 'VMGEXIT_EXT_GUEST_REQUEST'],
    [0x80000013, 'vmgexit_ap_creation', K, 'GHCB: SNP AP creation', 'VMGEXIT_AP_CREATION'],
    [0x8000fffd, 'vmgexit_hypervisor_feature', K, 'GHCB: hypervisor feature support', 'VMGEXIT_HV_FEATURES'],
    [0xfffffffe, 'busy', H, 'VMEXIT_BUSY (-2): the VMSA is in use', 'BUSY'],
    [0xffffffff, 'invalid_guest_state', K, 'VMEXIT_INVALID (-1): invalid guest state in the VMCB', 'ERR'],
  ]; // prettier-ignore
  for (const [c, n, k, d, def] of tail) out.push(row('svm', c, n, k, d, plugin(def)));
  return out;
}

/** Every SVM exit code, in code order. */
export const SVM_EXIT_REASONS: readonly ExitReasonInfo[] = [...ranges(), ...named()].sort(
  (a, b) => a.code - b.code,
);
