/**
 * Which process serves a gdbstub: the QEMU whose KVM exits `tracefs` should trace when the user wrote
 * no pid. Found through /proc: the listening socket's inode (/proc/net/unix, /proc/net/tcp{,6}), then
 * the process holding `socket:[inode]` among its file descriptors. Linux only; needs permission to read
 * the other process's /proc/PID/fd (same user, or root).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { StubAddress } from '../target/address';

/** Inodes of listening unix sockets bound to `path` (/proc/net/unix). */
export function unixSocketInodes(table: string, path: string): number[] {
  const out: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = __SO_ACCEPTCON (listening).
    if (f.length >= 8 && f[7] === path && f[3] === '00010000') out.push(Number(f[6]));
  }
  return out;
}

/** Inodes of TCP sockets listening on `port` (/proc/net/tcp or tcp6; state 0A = LISTEN). */
export function tcpListenInodes(table: string, port: number): number[] {
  const out: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (local === undefined || f[3] !== '0A') continue;
    const p = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (p === port) out.push(Number(f[9]));
  }
  return out;
}

/** The first process (by pid) with one of `inodes` open, or undefined. */
export async function processWithSocket(
  inodes: readonly number[],
  proc = '/proc',
): Promise<number | undefined> {
  if (inodes.length === 0) return undefined;
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const pids = (await readdir(proc)).filter((e) => /^\d+$/.test(e)).map(Number);
  for (const pid of pids.sort((a, b) => a - b)) {
    const fds = await readdir(join(proc, String(pid), 'fd')).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(join(proc, String(pid), 'fd', fd)).catch(() => '');
      if (wanted.has(target)) return pid;
    }
  }
  return undefined;
}

/** The pid of the process listening at the stub's address. */
export async function stubOwner(address: StubAddress, proc = '/proc'): Promise<number | undefined> {
  const table = (name: string): Promise<string> => readFile(join(proc, 'net', name), 'utf8').catch(() => '');
  if (address.kind === 'unix')
    return processWithSocket(unixSocketInodes(await table('unix'), address.path), proc);
  const inodes = [
    ...tcpListenInodes(await table('tcp'), address.port),
    ...tcpListenInodes(await table('tcp6'), address.port),
  ];
  return processWithSocket(inodes, proc);
}
