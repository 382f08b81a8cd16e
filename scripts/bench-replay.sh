#!/usr/bin/env bash
# Timing of `mvtp replay -i` (issue 10), not a test: figures go to docs/replay.md.
#
#   scripts/bench-replay.sh [FRAMES] [PPS]      (default 100000 frames at 20000 pps)
#
# Needs root (a network namespace with a veth pair va <-> vb), tcpdump and python3;
# tcpreplay for the top-speed comparison. The capture is a corpus capture looped by
# `mvtp replay --loop -w` to FRAMES frames.
#  1. Paced: `mvtp replay -i va --pps PPS`, received by tcpdump on vb with nanosecond
#     timestamps; the achieved rate and the jitter (arrival minus ideal schedule, and the
#     inter-arrival gap minus 1/PPS) are computed from the receiver's timestamps.
#  2. Top speed: `mvtp replay -i va --topspeed` next to `tcpreplay --topspeed -i va` on
#     the same capture and interface, three runs each, best pps of each (sender's own
#     report), and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
pps=${2:-20000}
tmp=$(mktemp -d)
ns="mvtp-bench-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "needs root (ip netns, AF_PACKET)"; exit 2; }
command -v tcpdump >/dev/null || { echo "needs tcpdump"; exit 2; }
mvtp=${MVTP:-}
if [ -z "$mvtp" ]; then
  cargo build --release -q -p mvtp
  mvtp=${CARGO_TARGET_DIR:-target}/release/mvtp
fi
src=corpus/captures/mvtp-roam.fa1.pcap
cap="$tmp/bench.pcap"
per=$("$mvtp" read -r "$src" | wc -l)
"$mvtp" replay -w "$cap" --loop $(( (n + per - 1) / per )) --limit "$n" "$src" 2>/dev/null
echo "capture: $n frames looped from $src ($(du -h "$cap" | cut -f1))"

ip netns add "$ns"
x() { ip netns exec "$ns" "$@"; }
x sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
x ip link add va type veth peer name vb
x ip link set va up
x ip link set vb up

# 1. Paced, measured at the receiver.
# Not through x(): $! must be tcpdump itself (ip netns exec execs it) to stop it below.
ip netns exec "$ns" tcpdump -i vb -w "$tmp/recv.pcap" --time-stamp-precision=nano -B 262144 -U -Q in 2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
sleep 1.5
x "$mvtp" replay -i va --pps "$pps" "$cap" 2>/dev/null | tee "$tmp/send.txt"
sleep 1
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
grep -h "captured\|dropped" "$tmp/tcpdump.err" || true
python3 - "$tmp/recv.pcap" "$pps" "$n" <<'EOF'
import struct, sys
path, pps, want = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
b = open(path, 'rb').read()
magic = struct.unpack('<I', b[:4])[0]
end = '<' if magic in (0xa1b23c4d, 0xa1b2c3d4) else '>'
scale = 1 if struct.unpack(end + 'I', b[:4])[0] == 0xa1b23c4d else 1000
ts, off = [], 24
while off + 16 <= len(b):
    s, sub, cl, _ = struct.unpack(end + 'IIII', b[off:off + 16])
    ts.append(s * 1_000_000_000 + sub * scale)
    off += 16 + cl
n = len(ts)
gap = 1e9 / pps
rate = (n - 1) / ((ts[-1] - ts[0]) / 1e9)
# Arrival minus the ideal schedule from the first arrival (a constant offset removed:
# the median), and inter-arrival gap minus 1/pps.
dev = sorted(abs(t - ts[0] - i * gap) for i, t in enumerate(ts))
med = sorted(t - ts[0] - i * gap for i, t in enumerate(ts))[n // 2]
dev = sorted(abs(t - ts[0] - i * gap - med) for i, t in enumerate(ts))
gaps = sorted(abs((ts[i + 1] - ts[i]) - gap) for i in range(n - 1))
q = lambda v, p: v[min(len(v) - 1, int(round((len(v) - 1) * p)))] / 1e3
print(f"receiver: {n} of {want} frames, {rate:.1f} pps ({(rate / pps - 1) * 100:+.3f} % of {pps:.0f})")
print(f"receiver schedule deviation: p50 {q(dev, .5):.1f} µs, p99 {q(dev, .99):.1f} µs, max {dev[-1] / 1e3:.1f} µs")
print(f"receiver gap jitter (|gap − {gap / 1e3:.0f} µs|): p50 {q(gaps, .5):.1f} µs, p99 {q(gaps, .99):.1f} µs, max {gaps[-1] / 1e3:.1f} µs")
EOF

# 2. Top speed next to tcpreplay.
best() { sort -g | tail -n 1; }
for i in 1 2 3; do
  x "$mvtp" replay -i va --topspeed "$cap" 2>/dev/null | sed -n 's/^Rated: .*, \([0-9.]*\) pps$/\1/p'
done | best > "$tmp/ours"
echo "mvtp replay --topspeed: $(cat "$tmp/ours") pps (best of 3)"
if command -v tcpreplay >/dev/null; then
  for i in 1 2 3; do
    x tcpreplay --topspeed -i va "$cap" 2>/dev/null | sed -n 's/^Rated: .*, \([0-9.]*\) pps$/\1/p'
  done | best > "$tmp/theirs"
  echo "tcpreplay --topspeed:   $(cat "$tmp/theirs") pps (best of 3)"
  python3 -c "import sys; print(f'ratio mvtp/tcpreplay: {float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$(cat "$tmp/ours")" "$(cat "$tmp/theirs")"
else
  echo "tcpreplay not installed: no comparison"
fi
