/**
 * Canonical linear addresses (Intel SDM Vol. 3A §3.3.7.1 "Canonical Addressing", §4.5; AMD APM Vol. 2
 * §5.3.1). With 4-level paging bits 63:47 must all equal bit 47 (48-bit linear addresses); with 5-level
 * paging (CR4.LA57=1) bits 63:56 must all equal bit 56 (57-bit linear addresses).
 */

/** Width in bits of the linear address space: 48 (4-level) or 57 (5-level). */
export type LinearAddressWidth = 48 | 57;

const U64 = (1n << 64n) - 1n;

/** Sign-extends the low `width` bits of `address` to a 64-bit (unsigned) canonical address. */
export function canonicalize(address: bigint, width: LinearAddressWidth): bigint {
  return BigInt.asUintN(64, BigInt.asIntN(width, address));
}

/** True when `address` (unsigned 64-bit) is canonical for the given linear-address width. */
export function isCanonical(address: bigint, width: LinearAddressWidth): boolean {
  return address >= 0n && address <= U64 && canonicalize(address, width) === address;
}

/** The highest address of the lower canonical half, e.g. 0x00007fffffffffff for 48 bits. */
export function lowerHalfEnd(width: LinearAddressWidth): bigint {
  return (1n << BigInt(width - 1)) - 1n;
}

/** The lowest address of the upper canonical half, e.g. 0xffff800000000000 for 48 bits. */
export function upperHalfStart(width: LinearAddressWidth): bigint {
  return canonicalize(1n << BigInt(width - 1), width);
}

/** Formats a 64-bit address as 16 hex digits, QEMU `info mem` style (`0000000000400000`). */
export function hex16(address: bigint): string {
  return BigInt.asUintN(64, address).toString(16).padStart(16, '0');
}
