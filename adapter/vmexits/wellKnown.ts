/**
 * Names shown beside raw numbers in hovers: exception vectors (Intel SDM Vol. 3A §6.15, Table 6-1;
 * #VC, #HV, #SX from AMD APM Vol. 2 §8.2), the legacy PC I/O ports a guest touches most, and the MSRs
 * that dominate KVM traces (SDM Vol. 4; KVM's paravirtual MSRs from Linux
 * `arch/x86/include/uapi/asm/kvm_para.h`). Deliberately short: a name where it helps, else the number.
 */

const VECTORS: Readonly<Record<number, string>> = {
  0: '#DE divide error', 1: '#DB debug', 2: 'NMI', 3: '#BP breakpoint', 4: '#OF overflow',
  5: '#BR bound range', 6: '#UD invalid opcode', 7: '#NM device not available', 8: '#DF double fault',
  10: '#TS invalid TSS', 11: '#NP segment not present', 12: '#SS stack fault', 13: '#GP general protection',
  14: '#PF page fault', 16: '#MF x87 error', 17: '#AC alignment check', 18: '#MC machine check',
  19: '#XM SIMD exception', 20: '#VE virtualization exception', 21: '#CP control protection',
  28: '#HV hypervisor injection', 29: '#VC VMM communication', 30: '#SX security exception',
}; // prettier-ignore

/** `14 (#PF page fault)`, or the number alone above 31 (an interrupt vector, shown in hex). */
export function vectorName(vector: number): string {
  const name = VECTORS[vector];
  if (name !== undefined) return `${vector} (${name})`;
  return vector >= 32 ? `0x${vector.toString(16)}` : `${vector}`;
}

const PORTS: Readonly<Record<number, string>> = {
  0x20: 'PIC master command', 0x21: 'PIC master data', 0x40: 'PIT channel 0', 0x43: 'PIT mode',
  0x60: 'i8042 data', 0x64: 'i8042 status/command', 0x70: 'CMOS/RTC index', 0x71: 'CMOS/RTC data',
  0x80: 'POST diagnostic', 0xa0: 'PIC slave command', 0xa1: 'PIC slave data',
  0x1f0: 'ATA primary data', 0x1f7: 'ATA primary status/command', 0x2f8: 'COM2 data', 0x3f8: 'COM1 data',
  0x3f9: 'COM1 interrupt enable', 0x3fd: 'COM1 line status', 0x510: 'QEMU fw_cfg selector',
  0x511: 'QEMU fw_cfg data', 0x604: 'ACPI PM1a control (QEMU q35)', 0xb008: 'ACPI PM timer (QEMU PIIX4)',
  0xcf8: 'PCI config address', 0xcfc: 'PCI config data',
}; // prettier-ignore

export function portName(port: number): string | undefined {
  return PORTS[port];
}

const MSRS: Readonly<Record<number, string>> = {
  0x10: 'IA32_TIME_STAMP_COUNTER', 0x1b: 'IA32_APIC_BASE', 0x3a: 'IA32_FEATURE_CONTROL',
  0x48: 'IA32_SPEC_CTRL', 0x49: 'IA32_PRED_CMD', 0x174: 'IA32_SYSENTER_CS', 0x175: 'IA32_SYSENTER_ESP',
  0x176: 'IA32_SYSENTER_EIP', 0x277: 'IA32_PAT', 0x6e0: 'IA32_TSC_DEADLINE', 0x830: 'x2APIC ICR',
  0x80b: 'x2APIC EOI', 0x838: 'x2APIC timer initial count', 0xc0000080: 'IA32_EFER', 0xc0000081: 'STAR',
  0xc0000082: 'LSTAR', 0xc0000083: 'CSTAR', 0xc0000084: 'SFMASK', 0xc0000100: 'FS.base',
  0xc0000101: 'GS.base', 0xc0000102: 'KernelGSbase', 0xc0000103: 'TSC_AUX',
  0x4b564d00: 'MSR_KVM_WALL_CLOCK_NEW', 0x4b564d01: 'MSR_KVM_SYSTEM_TIME_NEW',
  0x4b564d02: 'MSR_KVM_ASYNC_PF_EN', 0x4b564d03: 'MSR_KVM_STEAL_TIME', 0x4b564d04: 'MSR_KVM_PV_EOI_EN',
  0x4b564d05: 'MSR_KVM_POLL_CONTROL', 0x4b564d06: 'MSR_KVM_ASYNC_PF_INT', 0x4b564d07: 'MSR_KVM_ASYNC_PF_ACK',
}; // prettier-ignore

export function msrName(msr: number): string | undefined {
  return MSRS[msr];
}

/** `0x3f8`. */
export function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}
