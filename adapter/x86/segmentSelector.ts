/**
 * Segment selector layout (gdb: `cs`, `ds`, `es`, `fs`, `gs`, `ss`; also `ldtr`/`tr` selectors).
 * Intel SDM Vol. 3A §3.4.2 "Segment Selectors"; AMD APM Vol. 2 §4.5.1 "Segment Selectors".
 */
import { defineLayout, type Layout } from './bitfields';

/** 16-bit segment selector: RPL (bits 1:0), TI (bit 2), Index (bits 15:3). */
export const segmentSelectorLayout: Layout = defineLayout(
  'Segment selector',
  16,
  'Intel SDM Vol. 3A §3.4.2; AMD APM Vol. 2 §4.5.1',
  [
    {
      name: 'RPL',
      lsb: 0,
      width: 2,
      description: 'Requested Privilege Level',
      values: { 0: 'ring 0', 1: 'ring 1', 2: 'ring 2', 3: 'ring 3' },
    },
    { name: 'TI', lsb: 2, width: 1, description: 'Table Indicator', values: { 0: 'GDT', 1: 'LDT' } },
    {
      name: 'Index',
      lsb: 3,
      width: 13,
      description: 'Index of the descriptor in the GDT or LDT (descriptor at table base + Index * 8)',
      format: 'dec',
    },
  ],
);

/** gdb register names holding a segment selector. */
export const segmentRegisterNames: readonly string[] = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'ldtr', 'tr'];
