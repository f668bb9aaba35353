// Acceptance: VS Code's Disassembly view at a kernel stop, in real VS Code (code-server in Chromium) on the
// lab guest. F5 stops the idle guest at attach; "Open Disassembly View" shows real instructions (no `??`
// rows) with the current instruction marked (the codicon-debug-stackframe arrow in the breakpoint column
// and the top-stack-frame background) at the PC that the Debug Console's `print/x $pc` gives. The rows
// agree with gdb's own `x/Ni` (read in the Debug Console) by address and instruction text. A click in the
// breakpoint column of the idle loop's `hlt` row plants an instruction breakpoint (verified in the
// Breakpoints view); Continue (F5) stops there when a vCPU goes idle again, and the Call Stack, the view's
// current-instruction row and `print/x $pc` all say so. Screenshot: test-artifacts/e2e-disassembly.png
// (e2e-disassembly-failure.png with VS Code's logs, code-server's output and the guest console on failure).
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
  runCommand,
  screenshot,
  startDebugging,
  vsixPath,
  waitForCallStack,
} from './workbench';

/** Where a vCPU of an idle guest is stopped (as in f5.test.ts). */
const IDLE_FRAME =
  /pv_native_safe_halt|native_safe_halt|arch_safe_halt|default_idle|cpu_idle_poll|do_idle|cpu_startup_entry|mwait_idle/;

/** Mnemonics an x86 kernel's idle path and its neighbours are made of; some must show. */
const REAL_MNEMONICS = new Set([
  'mov',
  'ret',
  'jmp',
  'hlt',
  'sti',
  'cli',
  'call',
  'push',
  'pop',
  'int3',
  'nop',
]);

