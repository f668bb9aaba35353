// A KVM trace file in real VS Code (the packaged .vsix in code-server): the grammar colors it (the editor's
// DOM has differently classed spans for event names and exit reasons) and hovering a kvm_exit line shows
// the language server's decoding. The screenshot is kept as test-artifacts/e2e-trace-hover.png.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { repoRoot, startCodeServer, type CodeServer } from './codeServer';
import { artifactsDir, focusWorkbench, keepFolder, notifications, screenshot, vsixPath } from './workbench';

const FILE = 'guest-6.1-svm.kvmtrace';
/** The line hovered, and what its hover must say (SVM NPF: EXITINFO1 0x100000004, user read, not present). */
const HOVER_LINE = 'reason npf rip 0xffffffff81234567';
const HOVER_TEXT = /Nested page fault: user-mode read, page not present/;

/** Opens a workspace file through Quick Open and waits until the editor shows `expect`. */
async function openFile(page: Page, name: string, expect: string): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-lines', { hasText: expect }).first().waitFor({ timeout: 30_000 });
}

/**
 * The rendered token (a `span.mtkN`) whose whole text is `text` (Monaco renders spaces as no-break spaces),
 * on the editor line containing `line`.
 */
function token(page: Page, line: string, text: string): Locator {
  return page
    .locator('.monaco-editor .view-line', { hasText: line })
    .first()
    .locator('span[class^="mtk"]', {
      hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[ \\u00a0]')}$`),
    })
    .first();
}

test(
  'a trace file is highlighted and a kvm_exit line hovers with its decoding',
  { timeout: 10 * 60_000 },
  async (t) => {
    const vsix = vsixPath();
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'hvdbg-trace-ws-'));
    fs.copyFileSync(
      path.join(repoRoot(), 'test', 'fixtures', 'traces', 'ftrace-6.1-svm.txt'),
      path.join(workspace, FILE),
    );
    let vs: CodeServer | undefined;
    try {
      vs = await startCodeServer({
        workspace,
        vsix,
        settings: {
          'editor.minimap.enabled': false,
          'editor.hover.delay': 200,
          'workbench.colorTheme': 'Default Dark Modern',
        },
      });
      const page = vs.page;
      await openFile(page, FILE, 'kvm_exit');
      await page.locator('.statusbar-item', { hasText: 'KVM trace' }).first().waitFor({ timeout: 30_000 });

      // The grammar: tokenization is asynchronous, so wait until the event name is a token of its own.
      const event = token(page, HOVER_LINE, 'kvm_exit');
      await event.waitFor({ timeout: 30_000 });
      const reason = token(page, HOVER_LINE, 'npf');
      const hex = token(page, HOVER_LINE, '0x0000000100000004');
      const classes = {
        event: await event.getAttribute('class'),
        reason: await reason.getAttribute('class'),
        hex: await hex.getAttribute('class'),
        task: await token(page, HOVER_LINE, 'CPU 1/KVM').getAttribute('class'),
      };
      t.diagnostic(`token classes: ${JSON.stringify(classes)}`);
      // Monaco's mtkN classes index its color map: four classes, four colors.
      assert.equal(
        new Set(Object.values(classes)).size,
        4,
        `four differently colored tokens: ${JSON.stringify(classes)}`,
      );

      // The language server's outline: the exits grouped by vCPU (the Explorer's Outline pane).
      // Room for both groups: collapse the folder's pane, expand the Outline pane.
      const folderHeader = page.locator('.pane-header[aria-expanded="true"]', { hasText: /hvdbg-trace-ws/i });
      if (await folderHeader.first().isVisible()) await folderHeader.first().click();
      const outlineHeader = page.locator('.pane-header', { hasText: /^Outline/i }).first();
      if ((await outlineHeader.getAttribute('aria-expanded')) === 'false') await outlineHeader.click();
      const outline = page.locator('.outline-pane, .pane-body').filter({ hasText: 'vCPU 1' }).first();
      await outline.waitFor({ timeout: 60_000 });
      assert.match(await outline.innerText(), /vCPU 0[\s\S]*vCPU 1/);

      // The language server: hover the reason until the hover shows the decoding (the server starts with the language).
      const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: HOVER_TEXT });
      const deadline = Date.now() + 90_000;
      for (;;) {
        await page.mouse.move(0, 0);
        await reason.hover();
        try {
          await hover.first().waitFor({ state: 'visible', timeout: 3_000 });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`no hover with ${String(HOVER_TEXT)}: ${String(error)}`);
        }
      }
      // Let its fade-in end before the screenshot.
      await hover
        .first()
        .evaluate((e: { getAnimations(o: { subtree: boolean }): { finished: Promise<unknown> }[] }) =>
          Promise.all(e.getAnimations({ subtree: true }).map((a) => a.finished)),
        );
      const text = await hover.first().innerText();
      t.diagnostic(`hover: ${text.replace(/\n+/g, ' | ')}`);
      assert.match(text, /kvm_exit npf — Nested page fault \(SVM exit code 0x400\)/);
      assert.match(text, /vCPU 1 · guest RIP 0xffffffff81234567/);
      assert.match(text, /GPA 0x1a2b000/);
      const shot = await screenshot(page, 'e2e-trace-hover');
      t.diagnostic(`screenshot: ${shot}`);
    } catch (error) {
      if (vs !== undefined) {
        await screenshot(vs.page, 'e2e-trace-hover').catch(() => undefined);
        const shown = await notifications(vs.page).catch(() => []);
        if (shown.length > 0) t.diagnostic(`notifications: ${shown.join(' | ')}`);
        keepFolder(vs.logsDir, 'e2e-trace-vscode-logs');
        fs.writeFileSync(path.join(artifactsDir(), 'e2e-trace-code-server.log'), vs.output());
      }
      throw error;
    } finally {
      await vs?.stop();
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  },
);
