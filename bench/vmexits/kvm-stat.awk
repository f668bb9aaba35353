# Baseline for the benchmark: per-reason counts and exit-to-entry times from ftrace text, as
# perf kvm stat pairs them (each thread's kvm_exit with its next kvm_entry). Prints
# "reason<TAB>samples<TAB>total_us<TAB>min_us<TAB>max_us" per reason, then "exits<TAB>N".
# Written for speed: no field splitting, only index/match/substr on the line. Handles comms with
# spaces ("CPU 0/KVM-1234"), the flags column and the kvm_exit layouts that print "reason … rip".
{
  if ((p = index($0, ": kvm_exit: ")) > 0) ex = 1
  else if ((p = index($0, ": kvm_entry: ")) > 0) ex = 0
  else next
  pre = substr($0, 1, p - 1)
  if (!match(pre, /[0-9]+ +(\([ 0-9-]+\) +)?\[[0-9]+\]/)) next
  pid = substr(pre, RSTART, index(substr(pre, RSTART), " ") - 1)
  match(pre, /[0-9.]+$/)
  ts = substr(pre, RSTART)
  if (ex) {
    exits++
    i = index($0, " reason ")
    j = index($0, " rip ")
    start[pid] = ts
    why[pid] = substr($0, i + 8, j - i - 8)
  } else if (pid in start) {
    d = (ts - start[pid]) * 1000000
    r = why[pid]
    delete start[pid]
    n[r]++
    tot[r] += d
    if (!(r in lo) || d < lo[r]) lo[r] = d
    if (d > hi[r]) hi[r] = d
  }
}
END {
  for (r in n) printf "%s\t%d\t%.3f\t%.3f\t%.3f\n", r, n[r], tot[r], lo[r], hi[r]
  printf "exits\t%d\n", exits
}
