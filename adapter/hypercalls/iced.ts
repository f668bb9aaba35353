/**
 * iced-x86, loaded on first use. The package is a WebAssembly build that reads `iced_x86_bg.wasm` next to
 * its JavaScript at load time (next to the bundle once esbuild inlines it), so loading it lazily keeps
 * the adapter starting, and failing with {@link HypercallDecoderUnavailableError}, when the file is missing.
 * iced-x86 1.21 on npm ships one build (decoder, encoder, formatters, instruction info); there is no
 * decoder-only package.
 */
import type * as Iced from 'iced-x86';

export type IcedModule = typeof Iced;

/** iced-x86 (or its WebAssembly file) could not be loaded; hypercall decoding is unavailable. */
export class HypercallDecoderUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(
      `The x86 decoder (iced-x86) could not be loaded: ${detail}. ` +
        'Reinstall hvdbg; a bundled build needs iced_x86_bg.wasm beside the adapter script.',
    );
    this.name = 'HypercallDecoderUnavailableError';
  }
}

let loaded: IcedModule | undefined;

/** The iced-x86 module; loads it on the first call. Throws {@link HypercallDecoderUnavailableError}. */
export function iced(): IcedModule {
  if (loaded === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: see the file comment
      loaded = require('iced-x86') as IcedModule;
    } catch (e) {
      throw new HypercallDecoderUnavailableError(e instanceof Error ? e.message : String(e));
    }
  }
  return loaded;
}
