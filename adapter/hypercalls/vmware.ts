/**
 * VMware's backdoor: `in eax, dx` on port 0x5658 (low bandwidth) or `rep insb`/`rep outsb` on port 0x5659
 * (high bandwidth) with the magic 0x564D5868 ("VMXh") in EAX. Newer VMware also accepts `vmcall`/`vmmcall`
 * with the same registers, EDX then holding flags (bit 0 high bandwidth, bit 1 write) instead of a port.
 *
 * Commands, ports, magic and flags: open-vm-tools `open-vm-tools/lib/include/backdoor_def.h` (the defined
 * `BDOOR_CMD_*`; those commented out there as unused are left out). The command is `ECX & 0xffff`
 * (`BDOOR_CMD(ecx)`). Register roles: low bandwidth EAX magic, EBX argument, ECX command, EDX port (high half:
 * channel); high bandwidth EAX magic, EBX command, ECX byte count, EDX port | channel << 16, ESI/EDI buffer,
 * EBP cookie: Linux `drivers/gpu/drm/vmwgfx/vmwgfx_msg_x86.h` (`VMW_PORT`, `VMW_PORT_HB_OUT`), the vmcall
 * form from Linux `arch/x86/include/asm/vmware.h`. Per-command results are given only for the few commands
 * Linux's `arch/x86/kernel/cpu/vmware.c` and the tools use (GETVERSION, GETHZ, GET_VCPU_INFO, STEALCLOCK,
 * GETMHZ, GETUUID, GETMEMSIZE); those were written from those sources as remembered, not re-read here. The
 * others say "command-specific".
 */
import type { HypercallAbiInfo, HypercallArg, HypercallEntry } from './types';

/** "VMXh" in EAX. */
export const VMWARE_BACKDOOR_MAGIC = 0x564d5868;
/** Low-bandwidth port (`in`/`out`). */
export const VMWARE_BACKDOOR_PORT = 0x5658;
/** High-bandwidth port (`rep insb`/`rep outsb`). */
export const VMWARE_BACKDOOR_HB_PORT = 0x5659;
/** EDX flag of the vmcall/vmmcall form: high bandwidth. */
export const VMWARE_BACKDOOR_FLAG_HB = 1;

export const VMWARE_ABI: HypercallAbiInfo = {
  abi: 'vmware-backdoor',
  title: 'VMware backdoor',
  instruction: 'in eax, dx / out dx, eax on 0x5658; rep insb / rep outsb on 0x5659; or vmcall/vmmcall',
  numberRegister: 'ecx',
  argumentRegisters: ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'],
  resultRegister: 'eax',
  namePrefixes: ['BDOOR_CMD_', 'BDOORHB_CMD_'],
  source: 'open-vm-tools lib/include/backdoor_def.h; Linux drivers/gpu/drm/vmwgfx/vmwgfx_msg_x86.h',
};

const SRC = 'open-vm-tools lib/include/backdoor_def.h';
const LINUX = 'Linux arch/x86/kernel/cpu/vmware.c';
const SPECIFIC = 'command-specific, in EAX (and EBX, ECX, EDX, ESI, EDI)';

const magic: HypercallArg = { name: 'magic', register: 'eax', description: 'BDOOR_MAGIC 0x564D5868' };
const command: HypercallArg = {
  name: 'command',
  register: 'ecx',
  description: 'bits 15:0 the command; bits 31:16 a sub-command where the command has one',
};
const port: HypercallArg = {
  name: 'port',
  register: 'edx',
  description: 'bits 15:0 the port 0x5658 (vmcall form: flags); bits 31:16 a channel where used',
};

function bdoor(
  number: number,
  cmd: string,
  description: string,
  opts: { arg?: string; extra?: readonly HypercallArg[]; returns?: string; source?: string } = {},
): HypercallEntry {
  const arg: HypercallArg = {
    name: 'arg',
    register: 'ebx',
    description: opts.arg ?? 'command-specific argument',
  };
  return {
    abi: 'vmware-backdoor',
    number,
    name: `BDOOR_CMD_${cmd}`,
    args: [magic, arg, command, port, ...(opts.extra ?? [])],
    returns: opts.returns ?? SPECIFIC,
    description,
    source: opts.source ?? SRC,
  };
}

