// `npm run lab`: boot the hvdbg lab for a human, print how to attach gdb, stay up until Ctrl-C.
import { parseArgs } from 'node:util';
import { bootLab, gdbCommandFor, shellQuote, type Lab } from './lab';

const usage = `usage: npm run lab -- [options]
  --no-kvm          do not start the L2 hypercall loop
  --kvm-args ARGS   arguments for kvm-hypercall, e.g. "-p 5000" or "-m real"
  --kaslr           boot with KASLR (default: nokaslr)
  --no5lvl          4-level paging (default: 5-level, as -cpu max offers LA57)
  --cpus N          vCPUs (default 2)
  --mem MiB         guest memory (default 512)
  --paused          start QEMU with -S (continue from gdb)
  --console         show the guest console (ttyS0) and send stdin lines to its shell
  --trace           show the kvm trace events (ttyS1)
  -h, --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'no-kvm': { type: 'boolean' },
      'kvm-args': { type: 'string' },
      kaslr: { type: 'boolean' },
      no5lvl: { type: 'boolean' },
      cpus: { type: 'string' },
      mem: { type: 'string' },
      paused: { type: 'boolean' },
      console: { type: 'boolean' },
      trace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const t0 = Date.now();
  const lab: Lab = await bootLab({
    kvm: !values['no-kvm'],
    kvmArgs: values['kvm-args']?.split(/\s+/).filter(Boolean) ?? [],
    kaslr: values.kaslr ?? false,
    la57: !values.no5lvl,
    cpus: values.cpus ? Number(values.cpus) : 2,
    memMiB: values.mem ? Number(values.mem) : 512,
    paused: values.paused ?? false,
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.error('\nstopping the lab...');
    void lab.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void lab.exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`QEMU exited (code ${String(code)}, signal ${String(signal)})`);
    void lab.stop().then(() => process.exit(1));
  });

  const m = lab.manifest;
  const hex = (v: bigint | undefined): string =>
    v === undefined ? '(not yet known)' : `0x${v.toString(16)}`;
  const out = [
    `hvdbg lab up in ${((Date.now() - t0) / 1000).toFixed(1)} s: Linux ${m.kernelVersion} (${m.packageVersion}), QEMU pid ${lab.qemuPid}`,
    `  kernel cmdline   ${lab.append}`,
    `  paging           ${lab.la57 === undefined ? '?' : lab.la57 ? '5-level (LA57)' : '4-level'}`,
    `  gdb socket       ${lab.gdbSocket}`,
    `  _text            ${hex(lab.kernelText)}`,
    `  kvm .text        ${hex(lab.kvmText)}`,
    `  kvm_amd .text    ${hex(lab.kvmAmdText)}`,
    `  vmlinux          ${m.vmlinux}`,
    `  kvm.ko           ${m.kvmKo}`,
    `  sources          ${m.sourceRoot || '(none)'}`,
    `  qemu             ${[lab.qemuPath, ...lab.qemuArgs].map(shellQuote).join(' ')}`,
    '',
    'attach gdb:',
    `  ${gdbCommandFor(lab).map(shellQuote).join(' ')}`,
    '',
    'then e.g.: break kvm_emulate_hypercall / continue / p vcpu->arch.regs[0]',
    `Ctrl-C stops the lab.${values.console ? ' Lines typed here go to the guest shell.' : ''}`,
  ];
  console.log(out.join('\n'));

  if (values.console) {
    for (const line of lab.console.lines) console.log(line);
    lab.console.onLine((line) => console.log(line));
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => lab.console.write(d));
  }
  if (values.trace) lab.trace.onLine((line) => console.log(`[trace] ${line}`));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
