/**
 * Finding the KASLR slide of an x86-64 Linux kernel: the run-time address of `_text` minus its link-time
 * address in vmlinux. The decompressor (arch/x86/boot/compressed/kaslr.c, find_random_virt_addr) moves the
 * kernel's virtual base by a multiple of CONFIG_PHYSICAL_ALIGN (2 MiB) within the 1 GiB kernel image
 * area that starts at __START_KERNEL_map (Documentation/x86/x86_64/mm.rst), never below its link address.
 *
 * A candidate slide is checked by comparing vmlinux's own bytes at `_text` (startup_64) with guest memory
 * at `_text + slide`. The candidates are tried cheapest first: the unslid address (a kernel without KASLR
 * costs one read), then the slides that put a vCPU's RIP inside the kernel's text, then every slide.
 */
import type { KernelTarget } from './target';

/** CONFIG_PHYSICAL_ALIGN of x86-64 distribution kernels, the granularity of the slide. */
export const SLIDE_ALIGN = 0x20_0000n;
/** __START_KERNEL_map: the start of the kernel image area. */
export const KERNEL_MAP_START = 0xffff_ffff_8000_0000n;
/** KERNEL_IMAGE_SIZE with KASLR: the image area is 1 GiB. */
export const KERNEL_IMAGE_AREA = 0x4000_0000n;

/** What vmlinux says about its text: link addresses and the first bytes at `_text`. */
export interface KernelImage {
  readonly text: bigint;
  /** `_etext`: end of the kernel's text. */
  readonly etext: bigint;
  /** `_end`: end of the whole image. */
  readonly end: bigint;
  /** vmlinux's bytes at `_text`. */
  readonly bytes: Buffer;
}

export type SlideMethod = 'unslid' | 'rip' | 'scan';

export interface SlideFound {
  readonly slide: bigint;
  readonly method: SlideMethod;
  /** The vCPU whose RIP gave the candidates (method `rip`). */
  readonly vcpu?: number;
  /** Candidates compared with guest memory. */
  readonly candidates: number;
}

/** Every slide the image area allows, ascending, 0 first. */
export function allSlides(image: Pick<KernelImage, 'text' | 'end'>): bigint[] {
  const slides: bigint[] = [];
  const limit = KERNEL_MAP_START + KERNEL_IMAGE_AREA;
  for (let slide = 0n; image.end + slide <= limit; slide += SLIDE_ALIGN) slides.push(slide);
  return slides;
}

/**
 * The slides under which `rip` is inside the kernel's text `[text, etext)`: `rip - slide` in that range,
 * slide a non-negative multiple of {@link SLIDE_ALIGN} that keeps the image in its area. Nearest first.
 */
export function slidesForRip(rip: bigint, image: Pick<KernelImage, 'text' | 'etext' | 'end'>): bigint[] {
  const slides: bigint[] = [];
  const limit = KERNEL_MAP_START + KERNEL_IMAGE_AREA;
  if (rip < image.text || rip >= limit) return slides;
  // rip - etext < slide <= rip - text
  const highest = ((rip - image.text) / SLIDE_ALIGN) * SLIDE_ALIGN;
  for (let slide = highest; slide >= 0n && rip - slide < image.etext; slide -= SLIDE_ALIGN) {
    if (image.end + slide <= limit) slides.push(slide);
  }
  return slides;
}

/**
 * Finds the slide by comparing `image.bytes` with guest memory. `rips` are the vCPUs' RIPs (index =
 * vCPU). `fullScan` allows the last resort (about 500 reads); the caller turns it off while the kernel
 * cannot be running yet (paging off). Undefined when no candidate matched; `misses` then counts the
 * candidates compared and those whose memory could not be read.
 */
export async function findSlide(
  target: Pick<KernelTarget, 'read'>,
  image: KernelImage,
  rips: readonly (bigint | undefined)[],
  fullScan: boolean,
  misses?: { candidates: number; unreadable: number },
): Promise<SlideFound | undefined> {
  const tried = new Set<bigint>();
  const matches = async (slide: bigint): Promise<boolean> => {
    if (tried.has(slide)) return false;
    tried.add(slide);
    const bytes = await target.read(image.text + slide, image.bytes.length);
    if (misses !== undefined) {
      misses.candidates++;
      if (bytes === undefined) misses.unreadable++;
    }
    return bytes !== undefined && bytes.equals(image.bytes);
  };
  if (await matches(0n)) return { slide: 0n, method: 'unslid', candidates: tried.size };
  for (const [vcpu, rip] of rips.entries()) {
    if (rip === undefined) continue;
    for (const slide of slidesForRip(rip, image)) {
      if (await matches(slide)) return { slide, method: 'rip', vcpu, candidates: tried.size };
    }
  }
  if (!fullScan) return undefined;
  for (const slide of allSlides(image)) {
    if (await matches(slide)) return { slide, method: 'scan', candidates: tried.size };
  }
  return undefined;
}

/** One line for the Debug Console about a found slide. */
export function describeSlide(found: SlideFound, image: Pick<KernelImage, 'text'>, ms: number): string {
  const at = `_text at 0x${(image.text + found.slide).toString(16)}`;
  const how =
    found.method === 'unslid'
      ? 'the kernel runs at its link address (no KASLR)'
      : found.method === 'rip'
        ? `KASLR slide 0x${found.slide.toString(16)}, found from vCPU ${found.vcpu ?? 0}'s RIP`
        : `KASLR slide 0x${found.slide.toString(16)}, found by scanning the kernel image area`;
  return `${how}: ${at} (${found.candidates} candidate${found.candidates === 1 ? '' : 's'} compared with vmlinux's startup_64, ${ms} ms)`;
}
