/**
 * The relay's connections: gdb's bytes pass to the stub unchanged and back, while the link follows the
 * conversation (which request awaits its reply, whether the guest runs). When the adapter asks, and the
 * guest is stopped and gdb awaits nothing, the link lends the stub connection: gdb's bytes are held, the
 * adapter's requests go out back to back (QEMU answers them in order), their replies are acknowledged and
 * kept from gdb, and then gdb's held bytes go on.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StubAddress } from '../address';
import {
  checksumMatches,
  decodeBody,
  encodePacket,
  frameOf,
  isResumeRequest,
  isStopReply,
  RspScanner,
  type RspUnit,
} from './packet';
import { ReplyCache } from './replyCache';
import { record } from '../../session/transcript';

const ACK = Buffer.from('+');

export interface LinkEvents {
  /** The stub or gdb went away, or the adapter closed the link. */
  closed(reason: string): void;
}

interface Waiter {
  resolve: (reply: Buffer) => void;
  reject: (error: Error) => void;
  /** For `qRcmd`: the `O<hex>` output packets so far, decoded. */
  output?: Buffer[];
}

export class StubLink {
  readonly socketPath: string;
  /** The guest is known to be stopped (a stop reply came after the last resume). */
  stopped = false;
  /** The last `Qqemu.PhyMemMode` value gdb (the user) set. */
  gdbPhyMemMode: '0' | '1' = '0';
  private gdb: Socket | undefined;
  private readonly stubScanner = new RspScanner();
  private readonly gdbScanner = new RspScanner();
  /** A gdb request waits for its reply (its first bytes, to recognise `qRcmd` output). */
  private gdbOutstanding: string | undefined;
  private noAck = false;
  private lendQueue: { granted: () => void; refused: () => void }[] = [];
  private lent = false;
  private readonly held: Buffer[] = [];
  private readonly waiters: Waiter[] = [];
  private earlyStubBytes: Buffer[] = [];
  /** Replies that cannot change while the guest is stopped. */
  readonly cache = new ReplyCache();
  private closedReason: string | undefined;

  private constructor(
    private readonly stub: Socket,
    private readonly server: Server,
    private readonly dir: string,
    private readonly replyTimeoutMs: number,
    private readonly events: LinkEvents,
  ) {
    this.socketPath = join(dir, 'gdb.sock');
    stub.setNoDelay(true);
    stub.on('data', (chunk: Buffer) => this.fromStub(chunk));
    stub.on('close', () => this.close('the gdbstub closed the connection'));
    stub.on('error', () => undefined);
  }

