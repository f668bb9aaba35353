/**
 * The launch configuration: the TypeScript types and the JSON schema that `package.json` contributes
 * (`contributes.debuggers[0].configurationAttributes`) are defined here, once. `npm run schema` writes the
 * schema into package.json and a unit test fails when the two drift.
 */
import Ajv, { type ErrorObject } from 'ajv';

export interface SymbolFile {
  /** An ELF file with symbols (a kernel module such as `kvm.ko`, a firmware image). */
  readonly path: string;
  /** Load address of its `.text` (gdb's `add-symbol-file FILE ADDRESS`); omit for fully linked files. */
  readonly address?: string;
  /** Load addresses of other sections (`.data`, `.bss`, ...), for gdb's `add-symbol-file -s`. */
  readonly sections?: Readonly<Record<string, string>>;
}

/** `exitTrace` in its object form: a KVM trace followed for the session's lifetime (adapter/exits). */
export interface ExitTraceSetting {
  readonly source: string;
  readonly from?: 'start' | 'end';
  readonly vcpuColumn?: 'cpu' | 'vcpu';
}

/** Settings shared by `attach` and `launch`. */
export interface CommonArguments {
  readonly program?: string;
  readonly symbolFiles?: readonly SymbolFile[];
  readonly modulePath?: readonly string[];
  readonly gdbPath?: string;
  readonly stopOnAttach?: boolean;
  readonly sourceFileMap?: Readonly<Record<string, string>>;
  readonly sourcePaths?: readonly string[];
  readonly breakpointType?: 'hardware' | 'software';
  readonly initCommands?: readonly string[];
  readonly connectTimeout?: number;
  readonly exitTrace?: string | ExitTraceSetting;
  /** A transcript of the session (DAP, gdb/MI, RSP): `true` for a file in the OS temp directory, or a path. */
  readonly trace?: boolean | string;
}

export interface AttachArguments extends CommonArguments {
  readonly target: string;
}

export interface QemuSettings {
  readonly path?: string;
  readonly args: readonly string[];
  readonly cwd?: string;
}

export interface LaunchArguments extends CommonArguments {
  readonly qemu: QemuSettings;
}

type Schema = Record<string, unknown>;
type SchemaOf<T> = { readonly [K in keyof Required<T>]: Schema };

const common = {
  program: {
    type: 'string',
    description:
      "ELF file with the guest kernel symbols (e.g. the -dbg package's vmlinux). Optional: without it you still get addresses, registers, disassembly and memory.",
  },
  symbolFiles: {
    type: 'array',
    description: 'More ELF files with symbols, e.g. kernel modules at their load address.',
    items: {
      type: 'object',
      required: ['path'],
      additionalProperties: false,
      properties: {
        path: { type: 'string', description: 'The ELF file (e.g. kvm.ko with debug info).' },
        address: {
          type: 'string',
          pattern: '^(0[xX][0-9a-fA-F]+|[0-9]+)$',
          description: 'Load address of its .text section (for a module: /sys/module/NAME/sections/.text).',
        },
        sections: {
          type: 'object',
          description:
            'Load addresses of other sections, e.g. { ".data": "0xffffffffc0a4c000" } (from /sys/module/NAME/sections/).',
          propertyNames: { pattern: '^\\.[A-Za-z0-9_.]+$' },
          additionalProperties: { type: 'string', pattern: '^(0[xX][0-9a-fA-F]+|[0-9]+)$' },
        },
      },
    },
    default: [],
  },
  modulePath: {
    type: 'array',
    description:
      "Directories searched (recursively) for the ELF files of the Linux kernel modules loaded in the guest, e.g. the -dbg package's /usr/lib/debug/lib/modules/<version>/. hvdbg reads the module list from guest memory and adds each module's symbols at its load address (kvm_amd ↔ kvm-amd.ko), for modules loaded later too. Modules given in symbolFiles keep those.",
    items: { type: 'string' },
    default: [],
  },
  gdbPath: { type: 'string', description: 'The gdb executable.', default: 'gdb' },
  stopOnAttach: {
    type: 'boolean',
    description: 'Stop all vCPUs once attached. When false, the guest keeps running.',
    default: true,
  },
  sourceFileMap: {
    type: 'object',
    description:
      'Maps the build directory recorded in the DWARF to a source tree here, e.g. { "debian/build/build_amd64_none_cloud-amd64": "/usr/src/linux-source-6.1" } (gdb\'s set substitute-path).',
    additionalProperties: { type: 'string' },
    default: {},
  },
  sourcePaths: {
    type: 'array',
    description: "Source directories searched for relative file names (gdb's directory command).",
    items: { type: 'string' },
    default: [],
  },
  trace: {
    type: ['boolean', 'string'],
    description:
      "Write a transcript of the session: every DAP message, every gdb/MI line and every RSP packet through hvdbg's relay, timestamped. true: a file in the OS temp directory (its name is printed in the Debug Console); a string: that file. Attach it to a bug report.",
    default: false,
  },
  breakpointType: {
    type: 'string',
    enum: ['hardware', 'software'],
    enumDescriptions: [
      'The stub stops the vCPU without patching guest memory: safe in code that is loaded or patched later (kernels).',
      'An int3 written into guest memory.',
    ],
    description: 'How source, function and instruction breakpoints are set.',
    default: 'hardware',
  },
  initCommands: {
    type: 'array',
    description: 'gdb commands run after the symbols are loaded and before connecting to the stub.',
    items: { type: 'string' },
    default: [],
  },
  connectTimeout: {
    type: 'number',
    minimum: 100,
    description: 'Milliseconds to wait for the gdbstub to answer.',
    default: 5000,
  },
  exitTrace: {
    description:
      'A KVM trace (kvm:kvm_exit/kvm_entry events as ftrace, trace-cmd report or perf script print them) followed for the whole session: its statistics feed the VM Exits view and `hv exits`, and each stop reports the stopped vCPU\'s last exits. A path to a file (followed as it grows, from its start), a fifo or a unix socket file; "unix:/path" (connect to a listening socket); "tracefs" (this machine\'s own /sys/kernel/tracing, filtered to the debugged QEMU process; needs root) or "tracefs:PID". Or an object: { "source": ..., "from": "start" | "end", "vcpuColumn": "cpu" | "vcpu" }.',
    anyOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        required: ['source'],
        additionalProperties: false,
        properties: {
          source: {
            type: 'string',
            minLength: 1,
            description: 'The trace: a path, "unix:/path", "tracefs" or "tracefs:PID".',
          },
          from: {
            type: 'string',
            enum: ['start', 'end'],
            description: 'Where to start reading a file that already has lines (default start).',
            default: 'start',
          },
          vcpuColumn: {
            type: 'string',
            enum: ['cpu', 'vcpu'],
            enumDescriptions: [
              "The trace's [cpu] column: the trace comes from inside the debugged guest (the guest is the hypervisor, as in the lab): its CPU n is vCPU n.",
              "KVM's vcpu_id: the trace comes from the host running the debugged guest (default for tracefs).",
            ],
            description: 'Which trace field names the debugged vCPU, for the last exits at a stop.',
          },
        } satisfies SchemaOf<ExitTraceSetting>,
      },
    ],
  },
} as const satisfies SchemaOf<CommonArguments>;

