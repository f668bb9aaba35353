/**
 * Control register layouts (CR0, CR3, CR4, CR8, EFER) and the gdb-register-name → layout registry.
 * Intel SDM Vol. 3A §2.5 "Control Registers", §2.2.1 "Extended Feature Enable Register";
 * AMD APM Vol. 2 §3.1 "System-Control Registers".
 */
import { defineLayout, type BitField, type Layout } from './bitfields';
import { dr6Layout, dr7Layout } from './debugRegisters';
import { rflagsLayout } from './rflags';
import { segmentRegisterNames, segmentSelectorLayout } from './segmentSelector';

function flag(name: string, lsb: number, description: string): BitField {
  return { name, lsb, width: 1, description };
}

/** CR0 (Intel SDM Vol. 3A §2.5, Figure 2-7; AMD APM Vol. 2 §3.1.1). */
export const cr0Layout: Layout = defineLayout('CR0', 64, 'Intel SDM Vol. 3A §2.5; AMD APM Vol. 2 §3.1.1', [
  flag('PE', 0, 'Protection Enable: protected mode'),
  flag('MP', 1, 'Monitor Coprocessor: WAIT/FWAIT honour TS'),
  flag('EM', 2, 'Emulation: no x87 FPU, x87/MMX/SSE instructions raise #NM/#UD'),
  flag('TS', 3, 'Task Switched: next x87/SSE instruction raises #NM (lazy FPU state)'),
  flag('ET', 4, 'Extension Type: reserved, reads as 1'),
  flag('NE', 5, 'Numeric Error: native x87 error reporting (#MF)'),
  flag('WP', 16, 'Write Protect: supervisor writes honour read-only pages'),
  flag('AM', 18, 'Alignment Mask: enables RFLAGS.AC alignment checking'),
  flag('NW', 29, 'Not Write-through'),
  flag('CD', 30, 'Cache Disable'),
  flag('PG', 31, 'Paging'),
]);

/** CR4 (Intel SDM Vol. 3A §2.5, Figure 2-7; AMD APM Vol. 2 §3.1.3; FRED: Intel FRED specification). */
export const cr4Layout: Layout = defineLayout('CR4', 64, 'Intel SDM Vol. 3A §2.5; AMD APM Vol. 2 §3.1.3', [
  flag('VME', 0, 'Virtual-8086 Mode Extensions'),
  flag('PVI', 1, 'Protected-Mode Virtual Interrupts'),
  flag('TSD', 2, 'Time Stamp Disable: RDTSC/RDTSCP privileged'),
  flag('DE', 3, 'Debugging Extensions: DR4/DR5 references fault, I/O breakpoints'),
  flag('PSE', 4, 'Page Size Extensions: 4-MByte pages with 32-bit paging'),
  flag('PAE', 5, 'Physical Address Extension: PAE, 4-level or 5-level paging'),
  flag('MCE', 6, 'Machine-Check Enable'),
  flag('PGE', 7, 'Page Global Enable: global pages (G bit)'),
  flag('PCE', 8, 'Performance-Monitoring Counter Enable: RDPMC at any CPL'),
  flag('OSFXSR', 9, 'OS support for FXSAVE and FXRSTOR'),
  flag('OSXMMEXCPT', 10, 'OS support for unmasked SIMD floating-point exceptions (#XM)'),
  flag('UMIP', 11, 'User-Mode Instruction Prevention: SGDT/SIDT/SLDT/SMSW/STR #GP at CPL > 0'),
  flag('LA57', 12, '57-bit linear addresses: 5-level paging'),
  flag('VMXE', 13, 'VMX-Enable'),
  flag('SMXE', 14, 'SMX-Enable'),
  flag('FSGSBASE', 16, 'Enables RDFSBASE, RDGSBASE, WRFSBASE, WRGSBASE'),
  flag('PCIDE', 17, 'PCID-Enable: CR3 bits 11:0 are the process-context identifier'),
  flag('OSXSAVE', 18, 'XSAVE and Processor Extended States Enable'),
  flag('KL', 19, 'Key-Locker-Enable'),
  flag('SMEP', 20, 'Supervisor-Mode Execution Prevention'),
  flag('SMAP', 21, 'Supervisor-Mode Access Prevention'),
  flag('PKE', 22, 'Protection keys for user-mode pages'),
  flag('CET', 23, 'Control-flow Enforcement Technology'),
  flag('PKS', 24, 'Protection keys for supervisor-mode pages'),
  flag('UINTR', 25, 'User Interrupts Enable'),
  flag('LASS', 27, 'Linear-Address-Space Separation'),
  flag('LAM_SUP', 28, 'Linear-address masking for supervisor pointers'),
  flag('FRED', 32, 'Flexible Return and Event Delivery'),
]);

/** CR8 (Intel SDM Vol. 3A §2.5; AMD APM Vol. 2 §3.1.5). */
export const cr8Layout: Layout = defineLayout('CR8', 64, 'Intel SDM Vol. 3A §2.5; AMD APM Vol. 2 §3.1.5', [
  {
    name: 'TPR',
    lsb: 0,
    width: 4,
    description: 'Task Priority Level: interrupts of priority <= TPR blocked',
  },
]);

