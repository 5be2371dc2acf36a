#!/usr/bin/env bash
# Start the release binary under Xvfb on a temporary profile, wait for its
# window, take a screenshot, and fail if the window never appears or the
# screenshot is blank. Usage: scripts/smoke.sh PATH/TO/pakchat
set -euo pipefail
bin="${1:?usage: smoke.sh PATH/TO/pakchat}"
[[ -x "$bin" ]] || { echo "smoke: $bin is not an executable" >&2; exit 1; }

work="$(mktemp -d)"
xvfb_pid=""
app_pid=""
aimock_pid=""
cleanup() {
    [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null || true
    [[ -n "$aimock_pid" ]] && kill "$aimock_pid" 2>/dev/null || true
    [[ -n "$xvfb_pid" ]] && kill "$xvfb_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Xvfb picks a free display itself and writes its number once it accepts
# connections (a display picked at random could meet another server), and
# -noreset keeps it from resetting whenever its last client leaves (xdpyinfo
# below, a killed app): a client connecting during a reset is refused, which
# failed a CI run.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$work/display" >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do [[ -s "$work/display" ]] && break; sleep 0.1; done
[[ -s "$work/display" ]] || { echo "smoke: Xvfb did not start" >&2; cat "$work/xvfb.log" >&2; exit 1; }
export DISPLAY=":$(head -1 "$work/display")"
xdpyinfo >/dev/null 2>&1 || { echo "smoke: Xvfb on $DISPLAY does not answer" >&2; cat "$work/xvfb.log" >&2; exit 1; }

# The id of the window named Pak.Chat, once it appears (empty if the app
# exits or 30 s pass first).
main_window() {
    local id=""
    for _ in $(seq 300); do
        id="$(xdotool search --name '^Pak\.Chat$' 2>/dev/null | head -1 || true)"
        [[ -n "$id" ]] && break
        kill -0 "$app_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$id"
}

# Start the app (LOG then its arguments) and wait for its window. Should the
# X server still refuse a new client for a moment, that is tried again,
# twice, and told apart from a real fault.
launch() {
    local log="$1"
    shift
    for attempt in 1 2 3; do
        PAKCHAT_LOG=info "$bin" "$@" >"$log" 2>&1 &
        app_pid=$!
        window="$(main_window)"
        [[ -n "$window" ]] && return 0
        grep -q "Failed to open connection to X server" "$log" || return 0
        echo "smoke: the X server on $DISPLAY refused the app (attempt $attempt); trying again; its log:" >&2
        grep -v "^\s*$" "$log" | tail -3 >&2
        kill "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
        sleep 1
    done
}

launch "$work/app.log" --data-dir "$work/data" --key-file "$work/key"
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
# A file manager's copy: the clipboard offers only a text/uri-list, no text.
# Ctrl+V attaches the file.
printf 'Shopping list\n' >"$work/copied notes.txt"
printf 'file://%s\n' "$work/copied%20notes.txt" | xclip -quiet -selection clipboard -t text/uri-list -i >/dev/null 2>&1 &
xclip_pid=$!
sleep 0.5
xdotool key ctrl+v
for _ in $(seq 50); do grep -q "attached a file" "$work/app.log" && break; sleep 0.1; done
kill "$xclip_pid" 2>/dev/null || true
grep -q "attached a file" "$work/app.log" || {
    echo "smoke: a file copied as a text/uri-list was not attached by Ctrl+V; app log:" >&2; cat "$work/app.log" >&2; exit 1; }
echo "smoke: Ctrl+V attached a file the clipboard offered only as a text/uri-list"
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

# A restart on the same profile: the chat written in last opens again with
# the message typed above (its one row goes to the window).
kill "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true
xdpyinfo >/dev/null 2>&1 || { echo "smoke: the X server is gone; its log:" >&2; cat "$work/xvfb.log" >&2; exit 1; }
launch "$work/restart.log" --data-dir "$work/data" --key-file "$work/key"
[[ -n "$window" ]] || {
    echo "smoke: no window after a restart; log:" >&2; cat "$work/restart.log" >&2
    echo "smoke: the X server's log:" >&2; cat "$work/xvfb.log" >&2; exit 1; }
for _ in $(seq 100); do grep -q "a chat's rows went to the window rows=1" "$work/restart.log" && break; sleep 0.1; done
grep -q "a chat's rows went to the window rows=1" "$work/restart.log" || {
    echo "smoke: after a restart the chat with the message was not shown; log:" >&2; cat "$work/restart.log" >&2; exit 1; }
sleep 1
restart_shot="${SMOKE_RESTART_SCREENSHOT:-$work/restart.png}"
import -window root "$restart_shot"
echo "smoke: after a restart the chat written in last is open with its message ($restart_shot)"

# Kiosk mode: the window fills the screen and Alt+F4 does not close it. Its
# provider is aimock (a recording mock server), so what a visitor sends can
# be read back from its journal.
kill "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true
peers="${PAKCHAT_PEERS_DIR:-$HOME/.cache/pakchat/peers}"
aimock_port=$((20000 + RANDOM % 20000))
node "$peers/node_modules/@copilotkit/aimock/dist/cli.js" -p "$aimock_port" -h 127.0.0.1 \
    -f "$(dirname "$0")/../tests/fixtures/aimock.json" >"$work/aimock.log" 2>&1 &
aimock_pid=$!
# GET a path of aimock's with bash alone (no curl on a bare machine).
aimock_get() {
    exec 3<>"/dev/tcp/127.0.0.1/$aimock_port" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
    cat <&3
    exec 3<&-
}
for _ in $(seq 100); do aimock_get /__aimock/journal >/dev/null 2>&1 && break; sleep 0.1; done
aimock_get /__aimock/journal >/dev/null 2>&1 || { echo "smoke: aimock did not start" >&2; cat "$work/aimock.log" >&2; exit 1; }
# The admin's secret on the kiosk's disk: a visitor must not get it attached.
secret="sk-smoke-secret-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$secret" >"$work/admin.key"
chmod 600 "$work/admin.key"
pin_hash="$(echo 2468 | "$bin" --hash-pin)"
cat >"$work/kiosk.toml" <<TOML
[kiosk]
admin_pin_hash = "$pin_hash"
welcome_text = "Smoke test kiosk"
allow_clipboard = true

[limits]
attachments = ["text"]

[[provider]]
id = "openai"
api_key = "sk-kiosk-smoke"
base_url = "http://127.0.0.1:$aimock_port/v1"
models = ["gpt-4o-mini"]
TOML
launch "$work/kiosk.log" --kiosk-config "$work/kiosk.toml"
[[ -n "$window" ]] || { echo "smoke: the kiosk window never appeared; log:" >&2; cat "$work/kiosk.log" >&2; exit 1; }
sleep 2
geometry="$(xdotool getwindowgeometry --shell "$window")"
screen="$(xdpyinfo | awk '/dimensions:/ && !seen { print $2; seen = 1 }')"
width="$(sed -n 's/^WIDTH=//p' <<<"$geometry")"
height="$(sed -n 's/^HEIGHT=//p' <<<"$geometry")"
if [[ "${width}x${height}" != "$screen" ]]; then
    echo "smoke: the kiosk window is ${width}x${height}, the screen $screen" >&2
    exit 1
fi
xdotool windowfocus --sync "$window" 2>/dev/null || true
xdotool key --window "$window" alt+F4
sleep 1.5
kill -0 "$app_pid" 2>/dev/null || { echo "smoke: Alt+F4 closed the kiosk; log:" >&2; cat "$work/kiosk.log" >&2; exit 1; }
kiosk_shot="${SMOKE_KIOSK_SCREENSHOT:-$work/kiosk.png}"
import -window root "$kiosk_shot"
shot_size="$(identify -format '%wx%h' "$kiosk_shot")"
[[ "$shot_size" == "$screen" ]] || { echo "smoke: kiosk screenshot $shot_size, screen $screen" >&2; exit 1; }
echo "smoke: kiosk window ${width}x${height} fills the ${screen} screen and survived Alt+F4 ($kiosk_shot)"

# A visitor types the address of the admin's file, cuts it and pastes it
# back (what a file manager's copy looks like): refused, nothing attached,
# and the message sent next carries no byte of the file.
xdotool windowfocus --sync "$window" 2>/dev/null || true
xdotool key --window "$window" Return
sleep 1.5
xdotool type --delay 15 "file://$work/admin.key"
xdotool key ctrl+a
sleep 0.3
xdotool key ctrl+x
sleep 0.5
xdotool key ctrl+v
sleep 1
grep -q "a path pasted or dropped was refused" "$work/kiosk.log" || {
    echo "smoke: the pasted path was not refused; kiosk log:" >&2; cat "$work/kiosk.log" >&2; exit 1; }
paste_shot="${SMOKE_PASTE_SCREENSHOT:-$work/kiosk-paste.png}"
import -window root "$paste_shot"
xdotool type --delay 15 "hello"
xdotool key Return
journal=""
for _ in $(seq 100); do
    journal="$(aimock_get /__aimock/journal 2>/dev/null || true)"
    grep -q '"hello' <<<"$journal" && break
    sleep 0.1
done
grep -q '"hello' <<<"$journal" || { echo "smoke: the visitor's message never reached the provider; kiosk log:" >&2; cat "$work/kiosk.log" >&2; exit 1; }
if grep -q "$secret" <<<"$journal"; then
    echo "smoke: the admin's file reached the provider" >&2
    exit 1
fi
kill "$aimock_pid" 2>/dev/null || true
echo "smoke: a pasted file address was refused and no byte of the file was sent ($paste_shot)"
echo "smoke: ok"
