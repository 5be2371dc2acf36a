#!/usr/bin/env bash
# Everything CI checks, from a fresh Debian machine: installs what the tests
# need (when run as root), then fmt, clippy (native and wasm32), tests, docs,
# and a real-window smoke test of the release binary under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Builds are slow on small machines: keep them in a persistent cache outside
# the checkout so a fresh clone (CI) reuses the last build. Respect a caller's.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pakchat/target}"
mkdir -p "$CARGO_TARGET_DIR"
export CARGO_TERM_COLOR=never

step "System packages"
packages=(mesa-vulkan-drivers xvfb imagemagick xdotool x11-utils xclip postgresql chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

step "Rust toolchain parts"
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

# winit and Mesa want a private runtime dir; CI has none.
if [[ -z "${XDG_RUNTIME_DIR:-}" || ! -d "${XDG_RUNTIME_DIR}" ]]; then
    XDG_RUNTIME_DIR="$(mktemp -d)"
    export XDG_RUNTIME_DIR
fi
chmod 700 "$XDG_RUNTIME_DIR"

step "Test peers (aimock, llmock, oauth2-mock-server)"
export PAKCHAT_PEERS_DIR="${PAKCHAT_PEERS_DIR:-$HOME/.cache/pakchat/peers}"
scripts/peers.sh

step "PostgreSQL (a throwaway cluster for the server tests)"
# Our own cluster in a temp folder on a free port, whatever Debian's
# postgresql-common set up. PostgreSQL refuses to run as root: as root, run
# it as the postgres user; otherwise as whoever runs this script.
pg_bin="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
[[ -x "$pg_bin/pg_ctl" ]] || { echo "no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }
pg_dir="$(mktemp -d)"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$pg_dir"
    as_pg=(runuser -u postgres --)
fi
stop_postgres() {
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap stop_postgres EXIT
trap 'exit 130' INT # So that the EXIT trap runs on ^C and kill too.
trap 'exit 143' TERM
pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# No fsync: the data is thrown away at the end anyway.
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --no-locale --no-sync >"$pg_dir/initdb.log" 2>&1 ||
    { cat "$pg_dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-h 127.0.0.1 -p $pg_port -k $pg_dir -F" start >/dev/null ||
    { cat "$pg_dir/server.log" >&2; exit 1; }
export PAKCHAT_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
# Its data folder, which the canary tests read (it must never hold one).
export PAKCHAT_TEST_PG_DATA="$pg_dir/data"
echo "postgres: $("$pg_bin/postgres" --version | sed 's/^postgres (PostgreSQL) //') on 127.0.0.1:$pg_port"

step "cargo fmt --check"
cargo fmt --all -- --check

step "layering (crates stay in their rooms)"
scripts/layering.sh

step "clippy (native, all targets)"
cargo clippy --release --workspace --all-targets --locked -- -D warnings

step "clippy (wasm32-unknown-unknown, lib; all but the server)"
cargo clippy --release --workspace --exclude pakchat-server --lib --target wasm32-unknown-unknown --locked -- -D warnings

step "web app (scripts/web.sh, for the tests in headless Chromium)"
web_dist="$(mktemp -d)"
scripts/web.sh "$web_dist"
export PAKCHAT_TEST_WEB_DIST="$web_dist"

step "tests"
test_log="$(mktemp)"
# One test at a time within each test binary: the UI tests each run an app,
# its backend and mock servers, and two of them at once on a two-core
# machine made frames late enough for clicks to land on moving layouts.
RUST_TEST_THREADS=1 cargo test --release --workspace --locked 2>&1 | tee "$test_log"
read -r passed failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p + 0, f + 0 }' "$test_log")
rm -f "$test_log"
rm -rf "$web_dist"

step "browser storage (IndexedDB) in headless Chromium"
# crates/pakchat-store/tests/idb.rs, run by the wasm-bindgen-test-runner that
# scripts/web.sh installed (its version is wasm-bindgen's) through
# chromedriver; the runner itself starts Chrome headless and unsandboxed.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="${PAKCHAT_TOOLS_DIR:-$HOME/.cache/pakchat/tools}/bin/wasm-bindgen-test-runner" \
    CHROMEDRIVER="$(command -v chromedriver)" \
    cargo test --release --locked --target wasm32-unknown-unknown -p pakchat-store --test idb

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --release --workspace --no-deps --locked

step "real window (release binary under Xvfb)"
# Its screenshots are kept for a person to look at (CI keeps artifacts/).
shots="${PAKCHAT_ARTIFACTS:-$PWD/artifacts}/smoke"
mkdir -p "$shots"
SMOKE_SCREENSHOT="$shots/main.png" SMOKE_RESTART_SCREENSHOT="$shots/restart.png" \
    SMOKE_KIOSK_SCREENSHOT="$shots/kiosk.png" SMOKE_PASTE_SCREENSHOT="$shots/kiosk-paste.png" \
    scripts/smoke.sh "$CARGO_TARGET_DIR/release/pakchat"

step "all checks passed"
echo "tests: ${passed} passed, ${failed} failed"
