#!/usr/bin/env bash
# Cold start of the release binary to its first frame, with 10 and with
# 10,000 threads in the store (the budget: independent of the thread count).
# Needs Xvfb; run after `cargo build --release --bins --examples`.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$HOME/.cache/pakchat/target}"
work="$(mktemp -d)"
# A free display chosen by Xvfb; -noreset: no reset (and refused clients)
# each time a run's app exits.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$work/display" >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [[ -s "$work/display" ]] && break; sleep 0.1; done
export DISPLAY=":$(head -1 "$work/display")"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"
for threads in 10 10000; do
    "$target/release/examples/seed_profile" "$work/$threads" "$threads" 0
    for run in 1 2 3 4 5; do
        log="$work/run-$threads-$run.log"
        PAKCHAT_LOG=info "$target/release/pakchat" --data-dir "$work/$threads" --key-file "$work/$threads/key" >"$log" 2>&1 &
        pid=$!
        for _ in $(seq 200); do grep -q "first frame" "$log" && break; sleep 0.05; done
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        ms="$(grep 'first frame' "$log" | grep -o 'ms=[0-9.]*' | head -1 | cut -d= -f2 || true)"
        echo "threads=$threads run=$run first_frame_ms=${ms:-none}"
    done
done
