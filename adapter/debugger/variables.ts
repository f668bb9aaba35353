/**
 * Scopes and variables. A variables reference says what it points at (a discriminated union): a frame's
 * locals, its registers, a register's bit fields, or a gdb variable object. References live for one stop.
 */
import { Handles, Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { GdbBackend } from '../gdb/backend';
import { listVariables } from '../gdb/mi/stack';
import {
  assignVar,
  createVar,
  deleteVar,
  listChildren,
  pathExpression,
  type VarObject,
} from '../gdb/mi/varobj';
import { StaleReferenceError } from './stale';
import { charArrayText, childCharArrayText, isCharArray } from './charArrays';
import type { FrameRef } from './frames';
import { decodeRegister, registerDisplay, type RegisterService, type RegisterValue } from './registers';

export type VariableRef =
  | { readonly kind: 'locals'; readonly frame: FrameRef }
  | { readonly kind: 'registers'; readonly frame: FrameRef }
  | { readonly kind: 'otherRegisters'; readonly frame: FrameRef }
  | { readonly kind: 'registerFields'; readonly frame: FrameRef; readonly register: string }
  | { readonly kind: 'expression'; readonly frame: FrameRef; readonly expression: string }
  | { readonly kind: 'varobj'; readonly frame: FrameRef | undefined; readonly name: string }
  | { readonly kind: 'provided'; readonly load: () => Promise<readonly ProvidedVariable[]> };

/** A read-only row of a scope another domain provides (Hypercall, VM Exit); `children` expand it. */
export interface ProvidedVariable {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
  readonly children?: readonly ProvidedVariable[];
}

/**
 * Adds a scope to some frames: resolves to undefined when the frame has no such scope; `load` fills it
 * when the client expands it. Asked only when a client asks for the frame's scopes, so that a stop
 * nobody looks at (a step of a stepping sequence) costs nothing.
 */
export type ScopeProvider = (
  frame: FrameRef,
) => Promise<
  { readonly name: string; readonly load: () => Promise<readonly ProvidedVariable[]> } | undefined
>;

export class VariableService {
  private handles = new Handles<VariableRef>();
  private roots: string[] = [];
  private readonly providers: ScopeProvider[] = [];

  constructor(
    private readonly gdb: GdbBackend,
    private readonly registers: RegisterService,
  ) {}

  /** Adds scopes after Locals and Registers (e.g. adapter/hypercalls: Hypercall, VM Exit). */
  addScopeProvider(provider: ScopeProvider): void {
    this.providers.push(provider);
  }

  get(reference: number): VariableRef | undefined {
    return this.handles.get(reference);
  }

  /** Drops this stop's references and gdb's variable objects (the target is about to run). */
  async reset(): Promise<void> {
    this.handles = new Handles<VariableRef>();
    const roots = this.roots;
    this.roots = [];
    await Promise.all(roots.map((name) => deleteVar(this.gdb, name).catch(() => undefined)));
  }

  async scopes(frame: FrameRef): Promise<DebugProtocol.Scope[]> {
    const locals: DebugProtocol.Scope = new Scope(
      'Locals',
      this.handles.create({ kind: 'locals', frame }),
      false,
    );
    locals.presentationHint = 'locals';
    const registers: DebugProtocol.Scope = new Scope(
      'Registers',
      this.handles.create({ kind: 'registers', frame }),
      false,
    );
    registers.presentationHint = 'registers';
    const answers = await Promise.all(this.providers.map((p) => p(frame).catch(() => undefined)));
    const provided = answers.flatMap((s) =>
      s === undefined ? [] : [new Scope(s.name, this.handles.create({ kind: 'provided', load: s.load }))],
    );
    return [locals, registers, ...provided];
  }

  async variables(reference: number): Promise<DebugProtocol.Variable[]> {
    const ref = this.handles.get(reference);
    if (ref === undefined) throw new StaleReferenceError('variable');
    switch (ref.kind) {
      case 'locals':
        return this.locals(ref.frame);
      case 'registers': {
        const regs = (await this.registers.main(ref.frame)).map((r) => this.registerVariable(ref.frame, r));
        const other = this.handles.create({ kind: 'otherRegisters', frame: ref.frame });
        return [...regs, { name: 'Other registers', value: 'x87, SSE, AVX, ...', variablesReference: other }];
      }
      case 'otherRegisters':
        return (await this.registers.other(ref.frame)).map((r) => this.registerVariable(ref.frame, r));
      case 'registerFields':
        return this.registerFields(ref.frame, ref.register);
      case 'expression': {
        const root = await this.createRoot(ref.expression, ref.frame);
        return this.children(root.name, ref.frame);
      }
      case 'varobj':
        return this.children(ref.name, ref.frame);
      case 'provided':
        return (await ref.load()).map((v) => ({
          name: v.name,
          value: v.value,
          ...(v.type === undefined ? {} : { type: v.type }),
          variablesReference:
            v.children === undefined || v.children.length === 0
              ? 0
              : this.handles.create({ kind: 'provided', load: () => Promise.resolve(v.children ?? []) }),
        }));
    }
  }

  /** Evaluates an expression for the Watch view or a hover, expandable when it is an aggregate. */
  async evaluate(
    expression: string,
    frame: FrameRef | undefined,
  ): Promise<DebugProtocol.EvaluateResponse['body']> {
    const root = await this.createRoot(expression, frame);
    const result = isCharArray(root.type)
      ? await charArrayText(this.gdb, expression, frame, root.value)
      : root.value;
    return {
      result,
      ...(root.type === undefined ? {} : { type: root.type }),
      variablesReference:
        root.childCount > 0 ? this.handles.create({ kind: 'varobj', frame, name: root.name }) : 0,
    };
  }

  /** Sets a local, a member, a register or a register bit field; returns the new value as shown. */
  async setVariable(
    reference: number,
    name: string,
    value: string,
  ): Promise<DebugProtocol.SetVariableResponse['body']> {
    const ref = this.handles.get(reference);
    if (ref === undefined) throw new StaleReferenceError('variable');
    switch (ref.kind) {
      case 'registers':
      case 'otherRegisters': {
        await this.registers.set(ref.frame, name, value);
        const updated = await this.registers.get(ref.frame, name);
        return { value: registerDisplay(updated) };
      }
      case 'registerFields': {
        const updated = await this.registers.setField(ref.frame, ref.register, name, value);
        const field = decodeRegister(
          updated.layout ?? { name: '', bits: 64, source: '', fields: [] },
          updated.value ?? 0n,
        ).find((f) => f.name === name);
        return { value: field === undefined ? registerDisplay(updated) : fieldText(field.display) };
      }
      case 'locals':
      case 'expression': {
        const root = await this.createRoot(name, ref.frame);
        return { value: await assignVar(this.gdb, root.name, value) };
      }
      case 'varobj': {
        const child = (await listChildren(this.gdb, ref.name)).find((c) => c.expression === name);
        if (child === undefined) throw new Error(`no member '${name}'`);
        return { value: await assignVar(this.gdb, child.name, value) };
      }
      case 'provided':
        throw new Error(
          `'${name}' is decoded by hvdbg and read-only; set the register or memory it comes from`,
        );
    }
  }

  /** The gdb expression a variable stands for, for data breakpoints; undefined for registers. */
  async expressionOf(
    reference: number | undefined,
    name: string,
  ): Promise<{ expression: string; frame?: FrameRef } | undefined> {
    if (reference === undefined) return { expression: name };
    const ref = this.handles.get(reference);
    if (ref === undefined) return undefined;
    switch (ref.kind) {
      case 'locals':
        return { expression: name, frame: ref.frame };
      case 'varobj': {
        const child = (await listChildren(this.gdb, ref.name)).find((c) => c.expression === name);
        return child === undefined ? undefined : { expression: await pathExpression(this.gdb, child.name) };
      }
      default:
        return undefined;
    }
  }

  private async locals(frame: FrameRef): Promise<DebugProtocol.Variable[]> {
    const vars = await listVariables(this.gdb, frame.threadId, frame.level);
    const strings = await Promise.all(
      vars.map((v) =>
        isCharArray(v.type) ? charArrayText(this.gdb, v.name, frame, '') : Promise.resolve(''),
      ),
    );
    return vars.map((v, i) => ({
      name: v.name,
      value: strings[i] || (v.value ?? (v.type === undefined ? '' : `{${v.type}}`)),
      ...(v.type === undefined ? {} : { type: v.type }),
      variablesReference:
        v.value === undefined || isStructPointer(v.type)
          ? this.handles.create({ kind: 'expression', frame, expression: v.name })
          : 0,
      evaluateName: v.name,
    }));
  }

  private registerVariable(frame: FrameRef, r: RegisterValue): DebugProtocol.Variable {
    return {
      name: r.name,
      value: registerDisplay(r),
      evaluateName: `$${r.name}`,
      variablesReference:
        r.layout === undefined ? 0 : this.handles.create({ kind: 'registerFields', frame, register: r.name }),
      ...(r.layout === undefined ? {} : { type: r.layout.name }),
    };
  }

  private async registerFields(frame: FrameRef, register: string): Promise<DebugProtocol.Variable[]> {
    const r = await this.registers.get(frame, register);
    if (r.layout === undefined || r.value === undefined) return [];
    return decodeRegister(r.layout, r.value)
      .filter((f) => !f.reserved)
      .map((f) => ({
        name: f.name,
        value: fieldText(f.display) + (f.meaning === undefined ? '' : ` (${f.meaning})`),
        type: `bit${f.width === 1 ? '' : 's'} ${f.width === 1 ? f.lsb : `${f.lsb + f.width - 1}:${f.lsb}`} — ${f.description}`,
        variablesReference: 0,
      }));
  }

  private async createRoot(expression: string, frame: FrameRef | undefined): Promise<VarObject> {
    const root = await createVar(this.gdb, expression, frame?.threadId, frame?.level ?? 0);
    this.roots.push(root.name);
    return root;
  }

  private async children(name: string, frame: FrameRef | undefined): Promise<DebugProtocol.Variable[]> {
    const kids = await listChildren(this.gdb, name);
    const values = await Promise.all(
      kids.map((c) =>
        isCharArray(c.type) ? childCharArrayText(this.gdb, c.name, frame, c.value) : Promise.resolve(c.value),
      ),
    );
    return kids.map((c, i) => ({
      name: c.expression,
      value: values[i] ?? c.value,
      ...(c.type === undefined ? {} : { type: c.type }),
      variablesReference: c.childCount > 0 ? this.handles.create({ kind: 'varobj', frame, name: c.name }) : 0,
    }));
  }
}

/** A pointer worth expanding (to a struct, union or typedef'd aggregate), not `char *` or `void *`. */
export function isStructPointer(type: string | undefined): boolean {
  return type !== undefined && /\*\s*$/.test(type) && !/\b(char|void)\s*\*\s*$/.test(type);
}

/** `PG=1` → `1`: the Variables view already shows the field's name. */
function fieldText(display: string): string {
  const eq = display.indexOf('=');
  return eq < 0 ? display : display.slice(eq + 1);
}
