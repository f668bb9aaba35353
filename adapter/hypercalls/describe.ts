/**
 * Names a hypercall at a site from the vCPU's registers: which ABI (see chooseAbi.ts), which call, each
 * argument by name. A number the catalogue lacks gives `kind: 'unknown'` with every argument register of the
 * ABI, raw; nothing is dropped. Port I/O that is not VMware's backdoor, and a `call reg` that misses every
 * hypercall page, give `not-hypercall` with the reason.
 */
import { ABI_INFO, findHypercall, findVmwareHbCommand } from './catalogue';
import { chooseAbi, type AbiChoice, type AbiReason } from './chooseAbi';
import type { HypercallSite } from './decode';
import { decodeHypervInput, type HypervInputValue } from './hyperv';
import { RegisterFile, hex } from './registers';
import type { HypercallAbi, HypercallContext, HypercallEntry } from './types';
import { XEN_ARGS_32 } from './xen';

export type { AbiReason };

export interface DecodedArgument {
  readonly name: string;
  /** The register carrying it (`rbx`), or a pair (`edx:eax`) for Hyper-V in 32-bit mode. */
  readonly register: string;
  /** Undefined when the register record lacks the register. */
  readonly value: bigint | undefined;
  readonly description: string;
}

interface CallCommon {
  readonly site: HypercallSite;
  readonly abi: HypercallAbi;
  readonly abiReason: AbiReason;
  /** Call number, Hyper-V call code or VMware command as passed; undefined if its register is missing. */
  readonly number: bigint | undefined;
  readonly args: readonly DecodedArgument[];
  /** The ABI's number and argument registers, raw, keyed by register name. */
  readonly registers: Readonly<Record<string, bigint>>;
  /** Hyper-V: the fields of the input value. */
  readonly hyperv?: HypervInputValue;
  /** VMware: the high-bandwidth backdoor (port 0x5659, or the HB flag of the vmcall form). */
  readonly highBandwidth?: boolean;
  /** Caveats for the user (an assumed ABI, a missing register, a page slot that disagrees with RAX). */
  readonly notes: readonly string[];
}

/** A call the catalogue names. */
export interface KnownHypercall extends CallCommon {
  readonly kind: 'known';
  readonly name: string;
  readonly entry: HypercallEntry;
}

/** A call of a known ABI whose number the catalogue lacks: its arguments are the ABI's registers, raw. */
export interface UnknownHypercall extends CallCommon {
  readonly kind: 'unknown';
  readonly name: string;
}

/** The site turned out not to be a hypercall (port I/O elsewhere, a call that misses every page). */
export interface NotAHypercall {
  readonly kind: 'not-hypercall';
  readonly site: HypercallSite;
  readonly reason: string;
}

export type DecodedHypercall = KnownHypercall | UnknownHypercall | NotAHypercall;

/**
 * Describes the hypercall at `site` given the vCPU registers at that instruction (gdb names, any case;
 * values as unsigned 64-bit). `context` is the one given to the decoder plus the hypervisor hint.
 */
export function describeCall(
  site: HypercallSite,
  registers: Readonly<Record<string, bigint>>,
  context: HypercallContext = {},
): DecodedHypercall {
  const regs = new RegisterFile(registers, site.bitness);
  const choice = chooseAbi(site, regs, context);
  if (typeof choice === 'string') return { kind: 'not-hypercall', site, reason: choice };
  return buildCall(site, regs, choice);
}

