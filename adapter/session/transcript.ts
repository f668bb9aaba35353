/**
 * A session's transcript (the `trace` launch attribute): every DAP message, every gdb/MI line and every
 * RSP byte through the relay, timestamped, one record a line, in the order they happened. A user attaches
 * it to a bug report; a failing lab test leaves it in test-artifacts/.
 *
 *     0.000123 dap<  {"seq":5,"type":"request","command":"stepIn",...}
 *     0.000410 mi>   12-exec-step-instruction --thread 1
 *     0.000502 rsp gdb>  $vCont;s:p1.1#ad
 *     0.000731 rsp stub> $T05thread:p01.01;#0b
 *
 * One adapter process serves one session, so the transcript is the process's: the layers that see the
 * traffic (the DAP session, the gdb backend, the RSP link) call {@link record}, which costs a test and
 * nothing else while no transcript is open.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type Channel = 'dap<' | 'dap>' | 'mi>' | 'mi<' | 'rsp gdb>' | 'rsp stub>' | 'rsp hvdbg>';

/** Records kept until a transcript opens (the `initialize` exchange comes before `attach`). */
const EARLY_LIMIT = 200;

/** The transcript's file descriptor: written synchronously, so that nothing is lost if the adapter dies. */
let out: number | undefined;
let early: string[] | undefined = [];
const started = process.hrtime.bigint();

function line(channel: Channel, text: string): string {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return `${seconds.toFixed(6)} ${channel.padEnd(10)} ${text}\n`;
}

/** RSP bytes as text: printable ASCII as is, anything else `\xNN` (packets are mostly ASCII). */
export function printableBytes(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes)
    text +=
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return text;
}

/** Whether a transcript is being written (callers skip formatting work otherwise). */
export function recording(): boolean {
  return out !== undefined || early !== undefined;
}

function write(entry: string): void {
  if (out === undefined) return;
  try {
    writeSync(out, entry);
  } catch {
    out = undefined; // the disk is full or the file went away: the session goes on without it
  }
}

/** Adds one record: a message, a line or a chunk of bytes on a channel. */
export function record(channel: Channel, data: string | Uint8Array): void {
  if (out === undefined && early === undefined) return;
  const text = typeof data === 'string' ? data.replace(/\r?\n$/, '') : printableBytes(data);
  const entry = line(channel, text);
  if (out !== undefined) write(entry);
  else if (early !== undefined && early.length < EARLY_LIMIT) early.push(entry);
}

/**
 * Opens the transcript: `true` names a file in the OS temp directory; a string is the file. Returns
 * its path. Records made before (the `initialize` exchange) are written first.
 * @throws Error naming the file when its directory cannot be made.
 */
export function openTranscript(setting: true | string): string {
  const file =
    setting === true
      ? join(tmpdir(), `hvdbg-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`)
      : setting;
  mkdirSync(dirname(file), { recursive: true });
  if (out !== undefined) closeSync(out);
  out = openSync(file, 'w', 0o600);
  for (const entry of early ?? []) write(entry);
  early = undefined;
  return file;
}

/** No transcript for this session: stop keeping early records. */
export function noTranscript(): void {
  early = undefined;
}

/** Closes the transcript (every record is already on disk). */
export function closeTranscript(): void {
  if (out !== undefined) closeSync(out);
  out = undefined;
  early = undefined;
}
