// Acceptance: the Page Tables and Memory Map views in real VS Code (code-server in Chromium) on the lab
// guest. F5 stops the guest at attach; the Page Tables tree shows the selected vCPU's CR3 and expands,
// level by level (the last present entry each time: the kernel's top of memory, where the fixmap is
// mapped with 4 KiB pages), down to a PTE with its physical address and decoded flags. "Translate
// address" on that page's address walks to the same physical address, and its memory opens through the
// adapter's `phys:` memory reference. The Memory Map lists merged ranges and filters them.
// Screenshots: test-artifacts/e2e-page-tables.png, e2e-memory-map.png (and e2e-page-tables-failure.png
// with VS Code's logs on failure).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
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

/** The focused row of a pane's tree: its text (label and description), depth, and whether it expands. */
async function focusedRow(
  pane: Locator,
): Promise<{ text: string; level: number; expandable: boolean; expanded: boolean }> {
  const row = pane.locator('.monaco-list-row.focused').first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const expanded = await row.getAttribute('aria-expanded');
  return {
    text: await rowText(row),
    level: Number(await row.getAttribute('aria-level')),
    expandable: expanded !== null,
    expanded: expanded === 'true',
  };
}

/**
 * Expands the focused row (at `level`) and moves to its first child once the adapter has sent the
 * children: ArrowRight expands a collapsed row and, on an expanded one, goes to its first child. The list
 * renders only the rows in view, so the focus (which scrolls) is what tells the children are there.
 */