const CPL0 = ' Kernel mode (CPL 0) only.';
const DEVEL = ' Development builds only.';

/** Low-bandwidth backdoor commands (`BDOOR_CMD_*`), in command order. */
export const VMWARE_BACKDOOR_COMMANDS: readonly HypercallEntry[] = [
  bdoor(1, 'GETMHZ', 'Processor speed.', { returns: 'EAX: CPU speed in MHz' }),
  bdoor(2, 'APMFUNCTION', 'APM function (old BIOS).' + CPL0),
  bdoor(3, 'GETDISKGEO', 'Disk geometry.'),
  bdoor(4, 'GETPTRLOCATION', 'Host pointer position.'),
  bdoor(5, 'SETPTRLOCATION', 'Set the host pointer position.'),
  bdoor(6, 'GETSELLENGTH', 'Length of the host clipboard selection.'),
  bdoor(7, 'GETNEXTPIECE', 'Next 4 bytes of the host selection.'),
  bdoor(8, 'SETSELLENGTH', 'Length of the guest selection to send.'),
  bdoor(9, 'SETNEXTPIECE', 'Next 4 bytes of the guest selection.'),
  bdoor(10, 'GETVERSION', 'Detect VMware: version and product type.', {
    arg: 'anything but the magic (Linux passes ~0)',
    returns: 'EAX: version (0xFFFFFFFF if none); EBX: BDOOR_MAGIC when running on VMware; ECX: product type',
    source: `${SRC}; ${LINUX} vmware_platform`,
  }),
  bdoor(11, 'GETDEVICELISTELEMENT', 'Removable-device list entry.'),
  bdoor(12, 'TOGGLEDEVICE', 'Connect or disconnect a device.'),
  bdoor(13, 'GETGUIOPTIONS', 'Read GUI options.'),
  bdoor(14, 'SETGUIOPTIONS', 'Write GUI options.'),
  bdoor(15, 'GETSCREENSIZE', 'Host screen size.'),
  bdoor(16, 'MONITOR_CONTROL', 'Monitor control (disabled by default).'),
  bdoor(17, 'GETHWVERSION', 'Virtual hardware version.'),
  bdoor(18, 'OSNOTFOUND', 'Report that no OS was found.' + CPL0),
  bdoor(19, 'GETUUID', 'BIOS UUID.', { returns: 'EAX, EBX, ECX, EDX: the 16-byte UUID' }),
  bdoor(20, 'GETMEMSIZE', 'Guest memory size.', { returns: 'EAX: memory size in MB' }),
  bdoor(23, 'GETTIME', 'Host time (deprecated, replaced by GETTIMEFULL).'),
  bdoor(24, 'STOPCATCHUP', 'Stop time catch-up.'),
  bdoor(25, 'PUTCHR', 'Write a character to the log (disabled by default).'),
  bdoor(26, 'ENABLE_MSG', 'Enable messages.' + DEVEL),
  bdoor(28, 'INITPCIOPROM', 'Initialise PCI option ROMs.' + CPL0),
  bdoor(30, 'MESSAGE', 'GuestRPC / RPCI message channel (open, send, receive, close).', {
    arg: 'size, data or protocol (RPCI 0x49435052) depending on the message type in ECX bits 31:16',
    returns: 'ECX high half: status; EDX high half: channel ID on open',
  }),
  bdoor(31, 'SIDT', 'Read the IDTR seen by the VMM.'),
  bdoor(32, 'SGDT', 'Read the GDTR seen by the VMM.'),
  bdoor(33, 'SLDT_STR', 'Read LDTR and TR.'),
  bdoor(34, 'ISACPIDISABLED', 'Whether ACPI is disabled.'),
  bdoor(36, 'ISMOUSEABSOLUTE', 'Whether the mouse is absolute.'),
  bdoor(37, 'PATCH_SMBIOS_STRUCTS', 'Patch SMBIOS structures.' + CPL0),
  bdoor(38, 'MAPMEM', 'Map memory.' + DEVEL),
  bdoor(39, 'ABSPOINTER_DATA', 'vmmouse: read pointer data.'),
  bdoor(40, 'ABSPOINTER_STATUS', 'vmmouse: queue status.'),
  bdoor(41, 'ABSPOINTER_COMMAND', 'vmmouse: command.'),
  bdoor(45, 'GETHZ', 'TSC and APIC bus frequencies.', {
    returns: 'EBX:EAX: TSC frequency in Hz (EBX 0xFFFFFFFF if unsupported); ECX: APIC bus frequency in Hz',
    source: `${SRC}; ${LINUX} vmware_get_tsc_khz`,
  }),
  bdoor(46, 'GETTIMEFULL', 'Host wall-clock time, full precision.'),
  bdoor(48, 'CHECKFORCEBIOSSETUP', 'Whether to enter BIOS setup.' + CPL0),
  bdoor(49, 'LAZYTIMEREMULATION', 'Lazy timer emulation.' + CPL0),
  bdoor(50, 'BIOSBBS', 'BIOS boot specification.' + CPL0),
  bdoor(52, 'ISGOSDARWIN', 'Whether the guest OS is Darwin.'),
  bdoor(53, 'DEBUGEVENT', 'Debug event.'),
  bdoor(54, 'OSNOTMACOSXSERVER', 'Report a non-server macOS.' + CPL0),
  bdoor(55, 'GETTIMEFULL_WITH_LAG', 'Host time with the lag.'),
  bdoor(56, 'ACPI_HOTPLUG_DEVICE', 'ACPI device hot-plug.' + DEVEL),
  bdoor(57, 'ACPI_HOTPLUG_MEMORY', 'ACPI memory hot-plug.' + DEVEL),
  bdoor(58, 'ACPI_HOTPLUG_CBRET', 'ACPI hot-plug callback return.' + DEVEL),
  bdoor(60, 'ACPI_HOTPLUG_CPU', 'ACPI CPU hot-plug.' + DEVEL),
  bdoor(62, 'XPMODE', 'XP mode.' + CPL0),
  bdoor(63, 'NESTING_CONTROL', 'Restrict, open or query the backdoor for nested guests.'),
  bdoor(64, 'FIRMWARE_INIT', 'Firmware initialisation.' + CPL0),
  bdoor(65, 'FIRMWARE_ACPI_SERVICES', 'Firmware ACPI services (sub-command in ECX high half).' + CPL0),
  bdoor(66, 'SENDPSHAREHINTS', 'Page-sharing hints (deprecated, not in use).'),
  bdoor(67, 'ENABLE_USB_MOUSE', 'Enable the USB mouse.'),
  bdoor(68, 'GET_VCPU_INFO', 'vCPU capabilities (e.g. legacy x2APIC, MMIO honours PAT).', {
    returns: 'EAX: BDOOR_CMD_VCPU_* bits (bit 31 reserved)',
    source: `${SRC}; ${LINUX} vmware_legacy_x2apic_available`,
  }),
  bdoor(69, 'EFI_SERIALCON_CONFIG', 'EFI serial console configuration.' + CPL0),
  bdoor(70, 'BUG328986', 'Workaround for VMware bug 328986.' + CPL0),
  bdoor(71, 'FIRMWARE_ERROR', 'Firmware error report.' + CPL0),
  bdoor(72, 'VMK_INFO', 'ESXi VMkernel information.'),
  bdoor(73, 'EFI_BOOT_CONFIG', 'EFI boot configuration.' + CPL0),
  bdoor(74, 'GET_HW_MODEL', 'Hardware model.' + CPL0),
  bdoor(75, 'GET_SVGA_CAPABILITIES', 'SVGA capabilities.' + CPL0),
  bdoor(76, 'GET_FORCE_X2APIC', 'Whether x2APIC is forced.' + CPL0),
  bdoor(77, 'SET_PCI_HOLE', 'Set the PCI hole.' + CPL0),
  bdoor(78, 'GET_PCI_HOLE', 'Read the PCI hole.' + CPL0),
  bdoor(79, 'GET_PCI_BAR', 'Read a PCI BAR.' + CPL0),
  bdoor(80, 'SHOULD_GENERATE_SYSTEMID', 'Whether to generate a system ID.' + CPL0),
  bdoor(81, 'READ_DEBUG_FILE', 'Read a debug file.' + DEVEL),
  bdoor(82, 'SCREENSHOT', 'Take a screenshot.' + DEVEL),
  bdoor(83, 'INJECT_KEY', 'Inject a key.' + DEVEL),
  bdoor(84, 'INJECT_MOUSE', 'Inject a mouse event.' + DEVEL),
  bdoor(85, 'MKS_GUEST_STATS', 'MKS guest statistics.' + CPL0),
  bdoor(86, 'ABSPOINTER_RESTRICT', 'vmmouse: restrict the pointer.'),
  bdoor(87, 'GUEST_INTEGRITY', 'Guest integrity (sub-command in ECX high half).'),
  bdoor(88, 'MKSTEST', 'MKS tests.' + DEVEL),
  bdoor(89, 'SECUREBOOT', 'Secure-boot status.'),
  bdoor(90, 'COPY_PHYSMEM', 'Copy physical memory.' + DEVEL),
  bdoor(91, 'STEALCLOCK', 'Enable or disable the steal clock.' + CPL0, {
    arg: '0',
    extra: [
      {
        name: 'addr_hi',
        register: 'esi',
        description: 'physical address of the steal-time area, high 32 bits',
      },
      { name: 'addr_lo', register: 'edi', description: 'physical address, low 32 bits (1 disables)' },
    ],
    returns: 'EAX: 0 on success; ECX: BDOOR_STEALCLOCK_STATUS_*',
    source: `${SRC}; ${LINUX} vmware_cmd_stealclock`,
  }),
  bdoor(92, 'GUEST_PAGE_HINTS', 'Page-sharing hints.' + CPL0, {
    arg: 'RBX: the first PPN',
    extra: [{ name: 'num_pages', register: 'esi', description: 'bits 15:0 the number of pages' }],
  }),
  bdoor(93, 'FIRMWARE_UPDATE', 'Firmware update.' + CPL0),
  bdoor(94, 'FUZZER_HELPER', 'Fuzzer helper.' + DEVEL),
  bdoor(95, 'PUTCHR12', 'Write characters to the log.'),
  bdoor(96, 'GMM', 'Guest monitor mode (sub-command in ECX high half).'),
  bdoor(97, 'PRECISIONCLOCK', 'Precision clock (get, set, adjust).'),
  bdoor(98, 'COREDUMP_UNSYNC', 'Unsynchronised VMM core dump.' + DEVEL),
  bdoor(99, 'APPLE_GPU_RES_SET', 'Apple GPU resolution.'),
  bdoor(100, 'GETBUILDNUM', 'Build number.'),
];

