import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allSlides,
  describeSlide,
  findSlide,
  KERNEL_IMAGE_AREA,
  KERNEL_MAP_START,
  SLIDE_ALIGN,
  slidesForRip,
  type KernelImage,
} from '../../../adapter/kernel/kaslr';

// The lab's vmlinux (Debian 6.1.0-56-cloud-amd64): _text, _etext, _end, and startup_64's first bytes.
const IMAGE: KernelImage = {
  text: 0xffffffff81000000n,
  etext: 0xffffffff81e01ff2n,
  end: 0xffffffff83830000n,
  bytes: Buffer.from('488d25513fa001488d3df2ffffffb901', 'hex'),
};

/** Guest memory holding the kernel at `slide`: only the kernel image is mapped. */
function guestAt(slide: bigint) {
  const reads: bigint[] = [];
  const base = IMAGE.text + slide;
  return {
    reads,
    read: (address: bigint, length: number): Promise<Buffer | undefined> => {
      reads.push(address);
      if (address < base || address + BigInt(length) > IMAGE.end + slide) return Promise.resolve(undefined);
      const bytes = Buffer.alloc(length, 0xcc);
      if (address === base) IMAGE.bytes.copy(bytes);
      return Promise.resolve(bytes);
    },
  };
}

describe('KASLR slide arithmetic', () => {
  test('every slide keeps the image in the 1 GiB area, 2 MiB apart, 0 first', () => {
    const slides = allSlides(IMAGE);
    assert.equal(slides[0], 0n);
    assert.equal(slides[1], SLIDE_ALIGN);
    const last = slides[slides.length - 1] ?? 0n;
    assert.ok(IMAGE.end + last <= KERNEL_MAP_START + KERNEL_IMAGE_AREA);
    assert.ok(IMAGE.end + last + SLIDE_ALIGN > KERNEL_MAP_START + KERNEL_IMAGE_AREA);
    assert.equal(slides.length, 484);
  });

  test('a RIP in the slid text gives the few slides that put it in [_text, _etext)', () => {
    // native_safe_halt+11 under slide 0x34600000, as seen on the lab.
    const rip = 0xffffffffb6017a0bn;
    const slides = slidesForRip(rip, IMAGE);
    assert.ok(slides.includes(0x34600000n));
    assert.equal(slides[0], 0x35000000n);
    for (const s of slides) {
      assert.equal(s % SLIDE_ALIGN, 0n);
      assert.ok(rip - s >= IMAGE.text && rip - s < IMAGE.etext);
    }
    assert.equal(slides.length, 7);
  });

  test('a RIP outside the kernel image area gives no candidates', () => {
    assert.deepEqual(slidesForRip(0x7f12_3456_7000n, IMAGE), []);
    assert.deepEqual(slidesForRip(0xffffffffc0246000n, IMAGE), []);
    assert.deepEqual(slidesForRip(0xfff0n, IMAGE), []);
  });
});

describe('finding the slide in guest memory', () => {
  test('a kernel without KASLR costs one read', async () => {
    const guest = guestAt(0n);
    const found = await findSlide(guest, IMAGE, [0xffffffff81a17a0bn], true);
    assert.deepEqual(found, { slide: 0n, method: 'unslid', candidates: 1 });
    assert.equal(guest.reads.length, 1);
  });

  test("a slid kernel is found from a vCPU's RIP in a few reads", async () => {
    const guest = guestAt(0x34600000n);
    const found = await findSlide(guest, IMAGE, [undefined, 0xffffffffb6017a0bn], true);
    assert.equal(found?.slide, 0x34600000n);
    assert.equal(found?.method, 'rip');
    assert.equal(found?.vcpu, 1);
    assert.ok(guest.reads.length <= 9, `${guest.reads.length} reads`);
  });

  test('with every vCPU in user space, the whole area is scanned', async () => {
    const guest = guestAt(0x1e00000n * 4n);
    const found = await findSlide(guest, IMAGE, [0x401000n], true);
    assert.equal(found?.slide, 0x7800000n);
    assert.equal(found?.method, 'scan');
  });

  test('before the kernel runs nothing matches, and no scan when told so', async () => {
    const guest = { read: () => Promise.resolve(undefined) };
    const misses = { candidates: 0, unreadable: 0 };
    assert.equal(await findSlide(guest, IMAGE, [0xfff0n], false, misses), undefined);
    assert.deepEqual(misses, { candidates: 1, unreadable: 1 });
  });

  test('the Debug Console line says slide, how and where _text is', () => {
    assert.equal(
      describeSlide({ slide: 0x34600000n, method: 'rip', vcpu: 0, candidates: 7 }, IMAGE, 12),
      "KASLR slide 0x34600000, found from vCPU 0's RIP: _text at 0xffffffffb5600000 (7 candidates compared with vmlinux's startup_64, 12 ms)",
    );
  });
});
