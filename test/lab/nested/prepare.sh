#!/usr/bin/env bash
# hvdbg nested lab: builds the L1 initramfs that runs an L2 Linux guest of KVM (see README.md here).
# Usage: prepare.sh <lab kernel dir>   (the directory of the lab's vmlinuz, holding modules/; run
# test/lab/prepare.sh first). Idempotent: rebuilds only when an input changed. Prints the initramfs path.
#
# The L1 initramfs holds: busybox, /init (init-l1), irqbypass/kvm/kvm-amd.ko, Debian's qemu-system-x86_64
# with exactly the shared objects `ldd` names and the dynamic loader at their own paths, the firmware a
# `-nodefaults -kernel` boot of the pc machine opens (bios-256k.bin, kvmvapic.bin, linuxboot_dma.bin;
# checked with strace), and /l2/{vmlinuz,initrd.gz}: the same kernel, and a busybox initramfs whose
# /init is init-l2, and /bin/l2-hypercall (l2-hypercall.c, the user-space KVM_HC_SCHED_YIELD loop).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kdir=${1:?usage: prepare.sh <lab kernel dir>}
out="$kdir/nested"

log() { printf 'hvdbg-nested: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

for tool in cpio gzip sha256sum ldd readelf gcc; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found (apt-get install busybox-static)"
qemu=$(command -v qemu-system-x86_64 || true)
[[ -n $qemu ]] || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
qemu=$(readlink -f "$qemu")
[[ -s $kdir/vmlinuz && -s $kdir/modules/kvm.ko ]] || die "$kdir has no vmlinuz/modules (run test/lab/prepare.sh)"

# Firmware: found where QEMU looks (`qemu-system-x86_64 -L help`), stored at /usr/share/qemu (the
# first directory of the L1 QEMU's own search path, /usr/bin/../share/qemu).
firmware=()
for f in bios-256k.bin kvmvapic.bin linuxboot_dma.bin; do
  found=""
  while IFS= read -r d; do
    if [[ -e $d/$f ]]; then
      found=$(readlink -f "$d/$f")
      break
    fi
  done < <("$qemu" -L help)
  [[ -n $found ]] || die "QEMU firmware $f not found"
  firmware+=("$found")
done

mapfile -t libs < <(ldd "$qemu" | sed -n 's/.*=> \(\/[^ ]*\) (0x.*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p')
[[ ${#libs[@]} -ge 2 ]] || die "ldd $qemu named no shared objects"

# zstd decompresses several times faster than gzip, which matters under TCG (the L1 kernel supports both).
compress=(gzip -6n)
ext=gz
if command -v zstd >/dev/null; then
  compress=(zstd -q -10 -T0 -c)
  ext=zst
fi

# L2's user-space hypercall loop (l2-hypercall.c), cached by the hash of its source and the compiler.
mkdir -p "$out"
hcprog="$out/l2-hypercall"
hc_hash=$(cat "$here/l2-hypercall.c" <(gcc --version | head -1) | sha256sum | cut -c1-16)
if [[ ! -x $hcprog || ! -e $hcprog.hash || $(cat "$hcprog.hash") != "$hc_hash" ]]; then
  log "building l2-hypercall"
  gcc -static -no-pie -O2 -Wall -Wextra -o "$hcprog.tmp.$$" "$here/l2-hypercall.c"
  mv "$hcprog.tmp.$$" "$hcprog"
  echo "$hc_hash" >"$hcprog.hash"
fi

format=2 # bump when the layout changes
key=$(cat <(echo "format $format ${compress[*]} ${libs[*]} ${firmware[*]}") "$here/init-l1" "$here/init-l2" \
  "$here/prepare.sh" "$hcprog" "$busybox" "$qemu" "${libs[@]}" "${firmware[@]}" "$kdir/vmlinuz" "$kdir"/modules/*.ko |
  sha256sum | cut -c1-16)
initrd="$out/initrd-l1.$ext"
if [[ -s $initrd && -e $out/inputs && $(cat "$out/inputs") == "$key" ]]; then
  echo "$initrd"
  exit 0
fi

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
log "building the nested initramfs (L1 with QEMU, L2 busybox)"
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# L2: busybox and init-l2 only.
mkdir -p "$stage/l2/bin" "$stage/l2/dev" "$stage/l2/proc" "$stage/l2/sys" "$stage/l2/tmp"
cp "$busybox" "$stage/l2/bin/busybox"
cp "$here/init-l2" "$stage/l2/init"
cp "$hcprog" "$stage/l2/bin/l2-hypercall"
chmod 0755 "$stage/l2/init" "$stage/l2/bin/busybox" "$stage/l2/bin/l2-hypercall"
l1="$stage/l1"
mkdir -p "$l1"/{bin,dev,proc,sys,tmp,root,lib/modules,l2,usr/bin,usr/share/qemu}
(cd "$stage/l2" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
  gzip -6n >"$l1/l2/initrd.gz"
cp "$kdir/vmlinuz" "$l1/l2/vmlinuz"

# L1: the lab's busybox and modules, init-l1, QEMU and what it loads.
cp "$busybox" "$l1/bin/busybox"
cp "$here/init-l1" "$l1/init"
cp "$kdir"/modules/{irqbypass,kvm,kvm-amd}.ko "$l1/lib/modules/"
cp "$qemu" "$l1/usr/bin/qemu-system-x86_64"
for f in "${libs[@]}"; do
  mkdir -p "$l1$(dirname "$f")"
  cp -L "$f" "$l1$f"
done
for f in "${firmware[@]}"; do cp "$f" "$l1/usr/share/qemu/"; done
chmod 0755 "$l1/init" "$l1/bin/busybox" "$l1/usr/bin/qemu-system-x86_64"

(cd "$l1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
  "${compress[@]}" >"$initrd.tmp"
mv "$initrd.tmp" "$initrd"
echo "$key" >"$out/inputs"
log "built $initrd ($(du -h "$initrd" | cut -f1))"
echo "$initrd"
