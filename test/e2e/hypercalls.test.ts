// Acceptance: the Hypercalls, Hypercall Sites and Paravirt views in real VS Code (code-server in
// Chromium) on the lab guest running its KVM program (an L2 guest issuing `vmmcall`s). F5 stops at attach;
// "Add hypercall breakpoint…" with KVM_HC_SCHED_YIELD; Continue stops in KVM's kvm_emulate_hypercall and
// the Hypercalls view shows the call decoded (name, number, arguments by name) and the VM exit being
// handled (VMMCALL, SVM exit code 0x81). The Hypercall Sites view lists the kernel's hypercall
// instructions by function and puts a breakpoint on one in one click; the Paravirt view shows pv_ops.
// Screenshots: test-artifacts/e2e-hypercalls.png, e2e-hypercall-sites.png, e2e-paravirt.png.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Locator } from 'playwright-core';
import { bootLab, type Lab } from '../lab/lab';
import { installCodeServer, startCodeServer, type CodeServer } from './codeServer';
import { LAB_CONFIG_NAME, writeLabWorkspace } from './labWorkspace';
import {
  artifactsDir,
  collapsePanes,
  keepFolder,
  notifications,
  openPane,
  rowText,
  runCommand,
  screenshot,
  startDebugging,
  vsixPath,
  waitForCallStack,
  widenSideBar,
} from './workbench';

const text = async (locator: Locator): Promise<string> =>
  (await locator.innerText()).replace(/\s+/g, ' ').trim();