function buildCall(
  site: HypercallSite,
  regs: RegisterFile,
  choice: AbiChoice,
): KnownHypercall | UnknownHypercall {
  const { abi } = choice;
  const notes = [...(choice.notes ?? [])];
  const info = ABI_INFO[abi];
  const hyperv = abi === 'hyperv' ? hypervControl(regs) : undefined;
  const hb = choice.highBandwidth === true;
  let number: bigint | undefined;
  if (abi === 'hyperv') number = hyperv === undefined ? undefined : BigInt(hyperv.callCode);
  else if (abi === 'vmware-backdoor') number = hb ? regs.get32('ebx') : mask16(regs.get32('ecx'));
  else if (choice.number !== undefined) number = BigInt(choice.number);
  else if (info.numberRegister !== undefined) number = regs.get(info.numberRegister);
  if (abi === 'xen' && choice.number !== undefined) {
    const rax = regs.get('rax');
    if (rax !== undefined && rax !== BigInt(choice.number)) {
      notes.push(`RAX ${hex(rax)} differs from the hypercall-page slot ${choice.number}`);
    }
  }
  const entry =
    number === undefined ? undefined : hb ? findVmwareHbCommand(number) : findHypercall(abi, number);
  const args = abi === 'hyperv' ? hypervArgs(regs, entry) : entryArgs(abi, regs, entry);
  if (number === undefined) notes.push('the register holding the call number is not available');
  for (const a of args) if (a.value === undefined) notes.push(`register ${a.register} is not available`);
  const common = {
    site,
    abi,
    abiReason: choice.reason,
    number,
    args,
    registers: rawRegisters(abi, regs),
    notes,
    ...(hyperv === undefined ? {} : { hyperv }),
    ...(abi === 'vmware-backdoor' ? { highBandwidth: hb } : {}),
  };
  if (entry !== undefined) return { ...common, kind: 'known', name: entry.name, entry };
  const shown = number === undefined ? '?' : hex(number);
  return {
    ...common,
    kind: 'unknown',
    name: `unknown ${info.title} ${abi === 'vmware-backdoor' ? 'command' : 'hypercall'} ${shown}`,
  };
}

const mask16 = (v: bigint | undefined): bigint | undefined => (v === undefined ? undefined : v & 0xffffn);

function entryArgs(
  abi: HypercallAbi,
  regs: RegisterFile,
  entry: HypercallEntry | undefined,
): DecodedArgument[] {
  const xen32 = abi === 'xen' && regs.bitness === 32;
  if (entry !== undefined) {
    return entry.args.map((a, i) => {
      const register = xen32 ? (XEN_ARGS_32[i] ?? a.register) : a.register;
      return {
        name: a.name,
        register: regs.display(register),
        value: regs.get(register),
        description: a.description,
      };
    });
  }
  const raw = xen32 ? XEN_ARGS_32 : ABI_INFO[abi].argumentRegisters;
  return raw.map((r) => ({
    name: regs.display(r),
    register: regs.display(r),
    value: regs.get(r),
    description: 'raw register (not in the catalogue)',
  }));
}

const pair = (hi: bigint | undefined, lo: bigint | undefined): bigint | undefined =>
  hi === undefined || lo === undefined ? undefined : (hi << 32n) | lo;

function hypervControl(regs: RegisterFile): HypervInputValue | undefined {
  const control = regs.bitness === 64 ? regs.get('rcx') : pair(regs.get('edx'), regs.get('eax'));
  return control === undefined ? undefined : decodeHypervInput(control);
}

/** Hyper-V: RCX/RDX/R8, or EDX:EAX, EBX:ECX, EDI:ESI in 32-bit mode (TLFS). */
function hypervArgs(regs: RegisterFile, entry: HypercallEntry | undefined): DecodedArgument[] {
  const wide = regs.bitness === 64;
  const slots: readonly [string, string, bigint | undefined][] = wide
    ? [
        ['control', 'rcx', regs.get('rcx')],
        ['input', 'rdx', regs.get('rdx')],
        ['output', 'r8', regs.get('r8')],
      ]
    : [
        ['control', 'edx:eax', pair(regs.get('edx'), regs.get('eax'))],
        ['input', 'ebx:ecx', pair(regs.get('ebx'), regs.get('ecx'))],
        ['output', 'edi:esi', pair(regs.get('edi'), regs.get('esi'))],
      ];
  return slots.map(([name, register, value], i) => ({
    name,
    register,
    value,
    description: entry?.args[i]?.description ?? `${name} (raw; call code not in the catalogue)`,
  }));
}

function rawRegisters(abi: HypercallAbi, regs: RegisterFile): Record<string, bigint> {
  const info = ABI_INFO[abi];
  const names =
    abi === 'hyperv' && regs.bitness === 32
      ? ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi']
      : [
          ...(info.numberRegister === undefined ? [] : [info.numberRegister]),
          ...(abi === 'xen' && regs.bitness === 32 ? XEN_ARGS_32 : info.argumentRegisters),
        ];
  const out: Record<string, bigint> = {};
  for (const name of names) {
    const value = regs.get(name);
    if (value !== undefined) out[regs.display(name)] = value;
  }
  return out;
}