/** EFER, MSR C000_0080h (AMD APM Vol. 2 §3.1.7; Intel SDM Vol. 3A §2.2.1, IA32_EFER). */
export const eferLayout: Layout = defineLayout(
  'EFER',
  64,
  'AMD APM Vol. 2 §3.1.7; Intel SDM Vol. 3A §2.2.1',
  [
    flag('SCE', 0, 'System Call Extensions: SYSCALL/SYSRET'),
    flag('LME', 8, 'Long Mode Enable'),
    flag('LMA', 10, 'Long Mode Active (read-only: LME=1 and CR0.PG=1)'),
    flag('NXE', 11, 'No-Execute Enable: XD/NX bit 63 of paging entries'),
    flag('SVME', 12, 'Secure Virtual Machine Enable (AMD SVM)'),
    flag('LMSLE', 13, 'Long Mode Segment Limit Enable (AMD)'),
    flag('FFXSR', 14, 'Fast FXSAVE/FXRSTOR (AMD)'),
    flag('TCE', 15, 'Translation Cache Extension (AMD)'),
    flag('MCOMMIT', 17, 'Enable MCOMMIT instruction (AMD)'),
    flag('INTWB', 18, 'Interruptible WBINVD/WBNOINVD enable (AMD)'),
    flag('UAIE', 20, 'Upper Address Ignore Enable (AMD)'),
    flag('AIBRSE', 21, 'Automatic IBRS Enable (AMD)'),
  ],
);

const cr3Common: BitField[] = [
  {
    name: 'base',
    lsb: 12,
    width: 40,
    format: 'address',
    description:
      'Physical address of the top paging structure (PML4 or PML5 table; 4-KByte aligned, bits 51:12, ' +
      'bits at or above MAXPHYADDR must be 0)',
  },
  flag('LAM_U57', 61, 'LAM for user pointers, 57-bit width (masks bits 62:57)'),
  flag('LAM_U48', 62, 'LAM for user pointers, 48-bit width (masks bits 62:48; ignored if LAM_U57=1)'),
];

const cr3Source = 'Intel SDM Vol. 3A §4.5 Tables 4-12/4-13, §4.10.4.1; Intel ISE "Linear Address Masking"';

const cr3NoPcid: Layout = defineLayout('CR3', 64, cr3Source, [
  flag('PWT', 3, 'Page-level Write-Through for the top paging structure'),
  flag('PCD', 4, 'Page-level Cache Disable for the top paging structure'),
  ...cr3Common,
]);

const cr3Pcid: Layout = defineLayout('CR3', 64, cr3Source, [
  { name: 'PCID', lsb: 0, width: 12, description: 'Process-Context Identifier (CR4.PCIDE=1)' },
  ...cr3Common,
  flag(
    'NOFLUSH',
    63,
    'Write-only: MOV to CR3 with bit 63=1 keeps the TLB entries of the new PCID (§4.10.4.1); never stored, reads as 0',
  ),
]);

/**
 * CR3 layout for 4-level/5-level paging, which depends on CR4.PCIDE (Intel SDM Vol. 3A §4.5,
 * Table 4-12 for PCIDE=0: PWT, PCD, base; Table 4-13 for PCIDE=1: PCID, base). Both include the LAM
 * bits 61/62; the PCIDE=1 layout includes the write-only bit 63.
 */
export function cr3Layout(pcide: boolean): Layout {
  return pcide ? cr3Pcid : cr3NoPcid;
}

/** Layouts by register. */
export const controlRegisterLayouts = {
  cr0: cr0Layout,
  cr3: cr3Layout,
  cr4: cr4Layout,
  cr8: cr8Layout,
  efer: eferLayout,
  rflags: rflagsLayout,
  dr6: dr6Layout,
  dr7: dr7Layout,
  segmentSelector: segmentSelectorLayout,
} as const;

/** CR4.PCIDE, bit 17. */
const CR4_PCIDE = 1n << 17n;

/**
 * Maps a gdb register name (case-insensitive: `cr0`, `cr3`, `cr4`, `cr8`, `efer`, `eflags`/`rflags`,
 * `dr6`, `dr7`, `cs`/`ds`/`es`/`fs`/`gs`/`ss`/`ldtr`/`tr`) to its layout; `undefined` for other registers.
 * For `cr3`, `context.cr4` selects the PCIDE layout (PCIDE=0 when unknown).
 */
export function layoutForRegister(name: string, context: { cr4?: bigint } = {}): Layout | undefined {
  const n = name.toLowerCase();
  switch (n) {
    case 'cr0':
      return cr0Layout;
    case 'cr3':
      return cr3Layout(((context.cr4 ?? 0n) & CR4_PCIDE) !== 0n);
    case 'cr4':
      return cr4Layout;
    case 'cr8':
      return cr8Layout;
    case 'efer':
      return eferLayout;
    case 'eflags':
    case 'rflags':
      return rflagsLayout;
    case 'dr6':
      return dr6Layout;
    case 'dr7':
      return dr7Layout;
    default:
      return segmentRegisterNames.includes(n) ? segmentSelectorLayout : undefined;
  }
}
