/**
 * The loaded modules as the guest kernel lists them, read through the kernel's own types: the `modules`
 * list of `struct module` (kernel/module/main.c), each with its name, its text base and the section
 * addresses sysfs shows in /sys/module/NAME/sections (`sect_attrs`). The same walk as the kernel's
 * scripts/gdb/linux/symbols.py (lx-symbols) and modules.py for Linux 6.1; 6.4+ (`mem[MOD_TEXT]`) too.
 */
import { gdbPath, hex, parseAddress, parseCString, type KernelTarget } from './target';

export interface LoadedModule {
  /** Address of its `struct module`. */
  readonly struct: bigint;
  readonly name: string;
  /** Base of its core text (`core_layout.base` before 6.4, `mem[MOD_TEXT].base` after). */
  readonly text: bigint;
  /**
   * Bytes from {@link text} on that the module occupies: before 6.4 its whole core allocation
   * (`core_layout.size`: text, read-only data, data; /sys/module/NAME/coresize), from 6.4 on its text
   * allocation (`mem[MOD_TEXT].size`; the other parts are allocated elsewhere). Undefined if unreadable.
   */
  readonly size: bigint | undefined;
}

/** Sections passed to add-symbol-file besides .text: lx-symbols' list. */
export const SYMBOL_SECTIONS = [
  '.data',
  '.data..read_mostly',
  '.rodata',
  '.bss',
  '.text.hot',
  '.text.unlikely',
] as const;

/** More modules than this means the list is not what we think (a corrupted or foreign list). */
const MAX_MODULES = 4096;

const moduleAt = (struct: bigint): string => `((struct module *)${hex(struct)})`;

async function number(target: KernelTarget, expression: string): Promise<bigint> {
  const value = parseAddress(await target.evaluate(expression));
  if (value === undefined) throw new Error(`${expression} is not a number`);
  return value;
}

/** The module's name, text base and size, from its `struct module` at `struct`. */
export async function readModule(target: KernelTarget, struct: bigint): Promise<LoadedModule> {
  const mod = moduleAt(struct);
  const name = parseCString(await target.evaluate(`${mod}->name`)) ?? `module@${hex(struct)}`;
  let layout = `${mod}->core_layout`;
  let text: bigint;
  try {
    text = await number(target, `(unsigned long)${layout}.base`);
  } catch {
    layout = `${mod}->mem[0]`;
    text = await number(target, `(unsigned long)${layout}.base`);
  }
  const size = await number(target, `(unsigned long)${layout}.size`).catch(() => undefined);
  return { struct, name, text, size };
}

/** Walks the kernel's `modules` list (most recently loaded first). Rejects when vmlinux has no such list. */
export async function listModules(target: KernelTarget): Promise<LoadedModule[]> {
  const head = await number(target, '(unsigned long)&modules');
  const offset = await number(target, '(unsigned long)&((struct module *)0)->list');
  const out: LoadedModule[] = [];
  let next = await number(target, '(unsigned long)modules.next');
  while (next !== head && next !== 0n && out.length < MAX_MODULES) {
    const struct = next - offset;
    out.push(await readModule(target, struct));
    next = await number(target, `(unsigned long)((struct list_head *)${hex(next)})->next`);
  }
  return out;
}

/**
 * Parses gdb's print of a `struct module_sect_attr` array: each element's `name = 0x... ".data"` and
 * `address = 18446744072639406080`, in order.
 */
export function parseSectionArray(text: string): Map<string, bigint> {
  const sections = new Map<string, bigint>();
  const element = /name = 0x[0-9a-f]+ "((?:[^"\\]|\\.)*)"[\s\S]*?address = (0x[0-9a-f]+|\d+)/g;
  for (const match of text.matchAll(element)) {
    if (match[1] !== undefined && match[2] !== undefined) sections.set(match[1], BigInt(match[2]));
  }
  return sections;
}

/** Section name → load address, from the module's `sect_attrs` (what /sys/module/NAME/sections shows). */
export async function readSections(target: KernelTarget, module: LoadedModule): Promise<Map<string, bigint>> {
  const attrs = `${moduleAt(module.struct)}->sect_attrs`;
  const count = Number(await number(target, `${attrs}->nsections`));
  if (count <= 0) return new Map();
  // One round trip for the whole array; element by element when gdb abbreviated it.
  const whole = parseSectionArray(await target.evaluate(`${attrs}->attrs[0]@${count}`));
  if (whole.size === count) return whole;
  const sections = new Map<string, bigint>();
  for (let i = 0; i < count; i++) {
    const name = parseCString(await target.evaluate(`${attrs}->attrs[${i}].battr.attr.name`));
    if (name !== undefined) sections.set(name, await number(target, `${attrs}->attrs[${i}].address`));
  }
  return sections;
}

/** `add-symbol-file FILE TEXT -s .data ADDR ...` for a module loaded at `text` with `sections`. */
export function addSymbolFileCommand(
  file: string,
  text: bigint,
  sections: ReadonlyMap<string, bigint>,
): string {
  const parts = [`add-symbol-file ${gdbPath(file)} ${hex(sections.get('.text') ?? text)}`];
  for (const name of SYMBOL_SECTIONS) {
    const at = sections.get(name);
    if (at !== undefined && at !== 0n) parts.push(`-s ${name} ${hex(at)}`);
  }
  return parts.join(' ');
}
