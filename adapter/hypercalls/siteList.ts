/**
 * `hvdbg/hypercallSites`: the hypercall instructions of the kernel's `.text` (read from the ELF file at
 * the section gdb reports), grouped by function, each with what the guest really has there now (the
 * kernel patches its hypercall sites: `vmcall` in the ELF, `vmmcall` on AMD).
 */
import { open } from 'node:fs/promises';
import type { HypercallSitesBody } from '../protocol/hypercallRequests';
import type { GdbBackend } from '../gdb/backend';
import { maintInfoSections } from '../gdb/mi/cli';
import { evaluate, readMemory } from '../gdb/mi/data';
import type { GdbSymbolResolver } from '../exits/symbols';
import { parseGdbInteger } from '../hypervisors/kvm/handler';
import { collectSites, parseMaintSections } from './sites';
import { HypercallRequestError } from './errors';

function message(error: unknown): string {
  return error instanceof Error ? error.message.trim() : String(error);
}

/** Scans `path` (default: the objfile gdb loaded); `explicit` says the caller named the file. */
export async function listHypercallSites(
  gdb: GdbBackend,
  symbols: GdbSymbolResolver,
  program: string | undefined,
  explicit: boolean,
): Promise<HypercallSitesBody> {
  const sections = parseMaintSections(await maintInfoSections(gdb, '.text', 10000));
  const path = program ?? sections.file;
  if (path === undefined)
    throw new HypercallRequestError('no program: set "program" to the kernel ELF (vmlinux)');
  const text = sections.sections.find((s) => s.name === '.text');
  if (text === undefined || (explicit && path !== sections.file))
    throw new HypercallRequestError(`gdb knows no .text section of ${path}`);
  const size = Number(text.end - text.start);
  const bytes = Buffer.alloc(size);
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new HypercallRequestError(`cannot read ${path}: ${message(error)}`);
  });
  try {
    await handle.read(bytes, 0, size, text.fileOffset);
  } finally {
    await handle.close();
  }
  const xenPage = await evaluate(gdb, '(unsigned long)&hypercall_page').then(
    (v) => parseGdbInteger(v),
    () => undefined,
  );
  const functions = await collectSites(
    bytes,
    text.start,
    {
      resolve: (address) => symbols.resolve(address),
      readGuest: async (address, count) => {
        const live = await readMemory(gdb, address, count);
        if (live.length === 0) throw new Error('the stub returned no bytes');
        return live;
      },
    },
    xenPage === undefined ? {} : { xenHypercallPage: xenPage },
  );
  return { file: path, functions, count: functions.reduce((n, g) => n + g.sites.length, 0) };
}