const hbArgs: readonly HypercallArg[] = [
  magic,
  { name: 'command', register: 'ebx', description: 'the high-bandwidth command' },
  { name: 'size', register: 'ecx', description: 'byte count' },
  {
    name: 'port',
    register: 'edx',
    description: 'bits 15:0 the port 0x5659 (vmcall form: flags); bits 31:16 the channel',
  },
  { name: 'source', register: 'esi', description: 'guest buffer read by rep outsb' },
  { name: 'destination', register: 'edi', description: 'guest buffer written by rep insb' },
  { name: 'cookie', register: 'ebp', description: 'channel cookie' },
];

/** High-bandwidth commands (`BDOORHB_CMD_*`), keyed by EBX. */
export const VMWARE_BACKDOOR_HB_COMMANDS: readonly HypercallEntry[] = [
  {
    abi: 'vmware-backdoor',
    number: 0,
    name: 'BDOORHB_CMD_MESSAGE',
    args: hbArgs,
    returns: 'EBX: message status',
    description: 'Send or receive a whole GuestRPC message payload in one transfer.',
    source: `${SRC}; Linux drivers/gpu/drm/vmwgfx/vmwgfx_msg_x86.h VMW_PORT_HB_OUT/IN`,
  },
  {
    abi: 'vmware-backdoor',
    number: 1,
    name: 'BDOORHB_CMD_VASSERT',
    args: hbArgs,
    returns: SPECIFIC,
    description: 'Report a guest assertion.',
    source: SRC,
  },
];
