// Intent-level steps on VS Code's workbench page: start debugging, read the Call Stack, keep a screenshot.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot } from './codeServer';

/** The packaged extension the tests install (`HVDBG_VSIX`, else hvdbg.vsix at the repository root). */
export function vsixPath(): string {
  const vsix = process.env['HVDBG_VSIX'] ?? path.join(repoRoot(), 'hvdbg.vsix');
  assert.ok(fs.existsSync(vsix), `${vsix} is missing: run \`npm run build && npm run package\` first`);
  return vsix;
}

/** Runs a command by its title from the command palette (F1). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** A pane of Run and Debug by its title: opened (expanded) and returned (the header's parent). */
export async function openPane(page: Page, title: string): Promise<Locator> {
  const titled = { has: page.locator('.title', { hasText: new RegExp(`^${title}$`, 'i') }) };
  const header = page.locator('.pane-header').filter(titled).first();
  await header.waitFor({ state: 'visible', timeout: 60_000 });
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  await page
    .locator('.pane-header[aria-expanded="true"]')
    .filter(titled)
    .first()
    .waitFor({ timeout: 10_000 });
  return header.locator('xpath=..');
}

/** Drags the side bar's edge to `width` pixels (the trees' descriptions are long). */
export async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (box === null) throw new Error('no side bar');
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width - 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/**
 * Expands the first row of `pane` matching `hasText`. A tree that refreshes live (the VM Exits view)
 * may replace the row under the click, so the click is repeated until the row reports itself expanded.
 */
export async function expandRow(pane: Locator, hasText: RegExp, timeoutMs = 60_000): Promise<void> {
  const row = pane.locator('.monaco-list-row', { hasText }).first();
  const expanded = pane.locator('.monaco-list-row[aria-expanded="true"]', { hasText }).first();
  const deadline = Date.now() + timeoutMs;
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  while ((await row.getAttribute('aria-expanded')) !== 'true') {
    if (Date.now() > deadline)
      throw new Error(`the row ${String(hasText)} did not expand within ${timeoutMs} ms`);
    await row.click();
    await expanded.waitFor({ state: 'visible', timeout: 2_000 }).catch(() => undefined);
  }
}

/** A tree row as `label description` (the two are separate elements of VS Code's icon label). */
export async function rowText(row: Locator): Promise<string> {
  const label = row.locator('.label-name').first();
  const description = row.locator('.label-description').first();
  const parts = [
    (await label.count()) > 0 ? await label.innerText() : await row.innerText(),
    (await description.count()) > 0 ? await description.innerText() : '',
  ];
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/** test-artifacts/ at the repository root (CI keeps it). */
export function artifactsDir(): string {
  const dir = path.join(repoRoot(), 'test-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves a screenshot of the whole page as test-artifacts/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(artifactsDir(), `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Copies a folder (e.g. VS Code's logs) into test-artifacts/NAME/, best effort. */
export function keepFolder(folder: string, name: string): string {
  const dest = path.join(artifactsDir(), name);
  fs.rmSync(dest, { recursive: true, force: true });
  if (fs.existsSync(folder)) {
    fs.cpSync(folder, dest, { recursive: true });
  }
  return dest;
}

/** Gives the keyboard focus to the workbench (the editor area), so that keybindings such as F5 reach it. */
export async function focusWorkbench(page: Page): Promise<void> {
  const editor = page.locator('.part.editor');
  await editor.waitFor({ state: 'visible' });
  const box = await editor.boundingBox();
  if (box === null) {
    throw new Error('the editor area has no box');
  }
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/**
 * Presses F5 and waits until a debug session starts (the debug toolbar shows). F5 starts the selected
 * launch configuration only once the workbench knows a debugger (the `debuggersAvailable` context key,
 * set when the extension host has registered the extensions), which nothing on screen tells: until the
 * session starts, F5 is pressed again (it is bound to "start" only while no session runs, so a late first
 * press cannot turn into "continue").
 */
export async function startDebugging(
  page: Page,
  configurationName: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // The status bar names the selected configuration once launch.json has been read.
  await page
    .locator('.statusbar-item', { hasText: configurationName })
    .first()
    .waitFor({ timeout: timeoutMs });
  const toolbar = page.locator('.debug-toolbar');
  for (;;) {
    await focusWorkbench(page);
    await page.keyboard.press('F5');
    try {
      // Press again only if this F5 was lost: once a session runs, F5 means Continue. A loaded machine
      // can take seconds to show the toolbar of a session that did start.
      await toolbar.waitFor({ state: 'visible', timeout: 30_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`F5 started no debug session within ${timeoutMs / 1000} s: ${String(error)}`);
      }
    }
  }
}

/** Collapses the panes of the Run and Debug view named in `titles` (e.g. "Variables", "Watch") if open. */
export async function collapsePanes(page: Page, titles: readonly string[]): Promise<void> {
  for (const title of titles) {
    const header = page
      .locator('.pane-header[aria-expanded="true"]')
      .filter({ has: page.locator('.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
    if (await header.first().isVisible()) {
      await header.first().click();
      await header.first().waitFor({ state: 'hidden' });
    }
  }
}

export interface CallStackExpectation {
  /** Thread labels that must all show, e.g. ["vCPU 0", "vCPU 1"]. */
  threads: readonly string[];
  /** The thread whose frames are wanted: expanded if collapsed. */
  expand: string;
  /** Must match the view's text once `expand` is expanded (a frame's function name). */
  frame: RegExp;
  timeoutMs: number;
}

/**
 * Waits until the CALL STACK view shows the threads and, under `expand`, a frame matching `frame`; returns
 * the view's text. On timeout the error says what the view showed instead. The view renders only the rows
 * that fit: give it room (collapsePanes) when the stack is deep.
 */
export async function waitForCallStack(page: Page, expected: CallStackExpectation): Promise<string> {
  const deadline = Date.now() + expected.timeoutMs;
  const left = (): number => Math.max(1_000, deadline - Date.now());
  const tree = page.locator('.debug-call-stack');
  const shown = async (): Promise<string> =>
    (await tree.allInnerTexts().catch(() => [])).join('\n').trim() || '(no Call Stack view)';
  const threadRow = (name: string) =>
    tree.locator('.monaco-list-row', { has: page.locator('.thread .name', { hasText: name }) }).first();
  try {
    // Run and Debug opens by itself when the session stops; open it if it does not.
    if (!(await tree.isVisible())) {
      await tree.waitFor({ state: 'visible', timeout: Math.min(left(), 15_000) }).catch(async () => {
        await page.keyboard.press('Control+Shift+D');
        await tree.waitFor({ state: 'visible', timeout: left() });
      });
    }
    for (const name of expected.threads) {
      await threadRow(name).waitFor({ state: 'visible', timeout: left() });
    }
    const row = threadRow(expected.expand);
    await row.waitFor({ state: 'visible', timeout: left() });
    if ((await row.getAttribute('aria-expanded')) === 'false') {
      await row.locator('.monaco-tl-twistie').click();
    }
    await tree.filter({ hasText: expected.frame }).first().waitFor({ state: 'visible', timeout: left() });
  } catch (error) {
    const wanted = `${expected.threads.join(', ')} and ${String(expected.frame)} under ${expected.expand}`;
    throw new Error(`Call Stack never showed ${wanted}; it showed:\n${await shown()}\n${String(error)}`);
  }
  return shown();
}

/** Texts of the notifications on screen (errors from the extension or the debug adapter show there). */
export async function notifications(page: Page): Promise<string[]> {
  return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
}
