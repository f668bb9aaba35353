/**
 * Fills in defaults for `hvdbg` configurations and refuses to start one from an untrusted workspace:
 * a launch configuration names executables (gdbPath, qemu.path) that hvdbg would spawn.
 */
import * as vscode from 'vscode';
import { qemuLaunchArgs } from '../adapter/protocol/manifest';

export const INITIAL_CONFIGURATIONS: vscode.DebugConfiguration[] = [
  {
    type: 'hvdbg',
    request: 'attach',
    name: 'Attach to QEMU gdbstub',
    target: 'localhost:1234',
    program: '${workspaceFolder}/vmlinux',
    stopOnAttach: true,
  },
  {
    type: 'hvdbg',
    request: 'launch',
    name: 'Launch QEMU and attach',
    program: '${workspaceFolder}/vmlinux',
    qemu: {
      path: 'qemu-system-x86_64',
      args: qemuLaunchArgs('${workspaceFolder}/bzImage'),
    },
  },
];

export class HvdbgConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return INITIAL_CONFIGURATIONS;
  }

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage(
        'hvdbg does not start gdb or QEMU from an untrusted workspace. Trust this workspace to debug.',
      );
      return undefined;
    }
    if (config.type === undefined && config.request === undefined) {
      // F5 with no launch.json: offer the attach configuration.
      return INITIAL_CONFIGURATIONS[0];
    }
    return config;
  }
}
