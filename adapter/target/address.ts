/**
 * The `target` attribute: where the gdbstub listens. `"host:port"` (TCP) or `"unix:/path"` (QEMU's
 * `-gdb unix:/path,server,nowait`).
 */
export type StubAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** Parses a `target` string; returns an error message naming what is wrong instead of throwing. */
export function parseStubAddress(text: string): StubAddress | { readonly error: string } {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (!/^\/\S+$/.test(path))
      return { error: `"unix:" needs an absolute socket path without spaces, got "${text}"` };
    return { kind: 'unix', path };
  }
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]*):(\d{1,5})$/.exec(text);
  const port = match?.[2] === undefined ? NaN : Number.parseInt(match[2], 10);
  if (match === null || !(port > 0 && port < 65536)) {
    return { error: `expected "host:port" (e.g. "localhost:1234") or "unix:/path/to/socket", got "${text}"` };
  }
  return { kind: 'tcp', host: match[1] === '' || match[1] === undefined ? 'localhost' : match[1], port };
}

/** The argument of gdb's `target remote` for an address (gdb opens a unix socket given its path). */
export function gdbRemoteArgument(address: StubAddress): string {
  return address.kind === 'unix' ? address.path : `${address.host}:${address.port}`;
}

export function describeStubAddress(address: StubAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `${address.host}:${address.port}`;
}
