#!/usr/bin/env bash
# Speed of `mvtp read`, `mvtp check` and `mvtp stats` next to tcpdump and tshark on the same
# large mixed capture, as ratios (issues #7 and #9). Not a test: figures go to the README.
#
#   scripts/bench-read.sh [PACKETS] [RUNS]   (defaults 400000 and 1; capture in $TMPDIR)
#
# Every tool reads the same file with no keys and writes to /dev/null; each is timed by
# GNU time (wall seconds, CPU seconds user+system, peak RSS). With RUNS > 1 each command
# runs that many times and the best wall time is kept (the machine may be shared: the load
# average is printed before and after). tshark is slow: its runs dominate the time;
# SKIP_TSHARK=1 leaves it out.
set -euo pipefail
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
command -v bc >/dev/null || { echo "needs bc (apt-get install bc)"; exit 2; }
cd "$(dirname "$0")/.."
n=${1:-400000}
runs=${2:-1}
tmp=${TMPDIR:-/tmp}
cap="$tmp/mvtp-bench-$n.pcap"
target=${CARGO_TARGET_DIR:-./target}
cargo build --release -q -p mvtp -p corpus
[ -f "$cap" ] || "$target/release/corpus" bench-capture "$cap" "$n" >/dev/null
mvtp="$target/release/mvtp"
echo "capture: $cap ($n packets, $(du -h "$cap" | cut -f1)); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); best of $runs"
printf '%-16s %8s %8s %12s %10s\n' command wall cpu packets/s "peak RSS"

run() { # name, command...
  local name=$1; shift
  local out="$tmp/mvtp-bench-time.$$" best="" cpu="" kib="" t
  for _ in $(seq "$runs"); do
    # GNU time writes its figures to a file (-o): the command's own output goes to /dev/null.
    /usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >/dev/null 2>&1 || true
    t=$(tail -n 1 "$out")
    read -r w u s m <<<"$t"
    if [ -z "$best" ] || [ "$(echo "$w < $best" | bc -l)" = 1 ]; then
      best=$w; cpu=$(echo "$u + $s" | bc -l); kib=$m
    fi
  done
  rm -f "$out"
  printf '%-16s %7.2fs %7.2fs %12.0f %6d MiB\n' "$name" "$best" "$cpu" "$(echo "$n / $best" | bc -l)" $((kib / 1024))
  eval "secs_${name//[^a-zA-Z0-9]/_}=$best"
}

run mvtp_summary   "$mvtp" read -r "$cap"
run mvtp_summary_1 env MVTP_THREADS=1 "$mvtp" read -r "$cap"
run mvtp_V         "$mvtp" read -r "$cap" -V
run mvtp_json      "$mvtp" read -r "$cap" -T json
run mvtp_check     "$mvtp" check "$cap"
run mvtp_stats     "$mvtp" stats "$cap"
if command -v tcpdump >/dev/null; then run tcpdump env TZ=UTC tcpdump -nn -r "$cap"; fi
if command -v tshark >/dev/null && [ -z "${SKIP_TSHARK:-}" ]; then
  run tshark_summary tshark -n -r "$cap"
  run tshark_V       tshark -n -r "$cap" -V
  run tshark_json    tshark -n -r "$cap" -T json
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo
echo "ratios (how many times faster; bars from the issues in brackets):"
[ -n "${secs_tshark_summary:-}" ] && echo "  summary vs tshark:            $(ratio "$secs_tshark_summary" "$secs_mvtp_summary")x  [>= 25]"
[ -n "${secs_tcpdump:-}" ] &&        echo "  summary vs tcpdump -nn:       $(ratio "$secs_tcpdump" "$secs_mvtp_summary")x  [>= 5]"
[ -n "${secs_tcpdump:-}" ] &&        echo "  summary (1 thread) vs tcpdump: $(ratio "$secs_tcpdump" "$secs_mvtp_summary_1")x"
[ -n "${secs_tshark_V:-}" ] &&       echo "  -V vs tshark -V:              $(ratio "$secs_tshark_V" "$secs_mvtp_V")x  [>= 25]"
[ -n "${secs_tshark_json:-}" ] &&    echo "  json vs tshark -T json:       $(ratio "$secs_tshark_json" "$secs_mvtp_json")x  [>= 25]"
echo "  check speed / summary speed:  $(ratio "$secs_mvtp_summary" "$secs_mvtp_check")  [>= 0.5]"
echo "  stats speed / summary speed:  $(ratio "$secs_mvtp_summary" "$secs_mvtp_stats")"
