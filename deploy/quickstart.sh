#!/usr/bin/env bash
# `make run`: the example upstream plus callgate in embedded mode with deploy/quickstart.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
umask 077
for f in dev-signing-key admin-token echo-api-key bank-api-key mcp-api-key; do
  [ -s "var/$f" ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > "var/$f"
done

"$BIN/python" -m gateway.examples.upstream --port 9901 &
pids=($!)
"$BIN/python" -m gateway.examples.mcp_server --port 9902 &
pids+=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM

cat <<MSG
callgate quick start
  agents:   http://127.0.0.1:8080/tools/{tool}/...
  MCP:      http://127.0.0.1:8080/mcp/demo   (the example MCP server; scope tool:demo.* grants its read tools)
  admin:    http://127.0.0.1:8081  (/metrics /healthz /readyz; /admin/* needs the admin token)
  console:  http://127.0.0.1:8081/console  (log in with the admin token and your name; approve held calls)
  admin token: ${CALLGATE_ADMIN_TOKEN:-$(cat var/admin-token)}   (dev value; set CALLGATE_ADMIN_TOKEN to choose one)
  decision log: var/decisions.jsonl
  a token:  $BIN/callgate token --config deploy/quickstart.yaml --agent demo --tenant acme --scope tool:echo
MSG
"$BIN/callgate" serve --config deploy/quickstart.yaml
