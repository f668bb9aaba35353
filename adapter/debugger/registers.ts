/**
 * The register scope of a frame: general registers, RFLAGS, segment selectors and bases, and the control
 * registers of QEMU's x86-64 target description (cr0, cr2, cr3, cr4, cr8, efer), the decoded ones expandable
 * into their named bit fields (Intel SDM Vol. 3A §2.5, AMD APM Vol. 2 §3.1). Everything else the stub
 * offers (x87, SSE, AVX, MXCSR) sits under "Other registers", fetched only when expanded.
 */
import type { GdbBackend } from '../gdb/backend';
import { evaluate, registerNames, registerValues } from '../gdb/mi/data';
import { decode, formatSummary, parseFieldValue, withField, type Layout } from '../x86/bitfields';
import { layoutForRegister } from '../x86/controlRegisters';
import type { FrameRef } from './frames';

/** The registers shown directly in the scope, in this order (gdb's names; gdb calls RFLAGS `eflags`). */
export const MAIN_REGISTERS = [
  'rip', 'rsp', 'rbp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'eflags',
  'cs', 'ss', 'ds', 'es', 'fs', 'gs', 'fs_base', 'gs_base', 'k_gs_base',
  'cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer',
] as const; // prettier-ignore

export interface RegisterValue {
  readonly name: string;
  readonly value: bigint | undefined;
  /** gdb's text (hex for scalars; raw bytes for vector registers). */
  readonly text: string;
  /** The bit-field layout, for registers that decode. */
  readonly layout: Layout | undefined;
}

export class RegisterService {
  private names: Promise<string[]> | undefined;
  private readonly cache = new Map<string, Promise<Map<number, string>>>();

  constructor(private readonly gdb: GdbBackend) {}

  /** Forget cached values: the target ran or a register was written. */
  invalidate(): void {
    this.cache.clear();
  }

  private allNames(): Promise<string[]> {
    this.names ??= registerNames(this.gdb);
    return this.names;
  }

  private async numbersOf(names: readonly string[]): Promise<number[]> {
    const all = await this.allNames();
    return names.map((n) => all.indexOf(n)).filter((i) => i >= 0);
  }

  private values(frame: FrameRef, group: 'main' | 'other'): Promise<Map<number, string>> {
    const key = `${frame.threadId}/${frame.level}/${group}`;
    let values = this.cache.get(key);
    if (values === undefined) {
      values = (async () => {
        const all = await this.allNames();
        const numbers =
          group === 'main'
            ? await this.numbersOf(MAIN_REGISTERS)
            : all.flatMap((n, i) =>
                n !== '' && !(MAIN_REGISTERS as readonly string[]).includes(n) ? [i] : [],
              );
        return registerValues(this.gdb, frame.threadId, frame.level, numbers);
      })();
      values.catch(() => this.cache.delete(key));
      this.cache.set(key, values);
    }
    return values;
  }

  /** The main registers of a frame, with layouts for those that decode (CR3's depends on CR4.PCIDE). */
  async main(frame: FrameRef): Promise<RegisterValue[]> {
    const [all, values] = await Promise.all([this.allNames(), this.values(frame, 'main')]);
    const result: RegisterValue[] = [];
    for (const [number, text] of values) {
      const name = all[number] ?? `r${number}`;
      result.push({ name, text, value: toBigInt(text), layout: undefined });
    }
    const cr4 = result.find((r) => r.name === 'cr4')?.value;
    const context = cr4 === undefined ? {} : { cr4 };
    return result.map((r) => ({ ...r, layout: layoutForRegister(r.name, context) }));
  }

  async other(frame: FrameRef): Promise<RegisterValue[]> {
    const [all, values] = await Promise.all([this.allNames(), this.values(frame, 'other')]);
    return [...values].map(([number, text]) => ({
      name: all[number] ?? `r${number}`,
      text,
      value: toBigInt(text),
      layout: undefined,
    }));
  }

  async get(frame: FrameRef, name: string): Promise<RegisterValue> {
    const found =
      (await this.main(frame)).find((r) => r.name === name) ??
      (await this.other(frame)).find((r) => r.name === name);
    if (found === undefined) throw new Error(`the stub has no register named '${name}'`);
    return found;
  }

  /**
   * Writes a register (`$name = value`, value being any gdb expression). Returns the new text. QEMU's
   * target description gives CR0/CR3/CR4/EFER flags types to which gdb will not assign a plain number
   * ("Invalid cast"); those are written through a `(long)` cast.
   */
  async set(frame: FrameRef, name: string, value: string): Promise<string> {
    try {
      await evaluate(this.gdb, `$${name} = ${value}`, frame.threadId, frame.level);
    } catch (error) {
      if (!(error instanceof Error && /Invalid cast/.test(error.message))) throw error;
      await evaluate(this.gdb, `$${name} = (long)(${value})`, frame.threadId, frame.level);
    }
    this.invalidate();
    return (await this.get(frame, name)).text;
  }

  /** Writes one bit field of a decoded register (e.g. CR4.PGE = 0). Returns the register's new value. */
  async setField(frame: FrameRef, register: string, field: string, text: string): Promise<RegisterValue> {
    const current = await this.get(frame, register);
    if (current.layout === undefined || current.value === undefined) {
      throw new Error(`register '${register}' has no bit fields`);
    }
    const updated = withField(current.layout, current.value, field, parseFieldValue(text));
    await this.set(frame, register, `0x${updated.toString(16)}`);
    return this.get(frame, register);
  }
}

function toBigInt(text: string): bigint | undefined {
  return /^(0x[0-9a-fA-F]+|-?\d+)$/.test(text) ? BigInt.asUintN(64, BigInt(text)) : undefined;
}

/** The text the Variables view shows for a register: its value and, for decoded ones, the set flags. */
export function registerDisplay(register: RegisterValue): string {
  if (register.layout === undefined || register.value === undefined) return register.text;
  return `${register.text} ${formatSummary(register.layout, register.value)}`;
}

export { decode as decodeRegister };
