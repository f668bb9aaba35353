/**
 * DAP's `modules` request and `module` events against the real lab: vmlinux (KASLR on) first, then the
 * modules the guest loaded, each where the guest itself says it is (/proc/kallsyms, /sys/module/NAME/
 * sections/.text and coresize, read on its shell); kvm_amd unloaded and loaded again while the guest runs.
 */
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { bootLab, type Lab } from '../lab/lab';
import { ADAPTER, attach, repl, request, startClient, stopAfter } from './support/session';

const GUEST_TIMEOUT_MS = 120_000;

/** The configuration a user writes: vmlinux and the directories of the modules, no addresses. */
function modulesConfig(lab: Lab): Record<string, unknown> {
  const m = lab.manifest;
  // The -dbg modules (kvm, kvm-amd) first; irqbypass.ko is only among the stripped ones (symbols, no DWARF).
  return {
    target: `unix:${lab.gdbSocket}`,
    program: m.vmlinux,
    modulePath: [dirname(m.kvmKo), dirname(m.modules.irqbypass)],
  };
}

const hex = (value: bigint): string => `0x${value.toString(16)}`;

/** Runs `command` on the guest's shell; resolves with the `HVDBG-MOD <tag> ...` line it prints. */
async function guest(lab: Lab, tag: string, command: string): Promise<string> {
  const line = lab.console.waitForNext(new RegExp(`^HVDBG-MOD ${tag} (\\S.*)$`), GUEST_TIMEOUT_MS);
  lab.console.write(`${command}\n`);
  const match = await line;
  return match[1] ?? '';
}

/** The range the guest gives a module: its .text in sysfs, its core size. */
async function guestRange(lab: Lab, name: string): Promise<string> {
  const sys = `/sys/module/${name}`;
  const said = await guest(
    lab,
    name,
    `echo HVDBG-MOD ${name} $(cat ${sys}/sections/.text) $(cat ${sys}/coresize)`,
  );
  const match = /^(0x[0-9a-f]+) (\d+)$/.exec(said);
  assert.ok(match?.[1] !== undefined && match[2] !== undefined, `the guest said "${said}" for ${name}`);
  const text = BigInt(match[1]);
  return `${hex(text)}-${hex(text + BigInt(match[2]))}`;
}

/** Every `module` event, and a wait for one that names what it waits for. */
function moduleEvents(dc: DebugClient) {
  const events: DebugProtocol.ModuleEvent[] = [];
  dc.on('module', (event: DebugProtocol.ModuleEvent) => events.push(event));
  return {
    events,
    /** The first `reason` event for module `id` from event number `from` on. */
    waitFor(reason: string, id: string, from: number, timeoutMs: number): Promise<DebugProtocol.ModuleEvent> {
      const match = (e: DebugProtocol.ModuleEvent): boolean =>
        e.body.reason === reason && e.body.module.id === id;
      const seen = events.slice(from).find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          dc.off('module', listener);
          const got = events.map((e) => `${e.body.reason} ${String(e.body.module.id)}`).join(', ');
          reject(new Error(`no "${reason}" module event for ${id} within ${timeoutMs} ms (got: ${got})`));
        }, timeoutMs);
        const listener = (e: DebugProtocol.ModuleEvent): void => {
          if (!match(e)) return;
          clearTimeout(timer);
          dc.off('module', listener);
          resolve(e);
        };
        dc.on('module', listener);
      });
    },
  };
}

async function modules(dc: DebugClient, args: DebugProtocol.ModulesArguments = {}) {
  return (await request<DebugProtocol.ModulesResponse>(dc, 'modules', args)).body;
}