async function expandFocused(page: Page, pane: Locator, level: number): Promise<void> {
  const child = pane.locator(`.monaco-list-row.focused[aria-level="${level + 1}"]`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    await page.keyboard.press('ArrowRight');
    try {
      await child.first().waitFor({ timeout: 1_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

const TABLE_LEVELS = /^(PML5E|PML4E|PDPTE|PDE) \d+/;

test(
  'the Page Tables tree walks to a PTE; the Memory Map lists and filters ranges',
  { timeout: 25 * 60_000 },
  async (t) => {
    const vsix = vsixPath();
    const started = Date.now();
    const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    let lab: Lab | undefined;
    let workspace: string | undefined;
    let vs: CodeServer | undefined;
    try {
      const [installed, booted] = await Promise.allSettled([installCodeServer(), bootLab()]);
      lab = booted.status === 'fulfilled' ? booted.value : undefined;
      for (const result of [installed, booted]) {
        if (result.status === 'rejected')
          throw result.reason instanceof Error ? result.reason : new Error(String(result.reason));
      }
      assert.ok(lab !== undefined);
      t.diagnostic(`lab ready (${lab.manifest.kernelVersion}, la57=${String(lab.la57)}) at ${elapsed()}`);
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
        'Hypercalls',
      ]);

      // --- Page Tables: the root, then the last present entry of each level down to a PTE.
      const tables = await openPane(page, 'Page Tables');
      const root = tables
        .locator('.monaco-list-row', { hasText: /CR3 0x[0-9a-f]+.*(4|5)-level paging/ })
        .first();
      await root.waitFor({ state: 'visible', timeout: 120_000 });
      const rootText = await rowText(root);
      t.diagnostic(`root: ${rootText}`);
      assert.match(rootText, lab.la57 === true ? /5-level paging \(LA57\)/ : /4-level paging/);
      // A click expands the root (and focuses the tree); the walk is then by keyboard, depth first from the
      // bottom: End goes to the last row, a collapsed table is expanded, anything else steps up a row.
      await root.click();
      await expandFocused(page, tables, Number(await root.getAttribute('aria-level')));
      await page.keyboard.press('End');
      let pte: string | undefined;
      const walked: string[] = [];
      for (let step = 0; step < 400; step++) {
        const row = await focusedRow(tables);
        if (/^PTE \d+/.test(row.text)) {
          pte = row.text;
          break;
        }
        if (row.expandable && !row.expanded) {
          walked.push(row.text);
          await expandFocused(page, tables, row.level);
          await page.keyboard.press('End');
        } else {
          await page.keyboard.press('ArrowUp');
        }
      }
      t.diagnostic(`walked: ${walked.join(' ⟶ ')}`);
      assert.ok(pte !== undefined, `no PTE reached; walked ${walked.join(' | ')}`);
      t.diagnostic(`PTE row: ${pte}`);
      assert.ok(
        walked.some((w) => TABLE_LEVELS.test(w)),
        'no table level expanded',
      );
      // `PTE 511 0xffff_ffff_ff7f_f000 – 0xffff_ffff_ff7f_ffff → 0x1234000 · P RW A D G XD · 4 KiB page`
      const m = /^PTE (\d+) (0x[0-9a-f_]+) – (0x[0-9a-f_]+) → (0x[0-9a-f]+) · (.+?) · 4 KiB page/.exec(pte);
      assert.ok(m !== null, `the PTE row lacks its range, physical address, flags or size: ${pte}`);
      const [, , start, end, physical, flags] = m as unknown as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      assert.match(flags, /\bP\b/);
      assert.equal(BigInt(end.replace(/_/g, '')) - BigInt(start.replace(/_/g, '')), 0xfffn);
      // Room for the descriptions, and the PTE's fields in its tooltip, for the screenshot.
      await widenSideBar(page, 900);
      await tables.locator('.monaco-list-row.focused').first().hover();
      const hover = page
        .locator('.monaco-hover, .workbench-hover')
        .filter({ hasText: 'maps a page' })
        .first();
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
      const fields = (await hover.innerText()).replace(/\s+/g, ' ');
      t.diagnostic(`PTE tooltip: ${fields}`);
      assert.match(fields, /^PTE \d+ = 0x[0-9a-f]+ \(maps a page\)/);
      t.diagnostic(`screenshot: ${await screenshot(page, 'e2e-page-tables')}`);
      // The toggle: not-present entries too (the expanded tables are read again), then off again.
      await page.mouse.move(0, 0);
      await tables.locator('.pane-header').hover();
      await tables.locator('.action-label[aria-label="Show not-present entries"]').click();
      const absent = tables.locator('.monaco-list-row', { hasText: /not present \(0x[0-9a-f]+\)/ }).first();
      await absent.waitFor({ timeout: 60_000 });
      t.diagnostic(`not present: ${await rowText(absent)}`);
      await tables.locator('.pane-header').hover();
      await tables.locator('.action-label[aria-label="Hide not-present entries"]').click();
      await absent.waitFor({ state: 'detached', timeout: 60_000 });

      // --- Translate address: the PTE's page, walked again by the adapter, lands on the same frame.
      const virtual = start.replace(/_/g, '');
      await runCommand(page, 'hvdbg: Translate address…');
      const addressBox = page.locator('.quick-input-widget input[placeholder="0xffffffff81000000"]');
      await addressBox.waitFor({ state: 'visible' });
      await addressBox.fill(virtual);
      await page.keyboard.press('Enter');
      const title = page.locator('.quick-input-widget .quick-input-title', { hasText: '→' });
      await title.waitFor({ state: 'visible', timeout: 60_000 });
      const summary = await title.innerText();
      t.diagnostic(`translate: ${summary}`);
      assert.equal(
        summary.startsWith(`${virtual} → ${physical}`),
        true,
        `${summary} is not ${virtual} → ${physical}`,
      );
      const steps = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
      t.diagnostic(`walk: ${steps.map((s) => s.replace(/\s+/g, ' ')).join(' | ')}`);
      assert.ok(
        steps.some((s) => /PTE\[\d+\] → /.test(s)),
        'the walk shows no PTE step',
      );
      // That page is the local APIC's MMIO (not RAM): the next translation is the kernel's _text, in RAM.
      await page.keyboard.press('Escape');
      const text = `0x${(lab.kernelText ?? 0xffffffff81000000n).toString(16)}`;
      await runCommand(page, 'hvdbg: Translate address…');
      await addressBox.waitFor({ state: 'visible' });
      await addressBox.fill(text);
      await page.keyboard.press('Enter');
      const textTitle = page.locator('.quick-input-widget .quick-input-title', { hasText: `${text} →` });
      await textTitle.waitFor({ state: 'visible', timeout: 60_000 });
      const textSummary = await textTitle.innerText();
      t.diagnostic(`translate: ${textSummary}`);
      const textPhysical = new RegExp(`^${text} → (0x[0-9a-f]+) \\(`).exec(textSummary)?.[1];
      assert.ok(textPhysical !== undefined, textSummary);
      // The first row opens the memory (phys:…); without the Hex Editor (not installable here) a hex dump
      // of its first 256 bytes, read by the adapter's readMemory on the `phys:` reference.
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Open memory at' }).first().click();
      const editor = page.locator('.editor-instance .view-lines').filter({ hasText: `phys:${textPhysical}` });
      await editor.first().waitFor({ timeout: 60_000 });
      const dump = (await editor.first().innerText()).replace(/\u00a0/g, ' ');
      t.diagnostic(`memory: ${dump.split('\n').slice(0, 4).join(' | ')}`);
      assert.match(
        dump,
        new RegExp(`phys:${textPhysical} \\(${textPhysical}\\): 256 bytes, read at the stop`),
      );
      const first = BigInt(textPhysical).toString(16).padStart(16, '0');
      assert.match(dump, new RegExp(`^${first}  ([0-9a-f]{2} ){8} ([0-9a-f]{2} ){8} \\|`, 'm'));

      // --- Memory Map: merged ranges with stats, then a filter.
      await collapsePanes(page, ['Page Tables']);
      const mapPane = await openPane(page, 'Memory Map');
      const mapHeader = mapPane.locator('.pane-header').first();
      await mapPane
        .locator('.monaco-list-row', { hasText: /→ 0x[0-9a-f]+ · / })
        .first()
        .waitFor({ timeout: 120_000 });
      await page
        .locator('.pane-header', { hasText: /Memory Map/i })
        .filter({ hasText: /[\d,]+ ranges/ })
        .first()
        .waitFor({ timeout: 60_000 });
      const description = (await mapHeader.innerText()).replace(/\s+/g, ' ');
      t.diagnostic(`memory map: ${description}`);
      const ranges = Number(/([\d,]+) ranges/.exec(description)?.[1]?.replace(/,/g, '') ?? NaN);
      assert.ok(ranges >= 10, `only ${ranges} ranges`);
      const rows = await mapPane.locator('.monaco-list-row').allInnerTexts();
      assert.ok(rows.some((r) => /0x[0-9a-f_]+ – 0x[0-9a-f_]+/.test(r) && /\d (KiB|MiB|GiB) pages/.test(r)));
      t.diagnostic(`screenshot: ${await screenshot(page, 'e2e-memory-map')}`);

      await runCommand(page, 'hvdbg: Filter memory map…');
      const filterBox = page.locator('.quick-input-widget input[placeholder^="0xffffffff80000000-"]');
      await filterBox.waitFor({ state: 'visible' });
      await filterBox.fill('0xffffffff80000000- x');
      await page.keyboard.press('Enter');
      await page
        .locator('.pane-header', { hasText: /Memory Map/i })
        .filter({ hasText: /0xffffffff80000000–end · x/ })
        .first()
        .waitFor({ timeout: 60_000 });
      const filtered = (await mapPane.locator('.monaco-list-row').allInnerTexts()).map((r) =>
        r.replace(/\s+/g, ' '),
      );
      t.diagnostic(`executable kernel ranges: ${filtered.join(' | ')}`);
      assert.ok(filtered.length > 0, 'no executable range in the kernel half');
      for (const r of filtered) {
        assert.match(r, /^0xffff_ffff_[89a-f]/, `${r} is below the filter's start`);
        assert.match(r, /· [-u]r[-w]x · /, `${r} is not executable`);
      }

      // --- The Variables view's context menu: "Translate address…" on a register's value.
      await collapsePanes(page, ['Memory Map']);
      const variables = await openPane(page, 'Variables');
      const registers = variables.locator('.monaco-list-row', { hasText: /^Registers/ }).first();
      await registers.waitFor({ timeout: 60_000 });
      if ((await registers.getAttribute('aria-expanded')) === 'false') await registers.click();
      const rip = variables.locator('.monaco-list-row', { hasText: /^rip\b/ }).first();
      await rip.waitFor({ timeout: 60_000 });
      const ripText = (await rip.innerText()).replace(/\s+/g, ' ');
      const ripValue = /0x[0-9a-f]+/.exec(ripText)?.[0];
      assert.ok(ripValue !== undefined, `no address in "${ripText}"`);
      await rip.click({ button: 'right' });
      // Monaco's context menu ignores a click that comes too soon after it opens: hover, then Enter.
      const item = page.locator('.monaco-menu .action-label', { hasText: 'Translate address…' }).first();
      await item.hover();
      await page.locator('.monaco-menu .action-item.focused', { hasText: 'Translate address…' }).waitFor();
      await page.keyboard.press('Enter');
      const ripAddress = `0x${BigInt(ripValue).toString(16)}`;
      const ripTitle = page.locator('.quick-input-widget .quick-input-title', { hasText: `${ripAddress} →` });
      await ripTitle.waitFor({ state: 'visible', timeout: 60_000 });
      t.diagnostic(`Variables › ${ripText} › Translate address: ${await ripTitle.innerText()}`);
      await page.keyboard.press('Escape');
    } catch (error) {
      if (vs !== undefined) {
        await screenshot(vs.page, 'e2e-page-tables-failure').catch(() => undefined);
        const shown = await notifications(vs.page).catch(() => []);
        if (shown.length > 0) t.diagnostic(`notifications: ${shown.join(' | ')}`);
        keepFolder(vs.logsDir, 'e2e-page-tables-vscode-logs');
        fs.writeFileSync(path.join(artifactsDir(), 'e2e-page-tables-code-server.log'), vs.output());
      }
      throw error;
    } finally {
      await vs?.stop();
      await lab?.stop();
      if (workspace !== undefined) fs.rmSync(workspace, { recursive: true, force: true });
    }
  },
);
