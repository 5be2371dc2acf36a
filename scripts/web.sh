#!/usr/bin/env bash
# Build the web app into dist/ (or $1): the app compiled for
# wasm32-unknown-unknown, its JavaScript glue from wasm-bindgen, and the page
# (assets/web/index.html) with its worker. The `web` profile (Cargo.toml)
# trades speed for size: opt-level "z", LTO, one codegen unit, except the
# ciphers and Argon2id; the name section goes too (panics still say what
# happened). Offline once the tools are here: wasm-bindgen-cli
# at exactly the version Cargo.lock pins is installed with `cargo install`
# into ~/.cache/pakchat/tools the first time. No wasm-opt: Debian's
# binaryen (108) shrank the module but made it larger gzipped (5,110 KiB
# against 4,954), took 90 s, and without --enable-reference-types broke
# wasm-bindgen's externref table (the page would not start).
#
#   scripts/web.sh                 # → dist/
#   pakchat-server --web-dir dist  # serves it beside the sync endpoints
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pakchat/target}"
tools="${PAKCHAT_TOOLS_DIR:-$HOME/.cache/pakchat/tools}"

version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[[ -n "$version" ]] || { echo "web: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
bindgen="$tools/bin/wasm-bindgen"
if ! [[ -x "$bindgen" ]] || [[ "$("$bindgen" --version)" != "wasm-bindgen $version" ]]; then
    echo "web: installing wasm-bindgen-cli $version into $tools (once)"
    # (Not --locked: its lock file may name versions the registry mirror lacks.)
    cargo install --quiet --root "$tools" wasm-bindgen-cli --version "=$version"
fi
rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown

cargo build --profile web --lib --target wasm32-unknown-unknown --locked
mkdir -p "$out"
"$bindgen" --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$out" --out-name pakchat "$CARGO_TARGET_DIR/wasm32-unknown-unknown/web/pakchat.wasm"
cp assets/web/index.html assets/web/stretch-worker.js "$out/"
wasm_bytes="$(stat -c %s "$out/pakchat_bg.wasm")"
gzipped="$(gzip -9c "$out/pakchat_bg.wasm" | wc -c)"
echo "web: $out/ ready (wasm $((wasm_bytes / 1024)) KiB, $((gzipped / 1024)) KiB gzipped; all of $out: $(du -sk "$out" | cut -f1) KiB)"
