#!/usr/bin/env bash
# hvdbg lab: fetch the Debian kernel packages, extract only what the lab needs, build the initramfs and
# write manifest.json. Idempotent; everything lives in ${HVDBG_LAB_CACHE:-$HOME/.cache/hvdbg-lab}.
# See test/lab/README.md.
#
# Environment:
#   HVDBG_LAB_CACHE        cache directory (default $HOME/.cache/hvdbg-lab)
#   HVDBG_LAB_META         meta package naming the kernel ABI (default linux-image-cloud-amd64)
#   HVDBG_LAB_IMAGE_PKG    pin the image package (e.g. linux-image-6.1.0-56-cloud-amd64), skips the meta lookup
#   HVDBG_LAB_FULL_SOURCE  1: extract the whole linux-source tree (default: a subset, see SOURCE_EXCLUDES)
#   HVDBG_LAB_NO_SOURCE    1: do not fetch linux-source at all
#
# Prints the manifest path on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${HVDBG_LAB_CACHE:-${HOME:?}/.cache/hvdbg-lab}
meta=${HVDBG_LAB_META:-linux-image-cloud-amd64}
debs="$cache/debs"
t_start=$(date +%s.%N)

log() { printf 'hvdbg-lab: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
elapsed() { awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

for tool in dpkg-deb tar xz gzip cpio gcc sha256sum readelf flock; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
busybox=$(command -v busybox || true)
[[ -n $busybox ]] || die "busybox not found (apt-get install busybox-static)"
if readelf -l "$busybox" | grep -q 'Requesting program interpreter'; then
  die "$busybox is not a static binary (apt-get install busybox-static)"
fi

mkdir -p "$debs"
exec 9>"$cache/.lock"
flock 9 # one prepare at a time per cache (parallel test runs)

# ---------------------------------------------------------------------------------------------------
# 1. Which kernel? The meta package's dependency names the newest ABI.
# ---------------------------------------------------------------------------------------------------
# Once resolved, the choice is remembered in current.env (a warm run then needs no apt-cache, about
# 2 s); HVDBG_LAB_REFRESH=1 asks apt again (e.g. after a new kernel ABI reached the archive).
image_pkg=${HVDBG_LAB_IMAGE_PKG:-}
version=""
if [[ -z $image_pkg && ${HVDBG_LAB_REFRESH:-0} != 1 && -s $cache/current.env ]]; then
  # shellcheck disable=SC1091
  source "$cache/current.env"
fi
if [[ -z $image_pkg ]]; then
  image_pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1 || true)
fi
if [[ -n $image_pkg && -z $version ]]; then
  version=$(apt-cache policy "$image_pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -1 || true)
  [[ $version == "(none)" ]] && version=""
fi
if [[ -z $image_pkg || -z $version ]]; then
  # Offline or no apt lists: reuse the newest image already in the cache.
  cached=$(find "$debs" -maxdepth 1 -name 'linux-image-*_amd64.deb' ! -name '*-dbg_*' -printf '%f\n' | sort -V | tail -1)
  [[ -n $cached ]] || die "cannot resolve $meta with apt-cache (run apt-get update?) and nothing cached in $debs"
  image_pkg=${cached%%_*}
  version=${cached#*_}
  version=${version%_amd64.deb}
  version=${version//%3a/:}
  log "apt-cache could not resolve $meta; using cached $image_pkg $version"
fi
printf 'image_pkg=%q\nversion=%q\n' "$image_pkg" "$version" >"$cache/current.env"
kver=${image_pkg#linux-image-}        # 6.1.0-56-cloud-amd64 (uname -r)
upstream=${version%%-*}                # 6.1.192
series=$(cut -d. -f1,2 <<<"$upstream") # 6.1
fver=${version//:/%3a}
image_deb="$debs/${image_pkg}_${fver}_amd64.deb"
dbg_deb="$debs/${image_pkg}-dbg_${fver}_amd64.deb"
src_pkg="linux-source-$series"
src_deb="$debs/${src_pkg}_${fver}_all.deb"
kdir="$cache/${kver}_${version//:/_}"
mkdir -p "$kdir"
log "kernel $kver, package version $version"

apt_opts=()
[[ $EUID -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root) # silences the _apt sandbox warning

fetch() { # fetch <pkg> <version> <dest .deb>
  local pkg=$1 ver=$2 dest=$3 part
  [[ -s $dest ]] && return 0
  log "downloading $pkg=$ver"
  part=$(mktemp -d "$debs/.partial.XXXXXX")
  if ! (cd "$part" && apt-get download -q "${apt_opts[@]}" "$pkg=$ver" >&2); then
    rm -rf "$part"
    return 1
  fi
  mv "$part"/*.deb "$dest"
  rm -rf "$part"
}

fetch "$image_pkg" "$version" "$image_deb" || die "apt-get download $image_pkg=$version failed"
fetch "$image_pkg-dbg" "$version" "$dbg_deb" || die "apt-get download $image_pkg-dbg=$version failed"
have_source=0
if [[ ${HVDBG_LAB_NO_SOURCE:-0} != 1 ]]; then
  if [[ -s $src_deb ]]; then
    have_source=1
  elif apt-cache show "$src_pkg=$version" >/dev/null 2>&1; then
    fetch "$src_pkg" "$version" "$src_deb" && have_source=1
  else
    log "warning: $src_pkg=$version is not available (its version differs from the image's); no sources"
  fi
fi

# ---------------------------------------------------------------------------------------------------
# 2. Extract only what is needed (each step lands atomically: extract into a temp dir, then rename).
# ---------------------------------------------------------------------------------------------------
unpack_module() { # .ko, .ko.xz, .ko.zst, .ko.gz -> plain .ko (busybox insmod loads plain ELF)
  local src=$1 dest=$2
  case $src in
    *.ko.xz) xz -dc "$src" >"$dest" ;;
    *.ko.zst) zstd -qdc "$src" >"$dest" ;;
    *.ko.gz) gzip -dc "$src" >"$dest" ;;
    *.ko) cp "$src" "$dest" ;;
    *) die "unexpected module file $src" ;;
  esac
}

if [[ ! -e $kdir/.image.done ]]; then
  log "extracting vmlinuz and modules from $(basename "$image_deb")"
  tmp=$(mktemp -d "$kdir/.tmp.XXXXXX")
  dpkg-deb --fsys-tarfile "$image_deb" | tar -x -C "$tmp" --wildcards \
    '*/boot/vmlinuz-*' '*/boot/config-*' \
    '*/kernel/arch/x86/kvm/kvm.ko*' '*/kernel/arch/x86/kvm/kvm-amd.ko*' '*/kernel/virt/lib/irqbypass.ko*'
  mkdir -p "$kdir/modules"
  for f in vmlinuz config; do
    src=$(find "$tmp" -type f -name "$f-*" | head -1)
    [[ -n $src ]] || die "$f not found in $image_deb"
    mv "$src" "$kdir/$f"
  done
  for m in kvm kvm-amd irqbypass; do
    src=$(find "$tmp" -type f -name "$m.ko*" | head -1)
    [[ -n $src ]] || die "$m.ko not found in $image_deb"
    unpack_module "$src" "$kdir/modules/$m.ko"
  done
  rm -rf "$tmp"
  touch "$kdir/.image.done"
fi

# Subset of the tree: everything a debugger can step into in this kernel config, minus big trees that
# the cloud flavour does not build or that hold no code (xz dominates: about 9 s, subset or not).
# Checked: every compile unit of vmlinux, kvm.ko and kvm-amd.ko names a file that is kept, except the
# files generated in the build directory (*.asn1.c, capflags.c, vdso-image-*.c, defkeymap.c, ...).
# 'tools/[!l]*' keeps tools/lib (tools/lib/bpf/relo_core.c is built in); 'drivers/gpu/*/*/*' keeps
# drivers/gpu/drm/*.c (drm_panel_orientation_quirks.c is built in) but drops the GPU drivers.
SOURCE_EXCLUDES=(Documentation 'tools/[!l]*' sound samples LICENSES 'drivers/gpu/*/*/*' drivers/media
  drivers/staging drivers/net/wireless drivers/infiniband drivers/net/ethernet/mellanox
  arch/alpha arch/arc arch/arm arch/arm64 arch/csky arch/hexagon arch/ia64 arch/loongarch arch/m68k
  arch/microblaze arch/mips arch/nios2 arch/openrisc arch/parisc arch/powerpc arch/riscv arch/s390 arch/sh
  arch/sparc arch/um arch/xtensa)
src_root=""
[[ $have_source == 1 ]] && src_root="$kdir/$src_pkg"
extract_source() {
  local tmp excludes=() e
  log "extracting the source tree from $(basename "$src_deb") (about 10 s)"
  rm -rf "$src_root"
  tmp=$(mktemp -d "$kdir/.tmp.XXXXXX")
  if [[ ${HVDBG_LAB_FULL_SOURCE:-0} != 1 ]]; then
    for e in "${SOURCE_EXCLUDES[@]}"; do excludes+=("--exclude=$src_pkg/$e"); done
  fi
  # The .deb holds one file, usr/src/linux-source-6.1.tar.xz; stream it, do not keep it.
  dpkg-deb --fsys-tarfile "$src_deb" | tar -xO --wildcards "*/usr/src/$src_pkg.tar.*" |
    xz -dc | tar -x -C "$tmp" "${excludes[@]}"
  [[ -d $tmp/$src_pkg/arch/x86/kvm ]] || die "unexpected layout in $src_deb"
  mv "$tmp/$src_pkg" "$src_root"
  rm -rf "$tmp"
  touch "$kdir/.source.done"
}
src_pid=""
if [[ -n $src_root && ! -e $kdir/.source.done ]]; then
  extract_source & # in parallel with the -dbg extraction below (both are single-threaded xz)
  src_pid=$!
fi

if [[ ! -e $kdir/.dbg.done ]]; then
  log "extracting vmlinux and debug modules from $(basename "$dbg_deb") (about 10 s)"
  tmp=$(mktemp -d "$kdir/.tmp.XXXXXX")
  dpkg-deb --fsys-tarfile "$dbg_deb" | tar -x -C "$tmp" --wildcards \
    '*/debug/boot/vmlinux-*' '*/debug/lib/modules/*/kernel/arch/x86/kvm/kvm.ko*' \
    '*/debug/lib/modules/*/kernel/arch/x86/kvm/kvm-amd.ko*'
  mkdir -p "$kdir/dbg"
  src=$(find "$tmp" -type f -name 'vmlinux-*' | head -1)
  [[ -n $src ]] || die "vmlinux not found in $dbg_deb"
  mv "$src" "$kdir/dbg/vmlinux"
  for m in kvm kvm-amd; do
    src=$(find "$tmp" -type f -name "$m.ko*" | head -1)
    [[ -n $src ]] || die "debug $m.ko not found in $dbg_deb"
    unpack_module "$src" "$kdir/dbg/$m.ko"
  done
  rm -rf "$tmp"
  touch "$kdir/.dbg.done"
fi

if [[ -n $src_pid ]]; then
  wait "$src_pid" || die "extracting the source tree failed"
fi

# ---------------------------------------------------------------------------------------------------
# 3. DWARF path facts (how the compile unit names must be mapped to the source tree).
# ---------------------------------------------------------------------------------------------------
if [[ ! -e $kdir/dwarf.env ]]; then
  # The CU of arch/x86/kvm/x86.c in the debug kvm.ko (C units: relative comp_dir, prefix-mapped).
  cu=$(readelf --debug-dump=info --dwarf-depth=1 "$kdir/dbg/kvm.ko" |
    grep -E 'DW_AT_(name|comp_dir)' | grep -A1 -E 'DW_AT_name .*: arch/x86/kvm/x86\.c$' | head -2 || true)
  c_name=$(sed -n '1s/.*: //p' <<<"$cu")
  c_compdir=$(sed -n '2s/.*: //p' <<<"$cu")
  # The first CU of vmlinux is arch/x86/kernel/head_64.S: assembler units keep absolute build paths.
  asm=$(readelf --debug-dump=info --dwarf-depth=1 "$kdir/dbg/vmlinux" 2>/dev/null | grep -m2 -E 'DW_AT_(name|comp_dir)' || true)
  asm_name=$(sed -n '1s/.*: //p' <<<"$asm")
  asm_compdir=$(sed -n '2s/.*: //p' <<<"$asm")
  build_prefix=${asm_name%/arch/x86/kernel/head_64.S}
  {
    printf 'c_name=%q\nc_compdir=%q\nasm_name=%q\nasm_compdir=%q\nbuild_prefix=%q\n' \
      "$c_name" "$c_compdir" "$asm_name" "$asm_compdir" "$build_prefix"
  } >"$kdir/dwarf.env.tmp"
  mv "$kdir/dwarf.env.tmp" "$kdir/dwarf.env"
fi
# shellcheck disable=SC1091
source "$kdir/dwarf.env"

# ---------------------------------------------------------------------------------------------------
# 4. The KVM program and the initramfs (rebuilt when any input changes).
# ---------------------------------------------------------------------------------------------------
prog="$kdir/kvm-hypercall"
prog_hash=$(cat "$here/kvm-hypercall.c" <(gcc --version | head -1) | sha256sum | cut -c1-16)
if [[ ! -x $prog || ! -e $prog.src-hash || $(cat "$prog.src-hash") != "$prog_hash" ]]; then
  log "building kvm-hypercall"
  gcc -static -O2 -Wall -Wextra -o "$prog.tmp" "$here/kvm-hypercall.c"
  mv "$prog.tmp" "$prog"
  echo "$prog_hash" >"$prog.src-hash"
fi

# Debian's trace-cmd (dynamically linked) goes in with exactly the shared objects ldd names and the
# dynamic loader, at their absolute paths (the loader's built-in search path finds them without an
# ld.so.cache): about 1.6 MB more in the gzip'd initramfs. Optional: without trace-cmd on this machine
# (scripts/setup.sh installs it) the initramfs is built without it (hvdbg-capture then says so).
# Bump initrd_format when the initramfs's layout changes so that existing caches rebuild.
initrd_format=2
tracecmd=$(command -v trace-cmd || true)
tracecmd_files=()
if [[ -n $tracecmd ]]; then
  tracecmd=$(readlink -f "$tracecmd")
  mapfile -t tracecmd_files < <(ldd "$tracecmd" | sed -n 's/.*=> \(\/[^ ]*\) (0x.*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p')
  [[ ${#tracecmd_files[@]} -ge 2 ]] || die "ldd $tracecmd named no shared objects"
else
  log "warning: trace-cmd not found (apt-get install trace-cmd); the lab will have no trace-cmd"
fi

initrd="$kdir/initrd.gz"
ir_hash=$(cat <(echo "format $initrd_format ${tracecmd_files[*]}") "$here/init" "$here/capture.sh" "$here/prepare.sh" "$prog" \
  "$busybox" "$kdir"/modules/*.ko ${tracecmd:+"$tracecmd"} "${tracecmd_files[@]}" | sha256sum | cut -c1-16)
if [[ ! -s $initrd || ! -e $initrd.inputs || $(cat "$initrd.inputs") != "$ir_hash" ]]; then
  log "building the initramfs"
  stage=$(mktemp -d "$kdir/.initrd.XXXXXX")
  mkdir -p "$stage"/{bin,dev,proc,sys,tmp,root,lib/modules}
  cp "$busybox" "$stage/bin/busybox"
  cp "$here/init" "$stage/init"
  cp "$here/capture.sh" "$stage/bin/hvdbg-capture"
  cp "$prog" "$stage/bin/kvm-hypercall"
  cp "$kdir"/modules/{irqbypass,kvm,kvm-amd}.ko "$stage/lib/modules/"
  chmod 0755 "$stage/init" "$stage/bin/busybox" "$stage/bin/kvm-hypercall" "$stage/bin/hvdbg-capture"
  if [[ -n $tracecmd ]]; then
    cp "$tracecmd" "$stage/bin/trace-cmd"
    for f in "${tracecmd_files[@]}"; do
      mkdir -p "$stage$(dirname "$f")"
      cp -L "$f" "$stage$f" # the file, not the symlink (libc.so.6 -> libc-2.36.so on older releases)
    done
    chmod 0755 "$stage/bin/trace-cmd"
  fi
  # /dev/console comes from the kernel's built-in initramfs (usr/default_cpio_list); /init also
  # reopens it after mounting devtmpfs, so no device node (and no root) is needed here.
  (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
    gzip -6n >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  echo "$ir_hash" >"$initrd.inputs"
  rm -rf "$stage"
fi

# ---------------------------------------------------------------------------------------------------
# 5. manifest.json
# ---------------------------------------------------------------------------------------------------
js() { # JSON string
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
manifest="$cache/manifest.json"
{
  printf '{\n'
  printf '  "kernelVersion": %s,\n' "$(js "$kver")"
  printf '  "packageVersion": %s,\n' "$(js "$version")"
  printf '  "imagePackage": %s,\n' "$(js "$image_pkg")"
  printf '  "vmlinuz": %s,\n' "$(js "$kdir/vmlinuz")"
  printf '  "vmlinux": %s,\n' "$(js "$kdir/dbg/vmlinux")"
  printf '  "kvmKo": %s,\n' "$(js "$kdir/dbg/kvm.ko")"
  printf '  "kvmAmdKo": %s,\n' "$(js "$kdir/dbg/kvm-amd.ko")"
  printf '  "initrd": %s,\n' "$(js "$initrd")"
  printf '  "sourceRoot": %s,\n' "$(js "$src_root")"
  printf '  "config": %s,\n' "$(js "$kdir/config")"
  printf '  "kvmHypercall": %s,\n' "$(js "$prog")"
  printf '  "modules": { "irqbypass": %s, "kvm": %s, "kvmAmd": %s },\n' \
    "$(js "$kdir/modules/irqbypass.ko")" "$(js "$kdir/modules/kvm.ko")" "$(js "$kdir/modules/kvm-amd.ko")"
  printf '  "dwarf": {\n'
  printf '    "compDir": %s,\n' "$(js "$c_compdir")"
  printf '    "x86cName": %s,\n' "$(js "$c_name")"
  printf '    "asmCompDir": %s,\n' "$(js "$asm_compdir")"
  printf '    "asmName": %s,\n' "$(js "$asm_name")"
  printf '    "buildPrefix": %s\n' "$(js "$build_prefix")"
  printf '  },\n'
  # C units: DW_AT_name is relative to the source root (arch/x86/kvm/x86.c) under a relative comp_dir;
  # assembler units keep absolute paths under the build prefix. Both map to the source root.
  if [[ -n $src_root ]]; then
    printf '  "sourceMap": [ { "from": %s, "to": %s }, { "from": %s, "to": %s } ],\n' \
      "$(js "$c_compdir")" "$(js "$src_root")" "$(js "$build_prefix")" "$(js "$src_root")"
    printf '  "gdbSourceCommands": [ %s, %s ]\n' \
      "$(js "directory $src_root")" "$(js "set substitute-path $build_prefix $src_root")"
  else
    printf '  "sourceMap": [],\n  "gdbSourceCommands": []\n'
  fi
  printf '}\n'
} >"$manifest.tmp"
mv "$manifest.tmp" "$manifest"
log "ready in $(elapsed) s: $manifest"
echo "$manifest"
