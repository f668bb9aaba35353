// The workspace a user (or the e2e test, or the demo) opens to debug the lab guest: a folder whose
// .vscode/launch.json attaches hvdbg to the lab's gdbstub. The one place that spells that launch config.
import { transcriptFile } from '../integration/support/session';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Lab } from '../lab/lab';

export const LAB_CONFIG_NAME = 'Attach to lab guest';

const hex = (value: bigint): string => `0x${value.toString(16)}`;

/** A kernel module's symbols at the load addresses the guest printed (`symbolFiles` entry). */
function moduleSymbols(lab: Lab, file: string, module: string, text: bigint): Record<string, unknown> {
  const sections: Record<string, string> = {};
  for (const name of ['.data', '.bss', '.rodata']) {
    const address = lab.sections[module]?.[name];
    if (address !== undefined) {
      sections[name] = hex(address);
    }
  }
  return { path: file, address: hex(text), ...(Object.keys(sections).length > 0 ? { sections } : {}) };
}

/** The `attach` configuration for the lab guest (hvdbg's schema: adapter/protocol/config.ts). */
export function labLaunchConfig(lab: Lab): Record<string, unknown> {
  const manifest = lab.manifest;
  const symbolFiles: Record<string, unknown>[] = [];
  if (lab.kvmText !== undefined) {
    symbolFiles.push(moduleSymbols(lab, manifest.kvmKo, 'kvm', lab.kvmText));
  }
  if (lab.kvmAmdText !== undefined) {
    symbolFiles.push(moduleSymbols(lab, manifest.kvmAmdKo, 'kvm_amd', lab.kvmAmdText));
  }
  const sourceFileMap = Object.fromEntries(manifest.sourceMap.map(({ from, to }) => [from, to]));
  return {
    type: 'hvdbg',
    request: 'attach',
    name: LAB_CONFIG_NAME,
    target: `unix:${lab.gdbSocket}`,
    // The session's transcript: kept in test-artifacts/ when the test file fails.
    trace: transcriptFile(),
    program: manifest.vmlinux,
    stopOnAttach: true,
    ...(symbolFiles.length > 0 ? { symbolFiles } : {}),
    // Modules the guest loads later (and any not in symbolFiles) are found here by name.
    modulePath: [path.dirname(manifest.kvmKo)],
    ...(Object.keys(sourceFileMap).length > 0 ? { sourceFileMap } : {}),
    ...(manifest.sourceRoot ? { sourcePaths: [manifest.sourceRoot] } : {}),
  };
}

/** Writes a workspace folder (a fresh temp folder unless `dir` is given) with the lab's launch.json. */
export function writeLabWorkspace(lab: Lab, dir?: string): string {
  const folder = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hvdbg-ws-'));
  fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  const launch = { version: '0.2.0', configurations: [labLaunchConfig(lab)] };
  fs.writeFileSync(path.join(folder, '.vscode', 'launch.json'), `${JSON.stringify(launch, null, 2)}\n`);
  return folder;
}
