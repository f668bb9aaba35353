/**
 * The trace sources against the real things: files, a growing file (appends, truncation, replacement, a
 * file that does not exist yet), a fifo made with mkfifo, a unix socket served here, and tracefs on a
 * fake directory (this machine has no KVM, and tracefs needs root: the real one is not exercised here).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  closeSync,
  writeFileSync,
  writeSync,
  existsSync,
} from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { TraceFeed } from '../../../adapter/exits/feed';
import { FifoSource } from '../../../adapter/exits/sources/fifo';
import { FileSource } from '../../../adapter/exits/sources/file';
import { FollowSource } from '../../../adapter/exits/sources/follow';
import { openSource, parseSourceSpec, TraceSpecError } from '../../../adapter/exits/sources/open';
import { SocketSource } from '../../../adapter/exits/sources/socket';
import { lineThreadId, TracefsError, TracefsSource } from '../../../adapter/exits/sources/tracefs';
import { pairs, tempDir, until } from './support';

const exits = (feed: TraceFeed): number => feed.monitor.stats().exits;

test('file: read once to its end, in chunks', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'trace.txt');
  writeFileSync(path, pairs(5000, 100)); // ~1 MB: several chunks
  const feed = new TraceFeed('f', new FileSource(path)).start();
  await feed.ended();
  assert.equal(feed.info().state, 'ended');
  assert.equal(exits(feed), 5000);
  assert.equal(feed.monitor.stats().samples, 5000);
  assert.equal(feed.info().bytes, readFileSync(path).length);
});

test('file: a missing file fails with its path', async (t) => {
  const feed = new TraceFeed('f', new FileSource(join(tempDir(t), 'nope'))).start();
  await feed.ended();
  assert.equal(feed.info().state, 'failed');
  assert.match(feed.info().error ?? '', /ENOENT.*nope/);
});

test('follow: appends are read as they come; truncation and replacement start over', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'growing.txt');
  writeFileSync(path, pairs(3, 1));
  const feed = new TraceFeed('g', new FollowSource(path, { pollMs: 50 })).start();
  t.after(() => feed.dispose());
  await until(feed, () => exits(feed) === 3);
  appendFileSync(path, pairs(2, 2));
  await until(feed, () => exits(feed) === 5);
  // Half a line, then the rest: one exit, not two halves.
  const more = pairs(1, 3);
  appendFileSync(path, more.slice(0, 40));
  appendFileSync(path, more.slice(40));
  await until(feed, () => exits(feed) === 6);
  // Truncated and rewritten (shorter): read again from the start.
  writeFileSync(path, pairs(1, 4));
  await until(feed, () => exits(feed) === 7);
  assert.equal(feed.info().restarts, 1);
  // Replaced by a new file (rotation): followed from its start.
  const next = join(dir, 'next.txt');
  writeFileSync(next, pairs(4, 5));
  renameSync(next, path);
  await until(feed, () => exits(feed) === 11);
  assert.equal(feed.info().restarts, 2);
  assert.equal(feed.info().state, 'reading');
  assert.equal(feed.monitor.stats().diagnostics.unparsed, 0);
});

test('follow: waits for a file that does not exist yet; `from: end` skips what is there', async (t) => {
  const dir = tempDir(t);
  const later = join(dir, 'later.txt');
  const feed = new TraceFeed('w', new FollowSource(later, { pollMs: 20 })).start();
  t.after(() => feed.dispose());
  await until(feed, () => feed.info().error !== undefined);
  assert.equal(feed.info().state, 'waiting');
  assert.match(feed.info().error ?? '', /does not exist yet/);
  writeFileSync(later, pairs(2, 1));
  await until(feed, () => exits(feed) === 2);

  const old = join(dir, 'old.txt');
  writeFileSync(old, pairs(10, 1));
  const tail = new TraceFeed('e', new FollowSource(old, { from: 'end', pollMs: 20 })).start();
  t.after(() => tail.dispose());
  await until(tail, () => tail.info().state === 'reading');
  appendFileSync(old, pairs(1, 2));
  await until(tail, () => exits(tail) === 1);
});

test('fifo: read without blocking; writers may come and go', async (t) => {
  const path = join(tempDir(t), 'trace.fifo');
  execFileSync('mkfifo', [path]);
  const feed = new TraceFeed('p', new FifoSource(path)).start();
  t.after(() => feed.dispose());
  await until(feed, () => feed.info().state === 'reading');
  for (const round of [1, 2]) {
    const fd = openSync(path, 'w');
    writeSync(fd, pairs(3, round));
    closeSync(fd); // a writer leaving is no end of the trace
    await until(feed, () => exits(feed) === 3 * round);
  }
  assert.equal(feed.info().state, 'reading');
  const viaOpen = await openSource(path, { follow: true });
  assert.equal(viaOpen.kind, 'fifo');
});

test('unix socket: connects as a client, retries until the producer listens, ends when it closes', async (t) => {
  const path = join(tempDir(t), 'trace.sock');
  const feed = new TraceFeed('s', new SocketSource(path, { retryMs: 20 })).start();
  t.after(() => feed.dispose());
  await until(feed, () => feed.info().error !== undefined);
  assert.equal(feed.info().state, 'waiting');
  const clients: Socket[] = [];
  const server = createServer((socket) => {
    clients.push(socket);
    socket.write(pairs(2, 1));
    socket.write(pairs(2, 2));
  });
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(path, resolve));
  await until(feed, () => exits(feed) === 4);
  assert.equal((await openSource(path)).kind, 'socket', 'a socket file is recognised');
  assert.equal((await openSource(`unix:${path}`)).kind, 'socket');
  clients[0]?.end();
  await feed.ended();
  assert.equal(feed.info().state, 'ended');
});

test('tracefs: lines of the traced process only; events enabled and disabled; pid filter written', async (t) => {
  const root = tempDir(t);
  const instance = join(root, 'instances', 'hvdbg-test');
  for (const ev of ['kvm_exit', 'kvm_entry']) {
    mkdirSync(join(instance, 'events', 'kvm', ev), { recursive: true });
    writeFileSync(join(instance, 'events', 'kvm', ev, 'enable'), '0');
  }
  mkdirSync(join(instance, 'options'));
  writeFileSync(join(instance, 'options', 'event-fork'), '0');
  writeFileSync(join(instance, 'set_event_pid'), '');
  const pipe = join(instance, 'trace_pipe');
  writeFileSync(pipe, '');
  // This process plays QEMU: its threads are the traced ones.
  const qemu = process.pid;
  const source = new TracefsSource({ pid: qemu, root, instance: 'hvdbg-test', pollMs: 10 });
  const feed = new TraceFeed('t', source).start();
  t.after(() => feed.dispose());
  await until(feed, () => feed.info().state === 'reading');
  assert.equal(readFileSync(join(instance, 'events', 'kvm', 'kvm_exit', 'enable'), 'utf8'), '1');
  assert.equal(readFileSync(join(instance, 'options', 'event-fork'), 'utf8'), '1');
  assert.ok(readFileSync(join(instance, 'set_event_pid'), 'utf8').split(' ').includes(String(qemu)));
  appendFileSync(pipe, pairs(3, 1, { pid: qemu }) + pairs(2, 1, { pid: 999_999_999 }));
  await until(feed, () => exits(feed) === 3 && source.filtered === 4);
  assert.equal(source.label, `tracefs (pid ${qemu})`);
  feed.dispose();
  assert.equal(readFileSync(join(instance, 'events', 'kvm', 'kvm_exit', 'enable'), 'utf8'), '0');
  assert.equal(readFileSync(join(instance, 'set_event_pid'), 'utf8'), '');
  assert.ok(existsSync(instance), 'an instance it did not create is left in place');
});

test('tracefs: an instance without kvm events fails, says why, and is removed', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'instances'));
  const feed = new TraceFeed('t', new TracefsSource({ pid: process.pid, root, instance: 'mine' })).start();
  await feed.ended();
  assert.equal(feed.info().state, 'failed');
  assert.match(feed.info().error ?? '', /cannot enable kvm\/kvm_exit .*is the kvm module loaded/);
  assert.equal(existsSync(join(root, 'instances', 'mine')), false);
});

test('tracefs: no such process', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'instances'));
  const feed = new TraceFeed('t', new TracefsSource({ pid: 999_999_999, root })).start();
  await feed.ended();
  assert.match(feed.info().error ?? '', /no process 999999999/);
  assert.ok(new TracefsError('x') instanceof Error);
});

test("a trace line's thread id, with and without the tgid column", () => {
  assert.equal(lineThreadId('       CPU 0/KVM-4242    [001] d..1.   812.1: kvm_exit: x'), 4242);
  assert.equal(lineThreadId('       CPU 0/KVM-4242    (   4230) [001] d..1.   812.1: kvm_exit: x'), 4242);
  assert.equal(lineThreadId('# tracer: nop'), -1);
});

test('what the user writes names a source', async (t) => {
  assert.deepEqual(parseSourceSpec('unix:/tmp/t.sock'), { kind: 'unix', path: '/tmp/t.sock' });
  assert.deepEqual(parseSourceSpec('tracefs'), { kind: 'tracefs', pid: undefined });
  assert.deepEqual(parseSourceSpec('tracefs:1234'), { kind: 'tracefs', pid: 1234 });
  assert.deepEqual(parseSourceSpec(' /tmp/x '), { kind: 'path', path: '/tmp/x' });
  assert.throws(() => parseSourceSpec('unix:'), TraceSpecError);
  const dir = tempDir(t);
  await assert.rejects(openSource(join(dir, 'missing')), /no such file/);
  assert.equal((await openSource(join(dir, 'missing'), { follow: true })).kind, 'follow');
  await assert.rejects(openSource(dir), /is a directory/);
  await assert.rejects(openSource('tracefs'), /tracefs:PID/);
  writeFileSync(join(dir, 'f'), '');
  assert.equal((await openSource(join(dir, 'f'))).kind, 'file');
  assert.equal((await openSource(join(dir, 'f'), { follow: true })).kind, 'follow');
});
