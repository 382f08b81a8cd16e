#!/usr/bin/env bash
# Responsiveness of `mvtp tui` under a flood on stdin (not a timed test: prints figures).
#
# The stream is the corpus capture's pcapng sections concatenated REPEAT times (28 packets
# each), piped as fast as the pipe takes it. While it runs, a key is sent every 200 ms
# (Down/Up); the UI writes its figures to $MVTP_TUI_BENCH on quit: frames, frames per
# second, longest gap between frames, longest key-to-redraw time. RSS is sampled with ps.
#
# Usage: tui/bench/responsiveness.sh [REPEAT] [RING]   (build first: cargo build -p mvtp)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT=${1:-4000}
RING=${2:-10000}
BIN=${MVTP_BIN:-${CARGO_TARGET_DIR:-target}/debug/mvtp}
CAP=corpus/captures/spec-vectors.pcapng
command -v tmux >/dev/null || { echo "SKIP: tmux missing"; exit 0; }
[ -x "$BIN" ] || { echo "build mvtp first (cargo build -p mvtp) or set MVTP_BIN"; exit 2; }
OUT=$(mktemp)
S=mvtp-tui-bench-$$
tmux new-session -d -s "$S" -x 200 -y 50 \
  "for i in \$(seq $REPEAT); do cat $CAP; done | MVTP_TUI_BENCH=$OUT $BIN tui -r - --ring $RING; sleep 2"
max_rss=0
for i in $(seq 1 75); do
  sleep 0.2
  if (( i % 2 )); then tmux send-keys -t "$S" Down; else tmux send-keys -t "$S" Up; fi
  pid=$(pgrep -n -f "$BIN tui -r - --ring $RING" || true)
  if [ -n "$pid" ]; then
    rss=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ' || echo 0)
    [ -n "$rss" ] && (( rss > max_rss )) && max_rss=$rss
  fi
done
tmux capture-pane -p -t "$S" | head -1
tmux send-keys -t "$S" q
sleep 1.5
tmux kill-session -t "$S" 2>/dev/null || true
echo "packets offered: $((REPEAT * 28)), ring $RING"
cat "$OUT"
echo "max RSS: $((max_rss / 1024)) MiB"
rm -f "$OUT"