describe(
  'DAP modules: vmlinux and the loaded modules, loads and unloads as module events',
  { timeout: 600_000 },
  () => {
    let lab: Lab;
    let dc: DebugClient;
    let watch: ReturnType<typeof moduleEvents>;
    const ranges = new Map<string, string>();

    before(async () => {
      // One vCPU: loading kvm_amd calls every CPU (see DESIGN.md on -smp 2 and KVM); no L2 guest to hold it.
      lab = await bootLab({ kvm: false, kaslr: true, cpus: 1, trace: false });
      const kernel = await guest(
        lab,
        'vmlinux',
        "echo HVDBG-MOD vmlinux 0x$(grep -m1 ' _text$' /proc/kallsyms | cut -d' ' -f1)-0x$(grep -m1 ' _etext$' /proc/kallsyms | cut -d' ' -f1)",
      );
      ranges.set('vmlinux', kernel);
      for (const name of ['irqbypass', 'kvm', 'kvm_amd']) ranges.set(name, await guestRange(lab, name));
      dc = await startClient(GUEST_TIMEOUT_MS);
      watch = moduleEvents(dc);
      await attach(dc, modulesConfig(lab));
    });

    after(async () => {
      await dc?.stop();
      await lab?.stop();
    });

    test('the capability is announced', async () => {
      const probe = new DebugClient('node', ADAPTER, 'hvdbg');
      await probe.start();
      try {
        const init = await probe.initializeRequest({ adapterID: 'hvdbg', pathFormat: 'path' });
        assert.equal(init.body?.supportsModulesRequest, true);
      } finally {
        await probe.stop();
      }
    });

    test('vmlinux first at its slid _text.._etext, then every module where sysfs says, symbols loaded', async () => {
      const m = lab.manifest;
      assert.ok(
        lab.kernelText !== undefined && lab.kernelText !== 0xffffffff81000000n,
        'KASLR did not slide',
      );
      const body = await modules(dc);
      assert.deepEqual(
        body.modules.map((x) => x.id),
        ['vmlinux', 'irqbypass', 'kvm', 'kvm_amd'],
      );
      assert.equal(body.totalModules, 4);
      const [vmlinux, irqbypass, kvm, kvmAmd] = body.modules;
      assert.equal(vmlinux?.name, 'vmlinux');
      assert.equal(vmlinux?.path, m.vmlinux);
      assert.equal(vmlinux?.symbolFilePath, m.vmlinux);
      assert.equal(vmlinux?.symbolStatus, 'symbols loaded');
      assert.equal(vmlinux?.addressRange, ranges.get('vmlinux'));
      assert.ok(vmlinux?.addressRange?.startsWith(hex(lab.kernelText)));
      assert.match(vmlinux?.version ?? '', new RegExp(`^${m.kernelVersion.replace(/\./g, '\\.')}$`));
      const files: Record<string, string> = {
        irqbypass: m.modules.irqbypass,
        kvm: m.kvmKo,
        kvm_amd: m.kvmAmdKo,
      };
      for (const module of [irqbypass, kvm, kvmAmd]) {
        assert.ok(module !== undefined);
        const name = String(module.id);
        assert.deepEqual(
          module,
          {
            id: name,
            name,
            path: files[name],
            symbolFilePath: files[name],
            symbolStatus: 'symbols loaded',
            addressRange: ranges.get(name),
          },
          name,
        );
      }
      // The ranges start where the lab's own readiness lines put .text.
      assert.ok(lab.kvmText !== undefined && lab.kvmAmdText !== undefined);
      assert.ok(kvm?.addressRange?.startsWith(`${hex(lab.kvmText)}-`));
      assert.ok(kvmAmd?.addressRange?.startsWith(`${hex(lab.kvmAmdText)}-`));
      assert.equal(lab.sections['kvm_amd']?.['.text'], lab.kvmAmdText);
      assert.deepEqual(watch.events, [], 'module events for what was there at attach');
    });

    test('paging: startModule 1, moduleCount 1 is the second module, with the total', async () => {
      const page = await modules(dc, { startModule: 1, moduleCount: 1 });
      assert.deepEqual(
        page.modules.map((x) => x.id),
        ['irqbypass'],
      );
      assert.equal(page.totalModules, 4);
      const rest = await modules(dc, { startModule: 2 });
      assert.deepEqual(
        rest.modules.map((x) => x.id),
        ['kvm', 'kvm_amd'],
      );
    });

    test('rmmod kvm_amd while the guest runs sends "removed"; insmod sends "new" at its new place', async () => {
      const from = watch.events.length;
      await dc.continueRequest({ threadId: 0 });
      const removed = watch.waitFor('removed', 'kvm_amd', from, GUEST_TIMEOUT_MS);
      assert.equal(await guest(lab, 'rmmod', 'rmmod kvm_amd; echo HVDBG-MOD rmmod status=$?'), 'status=0');
      const gone = await removed;
      assert.equal(gone.body.module.name, 'kvm_amd');

      const added = watch.waitFor('new', 'kvm_amd', from, GUEST_TIMEOUT_MS);
      assert.equal(
        await guest(lab, 'insmod', 'insmod /lib/modules/kvm-amd.ko; echo HVDBG-MOD insmod status=$?'),
        'status=0',
      );
      const range = await guestRange(lab, 'kvm_amd');
      const back = (await added).body.module;
      assert.equal(back.addressRange, range);
      assert.equal(back.symbolStatus, 'symbols loaded');
      assert.equal(back.symbolFilePath, lab.manifest.kvmAmdKo);
      assert.deepEqual(
        watch.events.slice(from).map((e) => `${e.body.reason} ${String(e.body.module.id)}`),
        ['removed kvm_amd', 'new kvm_amd'],
      );

      const stop = await stopAfter(dc, () => dc.pauseRequest({ threadId: 0 }));
      assert.equal(stop.body.reason, 'pause');
      const body = await modules(dc);
      assert.deepEqual(
        body.modules.map((x) => x.id),
        ['vmlinux', 'irqbypass', 'kvm', 'kvm_amd'],
      );
      assert.equal(body.modules[3]?.addressRange, range);
      // gdb has kvm-amd.ko's symbols again, at the new address.
      const text = range.split('-')[0] ?? '';
      assert.match(await repl(dc, `info symbol ${text}`), /in section \.text of .*kvm-amd\.ko/);
    });

    test('without a program there is no kernel awareness: an empty list, not an error', async () => {
      await dc.disconnectRequest({ terminateDebuggee: false });
      await dc.stop();
      dc = await startClient(GUEST_TIMEOUT_MS);
      await attach(dc, { target: `unix:${lab.gdbSocket}` });
      const body = await modules(dc, { startModule: 0, moduleCount: 10 });
      assert.deepEqual(body, { modules: [], totalModules: 0 });
    });
  },
);
