// Acceptance: the packaged .vsix installed in real VS Code (code-server in Chromium), F5 pressed on the lab
// workspace, the Call Stack shows the vCPUs and a kernel frame. The screenshot is kept as
// test-artifacts/e2e-f5.png (also on failure, with VS Code's logs beside it).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { bootLab, type Lab } from '../lab/lab';
import { installCodeServer, startCodeServer, type CodeServer } from './codeServer';
import { LAB_CONFIG_NAME, writeLabWorkspace } from './labWorkspace';
import {
  artifactsDir,
  collapsePanes,
  keepFolder,
  notifications,
  screenshot,
  startDebugging,
  vsixPath,
  waitForCallStack,
} from './workbench';

/**
 * Where a vCPU of an idle guest is stopped: somewhere in the idle loop. No \b: the view's text content runs
 * the rows' labels together ("vCPU 0pv_native_safe_haltUnknown Source").
 */
const IDLE_FRAME =
  /pv_native_safe_halt|native_safe_halt|arch_safe_halt|default_idle|cpu_idle_poll|do_idle|cpu_startup_entry|mwait_idle/;

/** Screenshot, VS Code's logs, code-server's output and the guest console, for a failed run. */
async function keepFailureArtifacts(
  vs: CodeServer | undefined,
  lab: Lab | undefined,
  diagnostic: (line: string) => void,
): Promise<void> {
  const dir = artifactsDir();
  if (vs !== undefined) {
    await screenshot(vs.page, 'e2e-f5').catch(() => undefined);
    const shown = await notifications(vs.page).catch(() => []);
    if (shown.length > 0) {
      diagnostic(`notifications: ${shown.join(' | ')}`);
    }
    keepFolder(vs.logsDir, 'e2e-f5-vscode-logs');
    fs.writeFileSync(path.join(dir, 'e2e-f5-code-server.log'), vs.output());
  }
  if (lab !== undefined) {
    fs.writeFileSync(path.join(dir, 'e2e-f5-console.log'), lab.console.lines.join('\n'));
  }
  diagnostic(`artifacts in ${dir}`);
}

test(
  'F5 on the lab workspace shows the vCPUs and a kernel frame in the Call Stack',
  { timeout: 25 * 60_000 },
  async (t) => {
    const vsix = vsixPath();
    const started = Date.now();
    const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;

    // Cold machines install code-server (about a minute) while the lab boots.
    let lab: Lab | undefined;
    let workspace: string | undefined;
    let vs: CodeServer | undefined;
    try {
      const [installed, booted] = await Promise.allSettled([installCodeServer(), bootLab()]);
      lab = booted.status === 'fulfilled' ? booted.value : undefined;
      for (const result of [installed, booted]) {
        if (result.status === 'rejected') {
          throw result.reason instanceof Error ? result.reason : new Error(String(result.reason));
        }
      }
      assert.ok(lab !== undefined);
      t.diagnostic(`lab ready (${lab.manifest.kernelVersion}) at ${elapsed()}`);
      workspace = writeLabWorkspace(lab);
      vs = await startCodeServer({ workspace, vsix });
      t.diagnostic(`workbench at ${vs.url} at ${elapsed()}`);

      await startDebugging(vs.page, LAB_CONFIG_NAME);
      t.diagnostic(`debug session started at ${elapsed()}`);
      // Room for both vCPUs and vCPU 0's dozen frames (the view renders only the rows that fit).
      await collapsePanes(vs.page, ['Variables', 'Watch']);
      // gdb loads the 587 MB vmlinux, attaches, and the adapter lists the vCPUs and unwinds vCPU 0.
      const callStack = await waitForCallStack(vs.page, {
        threads: ['vCPU 0', 'vCPU 1'],
        expand: 'vCPU 0',
        frame: IDLE_FRAME,
        timeoutMs: 180_000,
      });
      t.diagnostic(`Call Stack at ${elapsed()}: ${callStack.replace(/\n/g, ' | ')}`);
      assert.match(callStack, /vCPU 0/);
      assert.match(callStack, /vCPU 1/);
      assert.match(callStack, IDLE_FRAME);
      const shot = await screenshot(vs.page, 'e2e-f5');
      t.diagnostic(`screenshot: ${shot}`);
    } catch (error) {
      await keepFailureArtifacts(vs, lab, (line) => t.diagnostic(line));
      throw error;
    } finally {
      await vs?.stop();
      await lab?.stop();
      if (workspace !== undefined) {
        fs.rmSync(workspace, { recursive: true, force: true });
      }
    }
  },
);
