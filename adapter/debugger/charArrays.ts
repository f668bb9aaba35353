/**
 * C character arrays (`char comm[16]` in `struct task_struct`, `char name[56]` in `struct module`): gdb's
 * variable objects show them as `[16]`, while `print` shows the string users read in a kernel
 * (`"swapper/0", '\000' <repeats 6 times>`). The Variables view, hover and Watch show what `print` does;
 * the elements stay expandable as children.
 */
import type { MiPort } from '../gdb/backend';
import { evaluate } from '../gdb/mi/data';
import { pathExpression } from '../gdb/mi/varobj';
import type { FrameRef } from './frames';

/** `char [16]`, `const char [8]`, `unsigned char [6]`, `signed char [4]` (gdb's type text). */
export function isCharArray(type: string | undefined): boolean {
  return (
    type !== undefined &&
    /^((const|volatile) )*((un)?signed )?char( (const|volatile))* \[\d+\]$/.test(type.trim())
  );
}

/** The array as gdb's `print` shows it; `fallback` (the varobj's `[N]`) if gdb cannot evaluate it. */
export async function charArrayText(
  gdb: MiPort,
  expression: string,
  frame: FrameRef | undefined,
  fallback: string,
): Promise<string> {
  try {
    return await evaluate(gdb, expression, frame?.threadId, frame?.level);
  } catch {
    return fallback;
  }
}

/** The same for a variable object's child, through its path expression (`(init_task).comm`). */
export async function childCharArrayText(
  gdb: MiPort,
  varobj: string,
  frame: FrameRef | undefined,
  fallback: string,
): Promise<string> {
  try {
    return await charArrayText(gdb, await pathExpression(gdb, varobj), frame, fallback);
  } catch {
    return fallback;
  }
}
