/**
 * Second-level paging faults: VMX EPT-violation exit qualification (Intel SDM Vol. 3C §28.2.1,
 * Table 28-7, "Exit Qualification for EPT Violations") and SVM nested-page-fault EXITINFO1
 * (AMD APM Vol. 2 §15.25.6, "Nested versus Guest Page Faults, Fault Ordering"; bits 32 and 33 as
 * there; bits 31 and 34-37 as Linux `arch/x86/include/asm/kvm_host.h` PFERR_* for SEV-SNP).
 */

export interface EptViolation {
  readonly kind: 'ept-violation';
  /** The access that faulted. */
  readonly access: { readonly read: boolean; readonly write: boolean; readonly fetch: boolean };
  /** What the EPT entries allowed (AND of the paging-structure entries' bits). */
  readonly allowed: {
    readonly read: boolean;
    readonly write: boolean;
    /** Supervisor-mode execute when mode-based execute control is on, else execute. */
    readonly execute: boolean;
    /** User-mode execute (mode-based execute control only). */
    readonly userExecute: boolean;
  };
  /** Bit 7: the guest linear-address field is valid. */
  readonly linearAddressValid: boolean;
  /** Bit 8 (with bit 7): the access was to the translated address, not to a guest paging entry. */
  readonly translatedAccess: boolean;
  /** Bits 9-11 (advanced EPT-violation info): user-mode, writable, execute-disable linear address. */
  readonly userLinear: boolean;
  readonly writableLinear: boolean;
  readonly nxLinear: boolean;
  /** Bit 12: NMI unblocking due to IRET. */
  readonly nmiUnblocking: boolean;
  /** Bit 13: shadow-stack access. */
  readonly shadowStack: boolean;
  /** Bit 14: supervisor shadow-stack (SSS) control of the EPT entry. */
  readonly supervisorShadowStack: boolean;
  /** Bit 15: caused by guest-paging verification. */
  readonly pagingVerification: boolean;
  /** Bit 16: asynchronous to instruction execution (e.g. a processor-trace output). */
  readonly asynchronous: boolean;
}

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;

/** Decodes an EPT-violation exit qualification. */
export function decodeEptViolation(qualification: bigint): EptViolation {
  const q = qualification;
  return {
    kind: 'ept-violation',
    access: { read: bit(q, 0), write: bit(q, 1), fetch: bit(q, 2) },
    allowed: { read: bit(q, 3), write: bit(q, 4), execute: bit(q, 5), userExecute: bit(q, 6) },
    linearAddressValid: bit(q, 7),
    translatedAccess: bit(q, 7) && bit(q, 8),
    userLinear: bit(q, 9),
    writableLinear: bit(q, 10),
    nxLinear: bit(q, 11),
    nmiUnblocking: bit(q, 12),
    shadowStack: bit(q, 13),
    supervisorShadowStack: bit(q, 14),
    pagingVerification: bit(q, 15),
    asynchronous: bit(q, 16),
  };
}

export interface NestedPageFault {
  readonly kind: 'npf';
  /** Bit 0: the nested page was present (so this is a protection fault). */
  readonly present: boolean;
  /** Bit 1: write access. */
  readonly write: boolean;
  /** Bit 2: user-mode access. */
  readonly user: boolean;
  /** Bit 3: reserved bit set in a nested page-table entry. */
  readonly reservedBit: boolean;
  /** Bit 4: instruction fetch. */
  readonly fetch: boolean;
  /** Bit 5: protection-key violation. */
  readonly protectionKey: boolean;
  /** Bit 6: shadow-stack access. */
  readonly shadowStack: boolean;
  /** Bit 31: RMP check failed (SEV-SNP). */
  readonly rmp: boolean;
  /** Bit 32: fault on the final guest-physical address. */
  readonly finalTranslation: boolean;
  /** Bit 33: fault while walking the guest's page tables. */
  readonly guestPageTables: boolean;
  /** Bits 34-37 (SEV-SNP): encrypted access, page-size mismatch, VMPL violation, supervisor shadow stack. */
  readonly encrypted: boolean;
  readonly sizeMismatch: boolean;
  readonly vmpl: boolean;
  readonly supervisorShadowStack: boolean;
  /** The faulting guest-physical address (EXITINFO2), when given. */
  readonly gpa: bigint | null;
}

/** Decodes SVM NPF EXITINFO1 (and EXITINFO2, the faulting guest-physical address). */
export function decodeNestedPageFault(exitInfo1: bigint, exitInfo2: bigint | null = null): NestedPageFault {
  const e = exitInfo1;
  return {
    kind: 'npf',
    present: bit(e, 0),
    write: bit(e, 1),
    user: bit(e, 2),
    reservedBit: bit(e, 3),
    fetch: bit(e, 4),
    protectionKey: bit(e, 5),
    shadowStack: bit(e, 6),
    rmp: bit(e, 31),
    finalTranslation: bit(e, 32),
    guestPageTables: bit(e, 33),
    encrypted: bit(e, 34),
    sizeMismatch: bit(e, 35),
    vmpl: bit(e, 36),
    supervisorShadowStack: bit(e, 37),
    gpa: exitInfo2,
  };
}
