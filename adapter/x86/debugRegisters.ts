/**
 * Debug status and control register layouts (DR6, DR7).
 * Intel SDM Vol. 3B "Debug Registers" (§19.2 in the 2024 edition: §19.2.3 DR6, §19.2.4 DR7);
 * AMD APM Vol. 2 §13.1.1 "Debug Registers".
 */
import { defineLayout, type BitField, type Layout } from './bitfields';

const SOURCE = 'Intel SDM Vol. 3B §19.2.3-19.2.4; AMD APM Vol. 2 §13.1.1';

/** DR7 R/Wn encodings: the access that triggers breakpoint n. */
export const dr7AccessTypes: Readonly<Record<number, string>> = {
  0: 'instruction execution',
  1: 'data writes',
  2: 'I/O reads or writes (CR4.DE=1)',
  3: 'data reads or writes',
};

/** DR7 LENn encodings: the size of the breakpoint n location. */
export const dr7Lengths: Readonly<Record<number, string>> = {
  0: '1 byte',
  1: '2 bytes',
  2: '8 bytes',
  3: '4 bytes',
};

function breakpointFields(n: number): BitField[] {
  return [
    { name: `L${n}`, lsb: 2 * n, width: 1, description: `Local enable of breakpoint ${n}` },
    { name: `G${n}`, lsb: 2 * n + 1, width: 1, description: `Global enable of breakpoint ${n}` },
    {
      name: `R/W${n}`,
      lsb: 16 + 4 * n,
      width: 2,
      description: `Breakpoint ${n} access type`,
      values: dr7AccessTypes,
    },
    { name: `LEN${n}`, lsb: 18 + 4 * n, width: 2, description: `Breakpoint ${n} length`, values: dr7Lengths },
  ];
}

/** DR7: breakpoint enables L0-3/G0-3, LE, GE, RTM, GD and per-breakpoint R/W and LEN fields. */
export const dr7Layout: Layout = defineLayout('DR7', 64, SOURCE, [
  ...[0, 1, 2, 3].flatMap(breakpointFields),
  { name: 'LE', lsb: 8, width: 1, description: 'Local exact breakpoint enable' },
  { name: 'GE', lsb: 9, width: 1, description: 'Global exact breakpoint enable' },
  { name: '10', lsb: 10, width: 1, description: 'Reserved, reads as 1', reserved: true },
  { name: 'RTM', lsb: 11, width: 1, description: 'Restricted transactional memory debugging (Intel)' },
  {
    name: 'GD',
    lsb: 13,
    width: 1,
    description: 'General Detect Enable: #DB on MOV to/from a debug register',
  },
]);

/** DR6: debug exception status. */
export const dr6Layout: Layout = defineLayout('DR6', 64, SOURCE, [
  { name: 'B0', lsb: 0, width: 1, description: 'Breakpoint 0 condition detected' },
  { name: 'B1', lsb: 1, width: 1, description: 'Breakpoint 1 condition detected' },
  { name: 'B2', lsb: 2, width: 1, description: 'Breakpoint 2 condition detected' },
  { name: 'B3', lsb: 3, width: 1, description: 'Breakpoint 3 condition detected' },
  {
    name: 'BLD',
    lsb: 11,
    width: 1,
    description: 'Bus-lock detected (active low: cleared by a bus-lock #DB)',
  },
  { name: 'BD', lsb: 13, width: 1, description: 'Debug register access detected (DR7.GD)' },
  { name: 'BS', lsb: 14, width: 1, description: 'Single step (RFLAGS.TF)' },
  { name: 'BT', lsb: 15, width: 1, description: 'Task switch (TSS T flag)' },
  { name: 'RTM', lsb: 16, width: 1, description: 'RTM region debug exception (active low)' },
]);
