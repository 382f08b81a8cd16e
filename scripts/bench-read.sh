#!/usr/bin/env bash
# Speed of `mvtp read` next to tcpdump and tshark on the same large mixed capture, as
# ratios (issue: dissector performance). Not a test: figures go to the README.
#
#   scripts/bench-read.sh [PACKETS]      (default 400000; capture written to $TMPDIR)
#
# Every tool reads the same file with no keys and writes to /dev/null; each is timed by
# /usr/bin/time (wall seconds, peak RSS). tshark is slow: its runs dominate the time.
set -euo pipefail
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
command -v bc >/dev/null || { echo "needs bc (apt-get install bc)"; exit 2; }
cd "$(dirname "$0")/.."
n=${1:-400000}
tmp=${TMPDIR:-/tmp}
cap="$tmp/mvtp-bench-$n.pcap"
cargo build --release -q -p mvtp -p corpus
[ -f "$cap" ] || ./target/release/corpus bench-capture "$cap" "$n" >/dev/null
mvtp=./target/release/mvtp
echo "capture: $cap ($n packets, $(du -h "$cap" | cut -f1))"

run() { # name, command...
  local name=$1; shift
  local t out="$tmp/mvtp-bench-time.$$"
  # GNU time writes its figures to a file (-o): the command's own output goes to /dev/null.
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>&1 || true
  t=$(tail -n 1 "$out"); rm -f "$out"
  local secs=${t% *} kib=${t#* }
  printf '%-28s %8.2f s %10.0f pkt/s %8d MiB peak\n' "$name" "$secs" "$(echo "$n / $secs" | bc -l)" $((kib / 1024))
  eval "secs_${name//[^a-zA-Z0-9]/_}=$secs"
}

run mvtp_summary   "$mvtp" read -r "$cap"
run mvtp_V         "$mvtp" read -r "$cap" -V
run mvtp_json      "$mvtp" read -r "$cap" -T json
if command -v tcpdump >/dev/null; then run tcpdump env TZ=UTC tcpdump -nn -r "$cap"; fi
if command -v tshark >/dev/null; then
  run tshark_summary tshark -n -r "$cap"
  run tshark_V       tshark -n -r "$cap" -V
  run tshark_json    tshark -n -r "$cap" -T json
fi

ratio() { echo "scale=1; $1 / $2" | bc -l; }
echo
echo "ratios (how many times faster mvtp is; bars from the issue in brackets):"
[ -n "${secs_tshark_summary:-}" ] && echo "  summary vs tshark:       $(ratio "$secs_tshark_summary" "$secs_mvtp_summary")x  [>= 25]"
[ -n "${secs_tcpdump:-}" ] &&        echo "  summary vs tcpdump -nn:  $(ratio "$secs_tcpdump" "$secs_mvtp_summary")x  [>= 5]"
[ -n "${secs_tshark_V:-}" ] &&       echo "  -V vs tshark -V:         $(ratio "$secs_tshark_V" "$secs_mvtp_V")x  [>= 25]"
[ -n "${secs_tshark_json:-}" ] &&    echo "  json vs tshark -T json:  $(ratio "$secs_tshark_json" "$secs_mvtp_json")x  [>= 25]"
