/**
 * "Open KVM trace…" without a session: the trace server's `hvdbg/traceStatistics` reads the file in its
 * own process (over in-memory streams here) and answers with the statistics, streaming snapshots on the
 * way; a missing file is an error naming it. The oracle: the file's own `kvm_exit:` lines, counted here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ExitSnapshot } from '../../../adapter/protocol/customRequests';
import {
  TRACE_SNAPSHOT_NOTIFICATION,
  TRACE_STATISTICS_REQUEST,
  type TraceSnapshotParams,
} from '../../../adapter/protocol/traceServer';
import { FIXTURES, TestClient } from './client';

let client: TestClient;
before(async () => {
  client = await TestClient.start();
});
after(() => client.close());

test('a trace file is read in the server; the answer equals the file, snapshots stream in', async () => {
  const path = join(FIXTURES, 'captures', 'lab-6.1-svm.trace.txt');
  const exits = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => / kvm_exit: /.test(l)).length;
  assert.ok(exits > 100);
  const streamed: TraceSnapshotParams[] = [];
  client.connection.onNotification(TRACE_SNAPSHOT_NOTIFICATION, (p: TraceSnapshotParams) => streamed.push(p));
  const snapshot: ExitSnapshot = await client.connection.sendRequest(TRACE_STATISTICS_REQUEST, { path });
  assert.equal(snapshot.exits, exits);
  assert.equal(snapshot.source.state, 'ended');
  assert.equal(
    snapshot.reasons.reduce((n, r) => n + r.exits, 0),
    exits,
  );
  assert.ok(streamed.length > 0 && streamed.every((p) => p.path === path));
});

test('a file that is not there is an error response naming it', async () => {
  await assert.rejects(
    client.connection.sendRequest(TRACE_STATISTICS_REQUEST, { path: '/nonexistent/lab.trace' }),
    /\/nonexistent\/lab\.trace/,
  );
});
