// A minimal GDB remote serial protocol client, only for readying QEMU's gdbstub before a debugger attaches
// (see prepareStubForAttach). Not a debugger: hvdbg and gdb do the real work.
import * as net from 'node:net';

/** `$payload#checksum` (GDB RSP: the checksum is the modulo-256 sum of the payload bytes, two hex digits). */
export function rspPacket(payload: string): string {
  let sum = 0;
  for (const byte of Buffer.from(payload, 'latin1')) sum = (sum + byte) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

/** The payloads of the complete packets in `data` and the unconsumed rest (acks `+`/`-` are dropped). */
export function rspParse(data: string): { packets: string[]; rest: string } {
  const packets: string[] = [];
  let rest = data;
  for (;;) {
    const start = rest.indexOf('$');
    if (start < 0) return { packets, rest: '' };
    const end = rest.indexOf('#', start);
    if (end < 0 || end + 3 > rest.length) return { packets, rest: rest.slice(start) };
    packets.push(rest.slice(start + 1, end));
    rest = rest.slice(end + 3);
  }
}

/** Hex of `text` (qRcmd arguments, O packets). */
export function hexOf(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex');
}

/** Text of the hex in an `O` packet payload (without the `O`). */
export function textOfHex(hex: string): string {
  return Buffer.from(hex, 'hex').toString('latin1');
}

/** One connection to a gdbstub: send packets, wait for replies (each wait bounded). */
export class RspConnection {
  private buffer = '';
  private readonly queue: string[] = [];
  private waiter: (() => void) | undefined;
  private closed: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const { packets, rest } = rspParse(this.buffer + chunk);
      this.buffer = rest;
      for (const p of packets) {
        this.queue.push(p);
        this.socket.write('+'); // QEMU (system mode) does not wait for acks, but gdb sends them
      }
      this.waiter?.();
    });
    socket.on('error', (err) => {
      this.closed = err;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed ??= new Error('the gdbstub connection closed');
      this.waiter?.();
    });
  }

  /** Connects to a unix socket path. */
  static connect(socketPath: string, timeoutMs: number): Promise<RspConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${socketPath} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RspConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  send(payload: string): void {
    this.socket.write(rspPacket(payload));
  }

  /** Sends the interrupt byte (0x03, as gdb does for Ctrl-C). */
  interrupt(): void {
    this.socket.write('\x03');
  }

  /** The next packet whose payload `matches`; earlier packets that do not match are dropped. */
  async next(matches: (payload: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.queue.length > 0) {
        const p = this.queue.shift() ?? '';
        if (matches(p)) return p;
      }
      if (this.closed) throw new Error(`${what}: ${this.closed.message}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: no reply from the gdbstub within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  /** Runs a monitor command through `qRcmd`; returns its output (the `O` packets), after the final `OK`. */
  async monitor(command: string, timeoutMs: number): Promise<string> {
    this.send(`qRcmd,${hexOf(command)}`);
    let output = '';
    for (;;) {
      const p = await this.next(
        (x) => x === 'OK' || x.startsWith('E') || /^O[0-9a-f]*$/.test(x),
        timeoutMs,
        `monitor ${command}`,
      );
      if (p === 'OK') return output;
      if (p.startsWith('E')) throw new Error(`monitor ${command}: ${p}`);
      output += textOfHex(p.slice(1));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}
