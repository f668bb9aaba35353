// Synchronous clean-up that runs however this Node process ends: normal exit, an uncaught error, or a
// SIGINT/SIGTERM/SIGHUP (e.g. the test runner's timeout or Ctrl-C). Hooks must be synchronous, because
// 'exit' listeners cannot wait: they kill process groups with process.kill, nothing more.

type Hook = () => void;

const hooks = new Set<Hook>();
let installed = false;

function runAll(): void {
  for (const hook of [...hooks].reverse()) {
    try {
      hook();
    } catch {
      // best effort: one failing hook must not keep the others from running
    }
  }
  hooks.clear();
}

function install(): void {
  if (installed) {
    return;
  }
  installed = true;
  process.once('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      runAll();
      // Die of the same signal, as if no handler had been installed, unless someone else handles it
      // (e.g. the demo's graceful shutdown): then exiting is theirs to do.
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
      }
    });
  }
}

/** Registers `hook` to run when the process ends; the returned function unregisters it. */
export function onExit(hook: Hook): () => void {
  install();
  hooks.add(hook);
  return () => {
    hooks.delete(hook);
  };
}

/** Kills a whole process group (a child spawned with `detached: true`); ignores one that is gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}
