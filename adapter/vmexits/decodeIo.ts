/**
 * I/O instruction exits: VMX exit qualification (Intel SDM Vol. 3C §28.2.1, Table 28-5, "Exit
 * Qualification for I/O Instructions") and SVM IOIO EXITINFO1 (AMD APM Vol. 2 §15.10.2, Figure
 * 15-2, "EXITINFO1 for IOIO Intercept"; EXITINFO2 holds the next RIP).
 */

export interface IoAccess {
  readonly kind: 'io';
  readonly port: number;
  /** Bytes per access: 1, 2 or 4 (0 when the encoding is reserved). */
  readonly size: number;
  readonly direction: 'in' | 'out';
  /** INS/OUTS. */
  readonly string: boolean;
  /** REP prefix. */
  readonly rep: boolean;
  /** VMX: port from an immediate operand (else DX); null for SVM. */
  readonly immediate: boolean | null;
  /** SVM: address size of a string access in bits (16, 32, 64), else null. */
  readonly addressSize: number | null;
  /** SVM: RIP of the next instruction (EXITINFO2), else null. */
  readonly nextRip: bigint | null;
}

/**
 * Decodes a VMX I/O-instruction exit qualification.
 * Bits: 2:0 size-1 (0, 1, 3), 3 direction (1 = IN), 4 string, 5 REP, 6 operand (1 = immediate),
 * 31:16 port.
 */
export function decodeVmxIo(qualification: bigint): IoAccess {
  const q = Number(qualification & 0xffffffffn);
  const s = q & 7;
  return {
    kind: 'io',
    port: (q >>> 16) & 0xffff,
    size: s === 0 ? 1 : s === 1 ? 2 : s === 3 ? 4 : 0,
    direction: (q & 8) !== 0 ? 'in' : 'out',
    string: (q & 0x10) !== 0,
    rep: (q & 0x20) !== 0,
    immediate: (q & 0x40) !== 0,
    addressSize: null,
    nextRip: null,
  };
}

/**
 * Decodes SVM IOIO EXITINFO1 (and EXITINFO2, the next RIP, when given).
 * Bits: 0 TYPE (1 = IN), 2 STR, 3 REP, 4 SZ8, 5 SZ16, 6 SZ32, 7 A16, 8 A32, 9 A64, 12:10 SEG,
 * 31:16 PORT.
 */
export function decodeSvmIo(exitInfo1: bigint, exitInfo2: bigint | null = null): IoAccess {
  const q = Number(exitInfo1 & 0xffffffffn);
  const size = (q & 0x10) !== 0 ? 1 : (q & 0x20) !== 0 ? 2 : (q & 0x40) !== 0 ? 4 : 0;
  const str = (q & 4) !== 0;
  const addr = (q & 0x80) !== 0 ? 16 : (q & 0x100) !== 0 ? 32 : (q & 0x200) !== 0 ? 64 : null;
  return {
    kind: 'io',
    port: (q >>> 16) & 0xffff,
    size,
    direction: (q & 1) !== 0 ? 'in' : 'out',
    string: str,
    rep: (q & 8) !== 0,
    immediate: null,
    addressSize: str ? addr : null,
    nextRip: exitInfo2,
  };
}
