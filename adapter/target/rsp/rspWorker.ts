/**
 * The RSP relay's worker thread (started by relay.ts; bundled as dist/rspWorker.js): owns the stub and gdb
 * connections (link.ts) and answers the main thread's lend/exchange/return/close messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StubLink } from './link';
import type { FromWorker, ToWorker, WorkerInit } from './messages';

function post(message: FromWorker): void {
  parentPort?.postMessage(message);
}

async function serve(init: WorkerInit): Promise<void> {
  let link: StubLink;
  try {
    link = await StubLink.open(init.address, init.timeoutMs, init.replyTimeoutMs, {
      closed: (reason) => post({ t: 'closed', reason }),
    });
  } catch (error) {
    post({ t: 'open-failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  parentPort?.on('message', (message: ToWorker) => {
    switch (message.t) {
      case 'lend': {
        const refused = link.closed ?? (link.stopped ? undefined : 'running');
        if (refused !== undefined) {
          post({ t: 'lend-refused', id: message.id, running: refused === 'running', message: refused });
          return;
        }
        link.lend(
          () => post({ t: 'lent', id: message.id, gdbPhyMemMode: link.gdbPhyMemMode }),
          () => post({ t: 'lend-refused', id: message.id, running: true, message: 'running' }),
        );
        return;
      }
      case 'exchange':
        link.exchange(message.requests, message.monitor).then(
          (replies) => post({ t: 'replies', id: message.id, replies }),
          (error: unknown) =>
            post({
              t: 'exchange-failed',
              id: message.id,
              message: error instanceof Error ? error.message : String(error),
            }),
        );
        return;
      case 'return':
        link.giveBack();
        return;
      case 'close':
        link.close(message.reason);
        return;
    }
  });
  post({ t: 'ready', socketPath: link.socketPath });
}

void serve(workerData as WorkerInit);