  /**
   * Connects to the stub and listens for gdb on a unix socket in a new private (0700) directory.
   * @throws Error naming the OS's reason (connection refused, no such socket) within `timeoutMs`.
   */
  static async open(
    address: StubAddress,
    timeoutMs: number,
    replyTimeoutMs: number,
    events: LinkEvents,
  ): Promise<StubLink> {
    const stub = await connectWithin(address, timeoutMs);
    const dir = await mkdtemp(join(tmpdir(), 'hvdbg-rsp-')).catch((error: unknown) => {
      stub.destroy();
      throw error;
    });
    const server = createServer();
    const link = new StubLink(stub, server, dir, replyTimeoutMs, events);
    server.on('connection', (socket) => link.accept(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ path: link.socketPath }, resolve);
      });
    } catch (error) {
      link.close(`cannot listen for gdb at ${link.socketPath}`);
      throw error;
    }
    return link;
  }

  get closed(): string | undefined {
    return this.closedReason;
  }

  /**
   * Calls `granted` once the guest is stopped and gdb awaits nothing; gdb's bytes then wait until
   * `giveBack`. Calls `refused` instead if gdb resumes the guest first, or the link closes.
   */
  lend(granted: () => void, refused: () => void): void {
    this.lendQueue.push({ granted, refused });
    this.pump();
  }

  giveBack(): void {
    this.lent = false;
    if (this.closedReason !== undefined) return;
    for (const chunk of this.held.splice(0)) this.forwardFromGdb(chunk);
    this.pump();
  }

  /** Sends requests back to back while lent; resolves with the replies, in order. */
  exchange(requests: readonly string[], collectOutput: boolean): Promise<Buffer[]> {
    if (this.closedReason !== undefined) return Promise.reject(new Error(this.closedReason));
    const replies = requests.map(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          this.waiters.push(collectOutput ? { resolve, reject, output: [] } : { resolve, reject });
        }),
    );
    const packets = Buffer.concat(requests.map((r) => encodePacket(r)));
    record('rsp hvdbg>', packets);
    this.stub.write(packets);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message = `the gdbstub did not answer ${requests.length} request(s) within ${this.replyTimeoutMs} ms`;
        reject(new Error(message));
        this.close(message);
      }, this.replyTimeoutMs);
    });
    return Promise.race([Promise.all(replies), timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Closes both connections and removes the socket directory (synchronously: this also runs in the
   * adapter's exit handler); idempotent. `closed` follows in a microtask.
   */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(reason));
    for (const waiting of this.lendQueue.splice(0)) waiting.refused();
    this.stub.destroy();
    this.gdb?.destroy();
    this.unlisten();
    queueMicrotask(() => this.events.closed(reason));
  }

  /**
   * Stops listening and removes the socket and its directory. Done as soon as gdb is connected: the
   * socket serves one connection, so from then on nothing can reach the stub through it, nothing is
   * left in the temp directory if the adapter is killed, and whoever removes the directory (a temp
   * cleaner) takes nothing from the session.
   */
  private unlisten(): void {
    if (this.server.listening) this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: Socket): void {
    if (this.gdb !== undefined) {
      socket.destroy(); // one debugger, as the stub itself allows
      return;
    }
    this.gdb = socket;
    this.unlisten();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.fromGdb(chunk));
    socket.on('close', () => this.close('gdb closed the connection'));
    socket.on('error', () => undefined);
    for (const chunk of this.earlyStubBytes) socket.write(chunk);
    this.earlyStubBytes = [];
  }

  private fromGdb(chunk: Buffer): void {
    record('rsp gdb>', chunk);
    if (this.lent) this.held.push(chunk);
    else this.forwardFromGdb(chunk);
  }

  private forwardFromGdb(chunk: Buffer): void {
    const units = this.gdbScanner.push(chunk);
    const answered = new Set<RspUnit>();
    for (const unit of units) {
      if (unit.kind !== 'packet') continue;
      const body = unit.body;
      if (isResumeRequest(body)) {
        this.stopped = false;
        this.gdbOutstanding = undefined;
        this.cache.resumed();
        for (const waiting of this.lendQueue.splice(0)) waiting.refused();
        continue;
      }
      const request = body.toString('latin1');
      const local = this.stopped ? this.cache.lookup(request) : undefined;
      if (local !== undefined) {
        answered.add(unit);
        this.gdb?.write(this.noAck ? local : Buffer.concat([ACK, local]));
        continue;
      }
      this.gdbOutstanding = request;
      if (request.startsWith('Qqemu.PhyMemMode:')) {
        this.gdbPhyMemMode = request.endsWith('1') ? '1' : '0';
      } else if (request === 'QStartNoAckMode') {
        this.noAck = true; // gdb only asks when the stub offered it
      }
    }
    if (answered.size === 0) {
      this.stub.write(chunk);
      return;
    }
    // Pass on everything but what was answered here, then the start of an unfinished packet.
    const rest = units.filter((u) => !answered.has(u)).map(frameOf);
    const partial = this.gdbScanner.partial;
    if (partial !== undefined) rest.push(partial);
    if (rest.length > 0) this.stub.write(Buffer.concat(rest));
  }

  private fromStub(chunk: Buffer): void {
    record('rsp stub>', chunk);
    if (this.lent) {
      this.toAdapter(chunk);
      return;
    }
    for (const unit of this.stubScanner.push(chunk)) {
      if (unit.kind !== 'packet') continue;
      const outstanding = this.gdbOutstanding;
      if (outstanding === undefined) {
        if (isStopReply(unit.body)) {
          this.stopped = true;
          this.cache.stopped(unit.body.toString('latin1'));
        }
        continue;
      }
      // `qRcmd` output comes as `O<hex>` packets before the final reply.
      const output = unit.body[0] === 0x4f && unit.body.length > 1 && unit.body[1] !== 0x4b;
      if (output && outstanding.startsWith('qRcmd,')) continue;
      if (outstanding.startsWith('?') && isStopReply(unit.body)) this.stopped = true;
      if (this.stopped) this.cache.record(outstanding, unit.body, () => frameOf(unit));
      this.gdbOutstanding = undefined;
    }
    if (this.gdb === undefined) this.earlyStubBytes.push(chunk);
    else this.gdb.write(chunk);
    this.pump();
  }

  private toAdapter(chunk: Buffer): void {
    let acks = 0;
    for (const unit of this.stubScanner.push(chunk)) {
      if (unit.kind !== 'packet') continue;
      acks++;
      const waiter = this.waiters[0];
      if (waiter === undefined) continue;
      if (!checksumMatches(unit.body, unit.sum)) {
        this.waiters.shift();
        waiter.reject(new Error('a reply from the gdbstub had a bad checksum'));
        continue;
      }
      const reply = decodeBody(unit.body);
      if (waiter.output !== undefined && reply.length > 1 && reply[0] === 0x4f && reply[1] !== 0x4b) {
        waiter.output.push(Buffer.from(reply.toString('latin1', 1), 'hex'));
        continue;
      }
      this.waiters.shift();
      waiter.resolve(waiter.output === undefined ? reply : Buffer.concat([...waiter.output, reply]));
    }
    if (acks > 0 && !this.noAck) this.stub.write('+'.repeat(acks));
  }

  private pump(): void {
    if (this.lent || !this.stopped || this.gdbOutstanding !== undefined) return;
    const next = this.lendQueue.shift();
    if (next === undefined) return;
    this.lent = true;
    next.granted();
  }
}

function connectWithin(address: StubAddress, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket =
      address.kind === 'unix'
        ? createConnection({ path: address.path })
        : createConnection({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(connectFailure(error)));
    });
  });
}

function connectFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused: nothing listens there';
    case 'ENOENT':
      return 'no such socket';
    case 'EACCES':
      return 'permission denied';
    default:
      return error.message;
  }
}