export const attachSchema = {
  type: 'object',
  required: ['target'],
  properties: {
    target: {
      type: 'string',
      description:
        'The gdbstub: "host:port" (QEMU -s listens on localhost:1234) or "unix:/path" (QEMU -gdb unix:/path,server,nowait).',
      pattern: '^(unix:/\\S+|[^:\\s]*:[0-9]{1,5})$',
      default: 'localhost:1234',
    },
    ...common,
  } satisfies SchemaOf<AttachArguments>,
} as const;

export const launchSchema = {
  type: 'object',
  required: ['qemu'],
  properties: {
    qemu: {
      type: 'object',
      description: 'How to start QEMU. hvdbg adds a gdbstub on a private unix socket and -S.',
      required: ['args'],
      additionalProperties: false,
      properties: {
        path: { type: 'string', description: 'The QEMU executable.', default: 'qemu-system-x86_64' },
        args: {
          type: 'array',
          items: { type: 'string' },
          description: 'QEMU arguments, one per item (never a shell string), without -s/-gdb.',
        },
        cwd: { type: 'string', description: 'Working directory for QEMU.' },
      } satisfies SchemaOf<QemuSettings>,
    },
    ...common,
  } satisfies SchemaOf<LaunchArguments>,
} as const;

/** A configuration problem, phrased with the attribute's name so the user knows what to fix. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = { attach: ajv.compile(attachSchema), launch: ajv.compile(launchSchema) };

function describe(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    return `"${path === '' ? missing : `${path}.${missing}`}" is required`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty?: string }).additionalProperty);
    return `"${path === '' ? extra : `${path}.${extra}`}" is not a known attribute`;
  }
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  const detail =
    allowed === undefined ? (error.message ?? 'is invalid') : `must be one of ${allowed.join(', ')}`;
  return `"${path}" ${detail}`;
}

/** Validates a request's arguments against the schema; throws a {@link ConfigurationError} naming the attribute. */
export function validateArguments(request: 'attach', args: unknown): AttachArguments;
export function validateArguments(request: 'launch', args: unknown): LaunchArguments;
export function validateArguments(
  request: 'attach' | 'launch',
  args: unknown,
): AttachArguments | LaunchArguments {
  const validate = validators[request];
  if (!validate(args)) {
    const first = validate.errors?.[0];
    throw new ConfigurationError(
      `Invalid hvdbg ${request} configuration: ${first === undefined ? 'unknown error' : describe(first)}.`,
    );
  }
  return args;
}
