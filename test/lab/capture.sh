#!/bin/busybox sh
# shellcheck shell=dash
# /bin/hvdbg-capture in the lab initramfs (from test/lab/capture.sh, copied by prepare.sh). Records the
# kvm:* trace events of one window ONCE, in the top-level ftrace buffer, and prints that buffer two ways
# on stdout: the kernel's own text (the `trace` file) and trace-cmd's trace.dat. test/lab/captureTraces.ts
# types `hvdbg-capture <seconds>` on the console and decodes the output; see
# test/fixtures/traces/README.md.
#
#   trace-cmd start -e kvm        clears the top-level buffer, enables the kvm events there, tracing on
#   sleep <seconds>               the window
#   trace-cmd stop                tracing off: the buffer holds exactly the window's events
#   cat trace > trace.txt         the kernel's text; reading `trace` does not consume the buffer
#   trace-cmd extract -o trace.dat  the same buffer, binary (this read consumes it)
#
# The lab's ttyS1 stream reads its own instance (instances/hvdbg, see /init), so it neither loses events
# to the capture nor takes any from it. trace-cmd extract runs with /proc/kallsyms bind-mounted to
# /dev/null (in a private mount namespace): the file then lacks the kernel's symbol table (3.9 MB, about
# 1 MB of zstd in trace.dat), which only names kernel functions; no kvm event prints one.
#
# Output (only these lines are meant for machines; the payload is `gzip -9 | base64`, 76 columns):
#   HVDBG-CAP info kernel=<uname -r> trace-cmd=<version> seconds=<s> start=<uptime> stop=<uptime>
#     extracted=<uptime> entries=<in buffer>/<written> kallsyms=<masked|full>      (one line)
#   HVDBG-CAP begin <name> bytes=<size> sha256=<hex>
#   ...
#   HVDBG-CAP end <name>
#   HVDBG-CAP done
# or `HVDBG-CAP error <what>` (then the tool's output) and exit status 1.
secs=${1:-1}
T=/sys/kernel/tracing
D=/tmp/hvdbg-capture
say() { echo "HVDBG-CAP $*"; }
fail() {
  say error "$1"
  [ -n "${2:-}" ] && [ -e "$2" ] && cat "$2"
  exit 1
}

command -v trace-cmd >/dev/null || fail "no trace-cmd in the initramfs (prepare.sh found none)"
[ -e $T/trace ] || mount -t tracefs tracefs $T || fail "cannot mount tracefs"
[ -e $T/events/kvm/enable ] || fail "no kvm trace events (kvm.ko not loaded?)"
rm -rf $D
mkdir -p $D || fail "cannot create $D"
version=$(trace-cmd --version 2>&1 | sed -n 's/^trace-cmd version \([^ ]*\).*/\1/p')

trace-cmd start -e kvm >$D/start.log 2>&1 || fail "trace-cmd start" $D/start.log
start=$(cut -d' ' -f1 /proc/uptime)
sleep "$secs"
stop=$(cut -d' ' -f1 /proc/uptime)
trace-cmd stop >$D/stop.log 2>&1 || fail "trace-cmd stop" $D/stop.log

cat $T/trace >$D/trace.txt || fail "cat trace"
entries=$(sed -n 's|^# entries-in-buffer/entries-written: \([0-9]*/[0-9]*\).*|\1|p' $D/trace.txt)
kallsyms=masked
# shellcheck disable=SC2016 # $1 is expanded by the inner shell
if ! unshare -m sh -c 'mount --bind /dev/null /proc/kallsyms && exec trace-cmd extract -o "$1"' sh $D/trace.dat \
  >$D/extract.log 2>&1; then
  # No mount namespace or bind mount: the full file (about 1 MB more to transfer).
  kallsyms=full
  rm -f $D/trace.dat
  trace-cmd extract -o $D/trace.dat >$D/extract.log 2>&1 || fail "trace-cmd extract" $D/extract.log
fi
[ -s $D/trace.dat ] || fail "trace-cmd extract wrote nothing" $D/extract.log
extracted=$(cut -d' ' -f1 /proc/uptime)
# extract leaves the events enabled on some versions; the top-level buffer is idle between captures.
echo 0 >$T/events/kvm/enable
echo 0 >$T/tracing_on

say info "kernel=$(uname -r) trace-cmd=$version seconds=$secs start=$start stop=$stop extracted=$extracted entries=$entries kallsyms=$kallsyms"
for f in trace.txt trace.dat; do
  say begin $f "bytes=$(wc -c <$D/$f | tr -d ' ')" "sha256=$(sha256sum $D/$f | cut -d' ' -f1)"
  gzip -9c $D/$f | base64
  say end $f
done
rm -rf $D
say "done"
