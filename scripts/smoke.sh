#!/usr/bin/env bash
# Start the release binary under Xvfb on a temporary profile, wait for its
# window, take a screenshot, and fail if the window never appears or the
# screenshot is blank. Usage: scripts/smoke.sh PATH/TO/pakchat
set -euo pipefail
bin="${1:?usage: smoke.sh PATH/TO/pakchat}"
[[ -x "$bin" ]] || { echo "smoke: $bin is not an executable" >&2; exit 1; }

work="$(mktemp -d)"
display=":$((90 + RANDOM % 9))"
xvfb_pid=""
app_pid=""
cleanup() {
    [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null || true
    [[ -n "$xvfb_pid" ]] && kill "$xvfb_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY="$display"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "smoke: Xvfb did not start" >&2; cat "$work/xvfb.log" >&2; exit 1; }

"$bin" --data-dir "$work/data" --key-file "$work/key" >"$work/app.log" 2>&1 &
app_pid=$!
window=""
for _ in $(seq 300); do
    window="$(xdotool search --name '^Pak\.Chat$' 2>/dev/null | head -1 || true)"
    [[ -n "$window" ]] && break
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$window" ]]; then
    echo "smoke: the Pak.Chat window never appeared; app log:" >&2
    cat "$work/app.log" >&2
    exit 1
fi
# Give the first frames time to render, then type and send a message.
sleep 2
xdotool windowfocus --sync "$window" 2>/dev/null || true
xdotool type --delay 20 "smoke test message"
xdotool key Return
sleep 1.5
# A second launch on the same profile hands over: it exits at once and the
# running app opens a window with a new chat.
second_status=0
timeout 20 "$bin" --data-dir "$work/data" --key-file "$work/key" >"$work/second.log" 2>&1 || second_status=$?
if (( second_status != 0 )); then
    echo "smoke: the second launch failed ($second_status); its log:" >&2
    cat "$work/second.log" >&2
    exit 1
fi
second=""
for _ in $(seq 100); do
    second="$(xdotool search --name '^New chat .*Pak\.Chat$' 2>/dev/null | head -1 || true)"
    [[ -n "$second" ]] && break
    sleep 0.1
done
[[ -n "$second" ]] || { echo "smoke: the second launch opened no window; windows:" >&2; for w in $(xdotool search --name . 2>/dev/null); do echo "  $(xdotool getwindowname "$w")" >&2; done; cat "$work/app.log" >&2; exit 1; }
sleep 1
shot="${SMOKE_SCREENSHOT:-$work/shot.png}"
import -window root "$shot"
colors="$(convert "$shot" -format '%k' info:)"
echo "smoke: window $window (and $second from a second launch), screenshot $shot with $colors colours"
if (( colors < 16 )); then
    echo "smoke: the screenshot is blank" >&2
    exit 1
fi
kill -0 "$app_pid" 2>/dev/null || { echo "smoke: the app exited early; log:" >&2; cat "$work/app.log" >&2; exit 1; }
# The message must have been stored: the profile exists on disk.
[[ -f "$work/data/profiles/default/db" ]] || { echo "smoke: no profile was written" >&2; exit 1; }
echo "smoke: ok"
