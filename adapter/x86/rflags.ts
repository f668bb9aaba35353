/**
 * RFLAGS (gdb: `eflags`) layout.
 * Intel SDM Vol. 1 §3.4.3 "EFLAGS Register"; Vol. 3A §2.3 "System Flags and Fields in the EFLAGS Register";
 * AMD APM Vol. 2 §3.1.6 "RFLAGS Register".
 */
import { defineLayout, type BitField, type Layout } from './bitfields';

function flag(name: string, lsb: number, description: string): BitField {
  return { name, lsb, width: 1, description };
}

/** RFLAGS: status, control and system flags (64 bits, bits 63:22 reserved). */
export const rflagsLayout: Layout = defineLayout(
  'RFLAGS',
  64,
  'Intel SDM Vol. 1 §3.4.3; Vol. 3A §2.3; AMD APM Vol. 2 §3.1.6',
  [
    flag('CF', 0, 'Carry Flag'),
    { name: '1', lsb: 1, width: 1, description: 'Reserved, always 1', reserved: true },
    flag('PF', 2, 'Parity Flag'),
    flag('AF', 4, 'Auxiliary Carry Flag'),
    flag('ZF', 6, 'Zero Flag'),
    flag('SF', 7, 'Sign Flag'),
    flag('TF', 8, 'Trap Flag: single-step'),
    flag('IF', 9, 'Interrupt Enable Flag: maskable hardware interrupts enabled'),
    flag('DF', 10, 'Direction Flag: string instructions decrement'),
    flag('OF', 11, 'Overflow Flag'),
    {
      name: 'IOPL',
      lsb: 12,
      width: 2,
      description: 'I/O Privilege Level: the CPL at or below which I/O instructions are allowed',
      values: { 0: 'ring 0', 1: 'ring 1', 2: 'ring 2', 3: 'ring 3' },
    },
    flag('NT', 14, 'Nested Task'),
    flag('RF', 16, 'Resume Flag: suppress instruction breakpoints for one instruction'),
    flag('VM', 17, 'Virtual-8086 Mode'),
    flag('AC', 18, 'Alignment Check / Access Control (SMAP: supervisor access to user pages allowed)'),
    flag('VIF', 19, 'Virtual Interrupt Flag'),
    flag('VIP', 20, 'Virtual Interrupt Pending'),
    flag('ID', 21, 'Identification: CPUID supported if software can toggle it'),
  ],
);