/** A locator wait with a name: on timeout the error says what never showed. */
async function waitNamed(
  what: string,
  locator: Locator,
  timeoutMs: number,
  state: 'visible' | 'attached' | 'hidden' = 'visible',
): Promise<void> {
  try {
    await locator.waitFor({ state, timeout: timeoutMs });
  } catch (error) {
    throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${String(error)}`);
  }
}

const hex = (value: bigint): string => `0x${value.toString(16)}`;
const squeeze = (s: string): string => s.replace(/\s+/g, ' ').trim();

// --- The Disassembly view, as rendered ---------------------------------------------------------------

/** One rendered row of the Disassembly view: the instruction cell's text and the breakpoint column's icon. */
interface ViewRow {
  index: number;
  address: bigint;
  bytes: string;
  /** gdb's AT&T text, whitespace squeezed ("jmp 0xffffffff81a17a09 <native_safe_halt+9>"). */
  instruction: string;
  mnemonic: string;
  /** The current-instruction arrow (codicon-debug-stackframe) of the focused thread's top frame. */
  current: boolean;
  /** A breakpoint dot (codicon-debug-breakpoint). */
  breakpoint: boolean;
  /** The instruction cell's background (VS Code paints the top stack frames' rows). */
  background: string;
  /** The raw text of the instruction cell. */
  text: string;
  /** The source lines VS Code shows above the instruction (debug.disassemblyView.showSourceCode). */
  source: string;
}

/** The structural slice of a DOM element the row snapshot reads (the project compiles without lib.dom). */
interface RowElement {
  readonly innerText: string;
  readonly className: string;
  readonly style: { readonly backgroundColor: string };
  getAttribute(name: string): string | null;
  querySelector(selector: string): RowElement | null;
}

const disassemblyView = (page: Page): Locator => page.locator('.disassembly-view');

/** The view's instruction cell: `address␣␣bytes␣␣instruction`, the bytes absent on `??` rows. */
const ROW_TEXT = /^(0x[0-9a-f]+) +(?:((?:[0-9a-f]{2} )*[0-9a-f]{2}) {2,})?(\S.*)$/;

/** The rendered rows (the view renders only those in sight), in one snapshot, by their order in the view. */
async function viewRows(page: Page): Promise<ViewRow[]> {
  const raw = await disassemblyView(page)
    .locator('.monaco-list-row')
    .evaluateAll((elements: RowElement[]) =>
      elements.map((e) => {
        const cell = e.querySelector('.instruction');
        return {
          index: Number(e.getAttribute('data-index')),
          text: cell?.innerText ?? '',
          icon: e.querySelector('.codicon')?.className ?? '',
          background: cell?.style.backgroundColor ?? '',
          source: e.querySelector('.sourcecode')?.innerText ?? '',
        };
      }),
    );
  const rows: ViewRow[] = [];
  for (const r of raw) {
    const m = ROW_TEXT.exec(r.text.trim());
    if (m === null) continue; // "Disassembly not available." before the first answer
    const instruction = squeeze(m[3] ?? '');
    const icons = r.icon.split(/\s+/);
    rows.push({
      index: r.index,
      address: BigInt(m[1] ?? '0'),
      bytes: m[2] ?? '',
      instruction,
      mnemonic: instruction.split(' ')[0] ?? '',
      current: icons.includes('codicon-debug-stackframe'),
      breakpoint: icons.includes('codicon-debug-breakpoint'),
      background: r.background,
      text: r.text,
      source: r.source.trim(),
    });
  }
  return rows.sort((a, b) => a.index - b.index);
}

/** The row whose address text is `address`: the way the test acts on rows (never by position). */
function rowAt(page: Page, address: bigint): Locator {
  return disassemblyView(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.instruction', { hasText: new RegExp(`^${hex(address)} `) }) })
    .first();
}

/** The row the view marks as the focused thread's current instruction, once it shows a real instruction. */
function currentRow(page: Page): Locator {
  return disassemblyView(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.codicon-debug-stackframe') })
    .filter({ has: page.locator('.instruction', { hasText: /^0x[0-9a-f]+ +[0-9a-f]{2}/ }) })
    .first();
}

const describeRows = (rows: readonly ViewRow[]): string =>
  rows.map((r) => `${r.current ? '=>' : '  '}${r.breakpoint ? '●' : ' '} ${squeeze(r.text)}`).join('\n');

/** The Call Stack's selected frame (the focused one), its position under its thread, and that thread. */
async function selectedFrameThread(
  page: Page,
): Promise<{ vcpu: string; state: string; frame: string; posinset: string }> {
  const rows = await page
    .locator('.debug-call-stack .monaco-list-row')
    .evaluateAll((elements: RowElement[]) =>
      elements.map((e) => ({
        index: Number(e.getAttribute('data-index')),
        selected: e.className.split(/\s+/).includes('selected'),
        posinset: e.getAttribute('aria-posinset') ?? '',
        thread: e.querySelector('.thread .name')?.innerText ?? undefined,
        state: e.querySelector('.thread .state')?.innerText ?? '',
        frame: e.querySelector('.stack-frame .label')?.innerText ?? undefined,
      })),
    );
  rows.sort((a, b) => a.index - b.index);
  const at = rows.findIndex((r) => r.selected && r.frame !== undefined);
  assert.ok(at >= 0, 'no selected frame in the Call Stack');
  const thread = rows
    .slice(0, at)
    .reverse()
    .find((r) => r.thread !== undefined);
  assert.ok(thread?.thread !== undefined, 'the selected frame has no thread row above it');
  return {
    vcpu: thread.thread.trim(),
    state: thread.state.trim(),
    frame: (rows[at]?.frame ?? '').trim(),
    posinset: rows[at]?.posinset ?? '',
  };
}

// --- The Debug Console ---------------------------------------------------------------------------------

/** Opens the Debug Console (the panel) and returns it. */
async function openDebugConsole(page: Page): Promise<Locator> {
  const repl = page.locator('.repl');
  if (!(await repl.locator('.repl-input-wrapper').isVisible())) {
    await runCommand(page, 'Focus on Debug Console View');
  }
  await waitNamed('the Debug Console input', repl.locator('.repl-input-wrapper'), 30_000);
  return repl;
}

/**
 * Runs `line` in the Debug Console as a user does (typed into its input, Enter) and returns the result the
 * console shows. The console is cleared first (its title bar's Clear Console), so that the one result in it
 * is this line's.
 */
async function consoleRun(page: Page, line: string, timeoutMs = 60_000): Promise<string> {
  const repl = await openDebugConsole(page);
  await page.locator('.part.panel .action-label.codicon-debug-console-clear-all').first().click();
  await waitNamed(
    'an empty Debug Console after Clear Console',
    repl.locator('.monaco-list-row').first(),
    10_000,
    'hidden',
  );
  await repl.locator('.repl-input-wrapper').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  const echo = repl.locator('.monaco-list-row', {
    has: page.locator('.codicon-debug-console-evaluation-input'),
  });
  await waitNamed(`the Debug Console's echo of "${line}"`, echo.filter({ hasText: line }).first(), 10_000);
  const result = repl.locator('.monaco-list-row .evaluation-result').first();
  await waitNamed(`the Debug Console's result of "${line}"`, result, timeoutMs);
  return (await result.innerText()).trim();
}

/** `print/x $pc` in the Debug Console: "$1 = 0xffffffff81a17a0b". */
async function consolePc(page: Page): Promise<bigint> {
  const shown = await consoleRun(page, 'print/x $pc');
  const m = /^\$\d+ = (0x[0-9a-f]+)$/.exec(shown);
  assert.ok(m?.[1] !== undefined, `print/x $pc showed "${shown}"`);
  return BigInt(m[1]);
}

/** One line of gdb's `x/Ni`: "=> 0xffffffff81a17a0b <native_safe_halt+11>:\tret". */
interface GdbInsn {
  address: bigint;
  symbol: string | undefined;
  instruction: string;
}

/** `x/Ni where` in the Debug Console, parsed. */
async function consoleInstructions(page: Page, count: number, where: string): Promise<GdbInsn[]> {
  const shown = await consoleRun(page, `x/${count}i ${where}`);
  const insns: GdbInsn[] = [];
  for (const line of shown.split('\n')) {
    const m = /^(?:=>)?\s*(0x[0-9a-f]+)(?: <([^>]+)>)?:\s+(\S.*)$/.exec(line);
    if (m === null) continue;
    insns.push({ address: BigInt(m[1] ?? '0'), symbol: m[2], instruction: squeeze(m[3] ?? '') });
  }
  assert.equal(insns.length, count, `x/${count}i ${where} showed:\n${shown}`);
  return insns;
}

/** The view's rows agree with gdb's x/i lines: each address rendered, with the same instruction text. */
function compareWithGdb(rows: readonly ViewRow[], gdb: readonly GdbInsn[]): string[] {
  const compared: string[] = [];
  for (const insn of gdb) {
    const row = rows.find((r) => r.address === insn.address);
    assert.ok(
      row !== undefined,
      `no row at ${hex(insn.address)} (gdb: ${insn.instruction}) in\n${describeRows(rows)}`,
    );
    assert.equal(row.instruction, insn.instruction, `the row at ${hex(insn.address)} differs from gdb's x/i`);
    assert.equal(row.mnemonic, insn.instruction.split(' ')[0]);
    compared.push(`${hex(insn.address)} <${insn.symbol ?? '?'}> ${row.instruction}`);
  }
  return compared;
}

// --- The test ------------------------------------------------------------------------------------------

test(
  'the Disassembly view shows the kernel instructions at the stop and stops at an instruction breakpoint',
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
      t.diagnostic(`lab ready (${lab.manifest.kernelVersion}) at ${elapsed()}`);
      workspace = writeLabWorkspace(lab);
      vs = await startCodeServer({ workspace, vsix });
      const page = vs.page;
      await startDebugging(page, LAB_CONFIG_NAME);
      // Room for the Call Stack and the Breakpoints view; the hvdbg views are not needed here.
      const unused = ['Variables', 'Watch', 'VM Exits', 'Page Tables', 'Hypercalls'];
      await collapsePanes(page, unused);
      await waitForCallStack(page, {
        threads: ['vCPU 0', 'vCPU 1'],
        expand: 'vCPU 0',
        frame: IDLE_FRAME,
        timeoutMs: 180_000,
      });
      await collapsePanes(page, unused);
      t.diagnostic(`stopped at attach at ${elapsed()}`);

      // The PC, as gdb evaluates it (nothing of the disassembly path), and gdb's own listing from it.
      const pc = await consolePc(page);
      const fromPc = await consoleInstructions(page, 5, '$pc');
      assert.equal(fromPc[0]?.address, pc);
      const at = /^(.+)\+(\d+)$/.exec(fromPc[0]?.symbol ?? '');
      assert.ok(at?.[1] !== undefined && at[2] !== undefined, `x/5i $pc gave no <func+off> for the PC`);
      const func = at[1];
      const funcStart = pc - BigInt(at[2]);
      t.diagnostic(`PC ${hex(pc)} <${func}+${at[2]}> at ${elapsed()}`);

      // --- The Disassembly view at the stop.
      let opened = false;
      for (let attempt = 0; attempt < 3 && !opened; attempt++) {
        await runCommand(page, 'Open Disassembly View');
        opened = await disassemblyView(page)
          .waitFor({ state: 'visible', timeout: 15_000 })
          .then(() => true)
          .catch(() => false);
      }
      assert.ok(opened, '"Open Disassembly View" opened no Disassembly view');
      await waitNamed('the current-instruction row in the Disassembly view', currentRow(page), 60_000);
      await waitNamed(`the row at ${hex(funcStart)} (${func}+0)`, rowAt(page, funcStart), 30_000);
      const rows = await viewRows(page);
      t.diagnostic(`Disassembly view at ${elapsed()}: ${rows.length} rows rendered`);
      for (const line of describeRows(rows).split('\n')) t.diagnostic(line);
      t.diagnostic(`rows with source lines: ${rows.filter((r) => r.source !== '').length}`);
      assert.ok(rows.length >= 10, `only ${rows.length} rows rendered`);
      const unknown = rows.filter((r) => r.instruction === '??' || r.bytes === '');
      assert.deepEqual(unknown, [], `rows without an instruction:\n${describeRows(unknown)}`);
      const mnemonics = new Set(rows.map((r) => r.mnemonic));
      assert.ok(
        [...mnemonics].filter((m) => REAL_MNEMONICS.has(m)).length >= 3,
        `few real mnemonics: ${[...mnemonics].join(' ')}`,
      );
      // VS Code 1.100 does not render the DAP `symbol` column; gdb's text names branch targets `<func+off>`.
      assert.ok(
        rows.some((r) => /<[\w.]+\+\d+>/.test(r.instruction)),
        `no <func+off> in any row:\n${describeRows(rows)}`,
      );

      // The current instruction: one row marked, at the PC, painted with the top-stack-frame colour.
      const current = rows.filter((r) => r.current);
      assert.equal(current.length, 1, `current-instruction rows:\n${describeRows(current)}`);
      assert.equal(hex(current[0]?.address ?? 0n), hex(pc), 'the marked row is not at the PC');
      assert.ok(
        !['', 'transparent', 'rgba(0, 0, 0, 0)'].includes(current[0]?.background ?? ''),
        `the current row is not highlighted (background "${current[0]?.background ?? ''}")`,
      );

      // The rows against gdb's x/i: from the PC, and from the start of its function.
      const fromStart = await consoleInstructions(page, 6, hex(funcStart));
      const compared = [...compareWithGdb(rows, fromPc), ...compareWithGdb(rows, fromStart)];
      t.diagnostic("agrees with gdb's x/i:");
      for (const line of compared) t.diagnostic(line);

      // --- An instruction breakpoint where the idle vCPU goes next: at the stop the vCPU is halted just
      // after its `hlt` (sti; hlt; ret); the rows after the PC are int3 padding, never run. On the next
      // timer tick it wakes, returns through the idle loop and comes back to the same `hlt`.
      const hlt = [...rows]
        .reverse()
        .find((r) => r.mnemonic === 'hlt' && r.address < pc && r.address >= funcStart);
      assert.ok(hlt !== undefined, `no hlt before the PC in ${func}:\n${describeRows(rows)}`);
      t.diagnostic(`breakpoint on ${hex(hlt.address)} ${hlt.instruction}`);
      const target = rowAt(page, hlt.address);
      await target.locator('.monaco-table-td').first().click();
      await waitNamed(
        `the breakpoint dot on the row at ${hex(hlt.address)}`,
        target.filter({ has: page.locator('.codicon-debug-breakpoint') }),
        30_000,
      );
      const breakpoints = await openPane(page, 'Breakpoints');
      await waitNamed(
        `the verified instruction breakpoint ${hex(hlt.address)} in the Breakpoints view`,
        breakpoints
          .locator('.monaco-list-row', {
            has: page.locator('.name', { hasText: new RegExp(`^${hex(hlt.address)}$`) }),
          })
          .filter({ has: page.locator('.codicon-debug-breakpoint') })
          .first(),
        60_000,
      );
      t.diagnostic(`breakpoint verified at ${elapsed()}`);

      // Continue (F5, the debug state being "stopped"): a vCPU stops on the breakpoint; VS Code focuses it.
      await page.keyboard.press('F5');
      await waitNamed(
        'a vCPU "Paused on instruction breakpoint" in the Call Stack',
        page
          .locator('.debug-call-stack .monaco-list-row', {
            has: page.locator('.thread .state', { hasText: /instruction breakpoint/i }),
          })
          .first(),
        120_000,
      );
      // The view follows the focused frame: its current-instruction row is now the breakpoint's.
      const stopRow = currentRow(page).filter({
        has: page.locator('.instruction', { hasText: new RegExp(`^${hex(hlt.address)} `) }),
      });
      await waitNamed(`the current-instruction row at ${hex(hlt.address)}`, stopRow, 60_000);
      const after = await viewRows(page);
      const marked = after.filter((r) => r.current);
      assert.deepEqual(
        marked.map((r) => hex(r.address)),
        [hex(hlt.address)],
        `after the stop:\n${describeRows(after)}`,
      );
      assert.ok(marked[0]?.breakpoint, 'the stopped row shows no breakpoint dot');
      assert.ok(
        after.every((r) => r.instruction !== '??'),
        `?? after the stop:\n${describeRows(after)}`,
      );

      // The Call Stack: the focused (selected) frame is the top frame of the vCPU paused on the
      // instruction breakpoint, in the breakpoint's function.
      await waitNamed(
        `the selected frame in ${func} in the Call Stack`,
        page
          .locator('.debug-call-stack .monaco-list-row.selected', { has: page.locator('.stack-frame') })
          .filter({ hasText: func })
          .first(),
        60_000,
      );
      const focused = await selectedFrameThread(page);
      t.diagnostic(`${focused.vcpu} (${focused.state}) in ${focused.frame} at ${elapsed()}`);
      assert.match(
        focused.state,
        /instruction breakpoint/i,
        `the selected frame's thread is ${focused.vcpu}`,
      );
      assert.equal(focused.posinset, '1', `the selected frame (${focused.frame}) is not the top frame`);
      assert.match(focused.frame, new RegExp(`^${func}\\b`));
      const callStack = await waitForCallStack(page, {
        threads: ['vCPU 0', 'vCPU 1'],
        expand: focused.vcpu,
        frame: new RegExp(func),
        timeoutMs: 60_000,
      });
      t.diagnostic(`Call Stack: ${callStack.replace(/\n/g, ' | ')}`);

      // And gdb's PC, in the frame VS Code focused.
      const stopPc = await consolePc(page);
      assert.equal(hex(stopPc), hex(hlt.address), 'print/x $pc after the stop');
      t.diagnostic(`stopped at ${hex(stopPc)} (${hlt.instruction}) at ${elapsed()}`);
      t.diagnostic(`screenshot: ${await screenshot(page, 'e2e-disassembly')}`);
    } catch (error) {
      if (vs !== undefined) {
        await screenshot(vs.page, 'e2e-disassembly-failure').catch(() => undefined);
        const shown = await notifications(vs.page).catch(() => []);
        if (shown.length > 0) t.diagnostic(`notifications: ${shown.join(' | ')}`);
        keepFolder(vs.logsDir, 'e2e-disassembly-vscode-logs');
        fs.writeFileSync(path.join(artifactsDir(), 'e2e-disassembly-code-server.log'), vs.output());
      }
      if (lab !== undefined) {
        fs.writeFileSync(
          path.join(artifactsDir(), 'e2e-disassembly-console.log'),
          lab.console.lines.join('\n'),
        );
      }
      t.diagnostic(`artifacts in ${artifactsDir()}`);
      throw error;
    } finally {
      await vs?.stop();
      await lab?.stop();
      if (workspace !== undefined) fs.rmSync(workspace, { recursive: true, force: true });
    }
  },
);
