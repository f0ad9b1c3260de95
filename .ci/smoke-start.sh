#!/usr/bin/env bash
# Starts the built server as `npm start` does (development certificates under certs/), on
# $CVM_NODE (default: node on PATH), on a free loopback port, and checks that /healthz answers. Proves the README's first command on a runtime other than the one CI tests on.
set -euo pipefail
cd "$(dirname "$0")/.."
node_cmd="${CVM_NODE:-node}"
scratch="$(mktemp -d)"
port="$("$node_cmd" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
"$node_cmd" dist/cli/main.js serve --port "$port" >"$scratch/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT
for _ in $(seq 1 100); do
  if curl -skf "https://127.0.0.1:$port/healthz" >/dev/null; then
    echo "smoke: serve on $("$node_cmd" --version) answers /healthz"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
echo "smoke: serve on $("$node_cmd" --version) did not answer /healthz" >&2
cat "$scratch/log" >&2
exit 1
