/**
 * The hvdbg debug adapter's entry point: DAP on stdin/stdout, usable from VS Code and from any other DAP
 * client (nvim-dap, Emacs dap-mode, Theia): `node dist/adapter.js`. Its only listening socket is the
 * unix socket gdb reaches the gdbstub through (adapter/target/rsp/relay.ts), in a private 0700 directory.
 * Whatever way the adapter ends, the gdb and QEMU it started end with it.
 */
import { HvdbgSession } from './dap/session';

const session = new HvdbgSession();
process.on('exit', () => session.killChildren());
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => process.exit(0));
}
process.stdin.on('end', () => process.exit(0));
session.start(process.stdin, process.stdout);
