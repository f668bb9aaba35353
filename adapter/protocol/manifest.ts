/**
 * The `contributes.debuggers` entry of package.json, generated from the schema in config.ts (the one
 * source of truth). `npm run schema` writes it; test/unit/manifest.test.ts fails when package.json drifts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { attachSchema, launchSchema } from './config';

/**
 * QEMU's arguments in hvdbg's launch examples (the configuration snippet and the initial configuration
 * the extension offers): TCG, `-cpu max` (AMD SVM, so the guest can run KVM), the kernel `kernel`, its
 * console on QEMU's stdio (the Debug Console). Written once, here.
 */
export function qemuLaunchArgs(kernel: string): string[] {
  return [
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-m',
    '512',
    '-kernel',
    kernel,
    '-append',
    'console=ttyS0 nokaslr',
    '-display',
    'none',
    '-serial',
    'stdio',
  ];
}

export function debuggerContribution() {
  return {
    type: 'hvdbg',
    label: 'hvdbg: hypervisor guest (QEMU/KVM gdbstub)',
    program: './dist/adapter.js',
    runtime: 'node',
    languages: ['c', 'cpp', 'asm', 'rust'],
    configurationAttributes: { attach: attachSchema, launch: launchSchema },
    initialConfigurations: [
      {
        type: 'hvdbg',
        request: 'attach',
        name: 'Attach to QEMU gdbstub',
        target: 'localhost:1234',
        program: '${workspaceFolder}/vmlinux',
      },
    ],
    configurationSnippets: [
      {
        label: 'hvdbg: Attach to QEMU gdbstub',
        description: 'Attach to a guest started with -s or -gdb unix:/path,server,nowait',
        body: {
          type: 'hvdbg',
          request: 'attach',
          name: 'Attach to QEMU gdbstub',
          target: '${1:localhost:1234}',
          program: '^"\\${workspaceFolder}/${2:vmlinux}"',
          stopOnAttach: true,
        },
      },
      {
        label: 'hvdbg: Launch QEMU and attach',
        description: 'Start QEMU with a private gdbstub and debug the guest from its first instruction',
        body: {
          type: 'hvdbg',
          request: 'launch',
          name: 'Launch QEMU and attach',
          program: '^"\\${workspaceFolder}/${1:vmlinux}"',
          qemu: {
            path: 'qemu-system-x86_64',
            args: qemuLaunchArgs('${2:bzImage}'),
          },
        },
      },
    ],
  };
}

/** Rewrites package.json's debugger contribution from the schema. */
export function writeManifest(packageJsonPath = 'package.json'): void {
  const manifest = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as {
    contributes?: { debuggers?: unknown[] };
  };
  manifest.contributes = { ...manifest.contributes, debuggers: [debuggerContribution()] };
  writeFileSync(packageJsonPath, `${JSON.stringify(manifest, null, 2)}\n`);
}
