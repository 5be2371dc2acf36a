#!/usr/bin/env bash
# The layering rules of ARCHITECTURE.md. On the dependency graph: a library
# crate may not depend (normally, natively or on wasm32) on the crates its
# layer must stay free of. In the sources: the UI names no layer below the
# backend, and no channel send drops its error. Fails naming what broke.
# Usage: scripts/layering.sh
set -euo pipefail
cd "$(dirname "$0")/.."

gui='egui|eframe|egui-winit|egui-wgpu|wgpu|winit'
# crate => what it may not depend on (a regex over package names)
declare -A forbidden=(
    [pakchat-core]="$gui|sled|reqwest|tokio|aes-gcm|argon2|image|rfd|keyring"
    [pakchat-media]="$gui|sled|reqwest|tokio|rfd|keyring"
    [pakchat-providers]="$gui|sled|rfd|keyring|image"
    [pakchat-store]="$gui|reqwest|rfd|image"
    [pakchat-backend]="$gui"
    [pakchat-server]="$gui|sled|rfd|keyring|image"
    [pakchat-sync]="$gui|rfd|keyring|image"
    [pakchat-protocol]="$gui|sled|reqwest|tokio|rfd|keyring|image|aes-gcm|sqlx"
)

failed=0
for crate in "${!forbidden[@]}"; do
    # The native target and the browser's: a rule holds on both.
    deps="$(for target in "$(rustc -vV | sed -n 's/^host: //p')" wasm32-unknown-unknown; do
        cargo tree --locked -e normal -p "$crate" --prefix none --target "$target" ||
            { echo "layering: cannot list the dependencies of $crate" >&2; exit 1; }
    done | awk '{ print $1 }' | sort -u)"
    bad="$(grep -xE "${forbidden[$crate]}" <<<"$deps" || true)"
    if [[ -n "$bad" ]]; then
        echo "layering: $crate depends on $(tr '\n' ' ' <<<"$bad")(not allowed in its layer)" >&2
        failed=1
    else
        echo "layering: $crate ok ($(wc -l <<<"$deps") crates, none of ${forbidden[$crate]})"
    fi
done
# The UI reaches the layers below only through the backend's commands and
# events and the core's plain data.
hits="$(grep -rnE '\b(crate::(store|media|providers|archive)|pakchat_(store|media|providers))\b' src/ui || true)"
if [[ -n "$hits" ]]; then
    echo "layering: src/ui names a layer it must reach through the backend:" >&2
    echo "$hits" >&2
    failed=1
else
    echo "layering: src/ui names only the core and the backend"
fi
# A dropped result hides a failure (a full disk, a stopped actor or window):
# no `let _ =` outside tests, on a Result, a send or anything else. Test
# modules (`#[cfg(test)]`, at the end of a file) and tests/ are skipped.
hits="$(find src crates -name '*.rs' -not -path '*/tests/*' -print0 |
    xargs -0 awk 'FNR == 1 { in_tests = 0 } /^#\[cfg\(test\)\]/ { in_tests = 1 } !in_tests && /let _ =/ { print FILENAME ":" FNR ": " $0 }')"
if [[ -n "$hits" ]]; then
    echo "layering: a value is dropped with \`let _ =\` (handle or log the error; drop() a value on purpose):" >&2
    echo "$hits" >&2
    failed=1
else
    echo "layering: no \`let _ =\` outside tests"
fi
# A file that outgrows one reading is split by what its parts do.
long="$(find src crates tests benches examples -name '*.rs' -print0 | xargs -0 wc -l | awk '$2 != "total" && $1 > 600')"
if [[ -n "$long" ]]; then
    echo "layering: source files over 600 lines:" >&2
    echo "$long" >&2
    failed=1
else
    echo "layering: no source file over 600 lines"
fi
exit "$failed"