test(
  'the Hypercalls views decode the call KVM handles, list the sites, show pv_ops',
  { timeout: 25 * 60_000 },
  async (t) => {
    const vsix = vsixPath();
    const started = Date.now();
    const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    let lab: Lab | undefined;
    let workspace: string | undefined;
    let vs: CodeServer | undefined;
    try {
      const [installed, booted] = await Promise.allSettled([installCodeServer(), bootLab({ kvm: true })]);
      lab = booted.status === 'fulfilled' ? booted.value : undefined;
      for (const result of [installed, booted]) {
        if (result.status === 'rejected')
          throw result.reason instanceof Error ? result.reason : new Error(String(result.reason));
      }
      assert.ok(lab !== undefined);
      await lab.console.waitFor(/HVDBG-HC .*nr=/, 120_000);
      t.diagnostic(`lab running its KVM program at ${elapsed()}`);
      workspace = writeLabWorkspace(lab);
      vs = await startCodeServer({ workspace, vsix });
      const page = vs.page;
      await startDebugging(page, LAB_CONFIG_NAME);
      await waitForCallStack(page, {
        threads: ['vCPU 0'],
        expand: 'vCPU 0',
        frame: /\S/,
        timeoutMs: 180_000,
      });
      t.diagnostic(`stopped at attach at ${elapsed()}`);
      await collapsePanes(page, [
        'Variables',
        'Watch',
        'Call Stack',
        'Breakpoints',
        'VM Exits',
        'Page Tables',
      ]);
      const calls = await openPane(page, 'Hypercalls');

      // A hypercall breakpoint from the catalogue, verified by the adapter.
      await runCommand(page, 'hvdbg: Add hypercall breakpoint…');
      const pick = page.locator('.quick-input-widget input[placeholder^="A KVM_HC_"]');
      await pick.waitFor({ state: 'visible' });
      await pick.fill('KVM_HC_SCHED_YIELD');
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: /^KVM_HC_SCHED_YIELD/ })
        .first()
        .waitFor();
      await page.keyboard.press('Enter');
      const bp = calls.locator('.monaco-list-row', {
        hasText: /KVM_HC_SCHED_YIELD.*nr 11 · in kvm_emulate_hypercall/,
      });
      await bp.first().waitFor({ timeout: 60_000 });
      t.diagnostic(`breakpoint: ${await text(bp.first())}`);

      // Continue: KVM handles the L2 guest's next sched_yield.
      const toolbar = page.locator('.debug-toolbar');
      await toolbar.locator('.codicon-debug-continue').click();
      const call = calls.locator('.monaco-list-row', {
        hasText: /^KVM_HC_SCHED_YIELD\s*KVM · nr 0xb \(rax\) · in the hypervisor/,
      });
      await call.first().waitFor({ timeout: 180_000 });
      t.diagnostic(`call: ${await text(call.first())}`);
      await calls
        .locator('.monaco-list-row', { hasText: /^dest_apicid = 0x[0-9a-f]+/ })
        .first()
        .waitFor();
      await calls
        .locator('.monaco-list-row', { hasText: /^result: not yet/ })
        .first()
        .waitFor();
      const exit = calls.locator('.monaco-list-row', { hasText: /^VM exit: VMMCALL \(0x81\)\s*SVM/ });
      await exit.first().waitFor({ timeout: 60_000 });
      t.diagnostic(`exit: ${await text(exit.first())}`);
      const shown = await text(calls);
      assert.match(shown, /KVM_HC_SCHED_YIELD/);
      assert.match(shown, /VM exit: VMMCALL \(0x81\)/);
      await widenSideBar(page, 900);
      await exit.first().click();
      await calls
        .locator('.monaco-list-row', { hasText: /^EXITINFO1 = 0x/ })
        .first()
        .waitFor();

      // Step over (F10) through KVM's handler until the result is there (bounded: as many steps as the
      // integration test allows); each step is one stop, after which the view reads the call again.
      const result = calls.locator('.monaco-list-row', { hasText: /^result: (?!not yet)/ }).first();
      let steps = 0;
      for (; steps < 60; steps++) {
        await page.keyboard.press('F10');
        try {
          await result.waitFor({ timeout: 3_000 });
          break;
        } catch {
          // still stepping, or no result yet: step again
        }
      }
      const resultText = await text(result);
      t.diagnostic(`after ${steps + 1} steps: ${resultText}`);
      assert.match(resultText, /^result: \S+/);
      t.diagnostic(`screenshot: ${await screenshot(page, 'e2e-hypercalls')}`);

      // Hypercall Sites: the kernel's hypercall instructions by function; one click plants a breakpoint.
      await collapsePanes(page, ['Hypercalls']);
      const sites = await openPane(page, 'Hypercall Sites');
      await page
        .locator('.pane-header', { hasText: /Hypercall Sites/i })
        .filter({ hasText: /\d+ sites in \d+ functions/ })
        .first()
        .waitFor({ timeout: 180_000 });
      const sitesHeader = await text(page.locator('.pane-header', { hasText: /Hypercall Sites/i }).first());
      t.diagnostic(`sites: ${sitesHeader}`);
      const group = sites.locator('.monaco-list-row[aria-level="1"]').first();
      await group.click();
      const site = sites.locator('.monaco-list-row[aria-level="2"]').first();
      await site.waitFor({ timeout: 30_000 });
      const siteText = await rowText(site);
      t.diagnostic(`first site: ${siteText}`);
      const address = /^(0x[0-9a-f]+) /.exec(siteText)?.[1];
      assert.ok(address !== undefined, `no address in "${siteText}"`);
      assert.match(siteText, /vmcall|vmmcall/);
      await site.hover();
      await site.locator('.action-label[aria-label^="Add breakpoint at this hypercall site"]').click();
      t.diagnostic(`screenshot: ${await screenshot(page, 'e2e-hypercall-sites')}`);
      await collapsePanes(page, ['Hypercall Sites']);
      const breakpoints = await openPane(page, 'Breakpoints');
      await breakpoints
        .locator('.monaco-list-row', { hasText: `*${address}` })
        .first()
        .waitFor({ timeout: 30_000 });
      await collapsePanes(page, ['Breakpoints']);

      // Paravirt: pv_info.name and the pv_ops slots, grouped.
      const paravirt = await openPane(page, 'Paravirt');
      await page
        .locator('.pane-header', { hasText: /Paravirt/i })
        .filter({ hasText: /\d+ of \d+ paravirtualized/ })
        .first()
        .waitFor({ timeout: 120_000 });
      const pvHeader = await text(page.locator('.pane-header', { hasText: /Paravirt/i }).first());
      t.diagnostic(`paravirt: ${pvHeader}`);
      const groups: string[] = [];
      for (const row of await paravirt.locator('.monaco-list-row').all()) groups.push(await rowText(row));
      t.diagnostic(`groups: ${groups.join(' | ')}`);
      assert.ok(
        groups.some((g) => /^cpu \d+ of \d+ paravirtualized/.test(g)),
        'no cpu group',
      );
      assert.ok(
        groups.some((g) => /^mmu \d+ of \d+ paravirtualized/.test(g)),
        'no mmu group',
      );
      await paravirt.locator('.monaco-list-row', { hasText: /^mmu/ }).first().click();
      const cr3 = paravirt.locator('.monaco-list-row', { hasText: /^write_cr3/ }).first();
      await cr3.waitFor({ timeout: 30_000 });
      const slot = await rowText(cr3);
      t.diagnostic(`slot: ${slot}`);
      assert.match(slot, /^write_cr3 \S+ · (native|paravirtualized|other)$/);
      t.diagnostic(`screenshot: ${await screenshot(page, 'e2e-paravirt')}`);
    } catch (error) {
      if (vs !== undefined) {
        await screenshot(vs.page, 'e2e-hypercalls-failure').catch(() => undefined);
        const shown = await notifications(vs.page).catch(() => []);
        if (shown.length > 0) t.diagnostic(`notifications: ${shown.join(' | ')}`);
        keepFolder(vs.logsDir, 'e2e-hypercalls-vscode-logs');
        fs.writeFileSync(path.join(artifactsDir(), 'e2e-hypercalls-code-server.log'), vs.output());
      }
      throw error;
    } finally {
      await vs?.stop();
      await lab?.stop();
      if (workspace !== undefined) fs.rmSync(workspace, { recursive: true, force: true });
    }
  },
);
