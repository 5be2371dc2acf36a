#!/usr/bin/env bash
# Install the third-party servers the provider tests talk to (idempotent):
#   @copilotkit/aimock (npm)  — OpenAI, Anthropic, Gemini and Ollama streams
#   llmock (PyPI)             — scripted faults and a verdict on the client
#   oauth2-mock-server (npm)  — OpenID Connect sign-in, wrapped by
#                               tests/peers/oidc-mock.mjs (8.x: 9.x needs Node 22)
#   moto[server] (PyPI)       — S3-compatible object storage for the server's
#                               file chunks (moto_server, same venv as llmock)
# into $PAKCHAT_PEERS_DIR (default ~/.cache/pakchat/peers). The tests start
# and stop their own instances on free ports.
set -euo pipefail
dir="${PAKCHAT_PEERS_DIR:-$HOME/.cache/pakchat/peers}"
mkdir -p "$dir"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
    else
        echo "peers: node and npm are needed (apt-get install nodejs npm)" >&2
        exit 1
    fi
fi
if [[ ! -f "$dir/node_modules/@copilotkit/aimock/package.json" ]]; then
    [[ -f "$dir/package.json" ]] || echo '{"name":"pakchat-peers","private":true}' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error @copilotkit/aimock@1.43.0
fi
if [[ ! -f "$dir/node_modules/oauth2-mock-server/package.json" ]]; then
    [[ -f "$dir/package.json" ]] || echo '{"name":"pakchat-peers","private":true}' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error oauth2-mock-server@8.2.3
fi

if [[ ! -x "$dir/venv/bin/llmock" ]]; then
    python3 -m venv "$dir/venv" 2>/dev/null || {
        if [[ $(id -u) -eq 0 ]]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
            python3 -m venv "$dir/venv"
        else
            echo "peers: python3 -m venv failed (apt-get install python3-venv)" >&2
            exit 1
        fi
    }
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check llmock==0.2.2
fi
if [[ ! -x "$dir/venv/bin/moto_server" ]]; then
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.6'
fi
version() { node -p "require('$dir/node_modules/$1/package.json').version"; }
echo "peers: aimock $(version @copilotkit/aimock), oauth2-mock-server $(version oauth2-mock-server)," \
    "llmock $("$dir/venv/bin/pip" show llmock | sed -n 's/^Version: //p')," \
    "moto $("$dir/venv/bin/pip" show moto | sed -n 's/^Version: //p') in $dir"
