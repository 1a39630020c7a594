#!/usr/bin/env bash
# `make run`: callgate in embedded mode, with the example upstream and MCP server when the
# config is the quick start's. Everything is overridable from the environment / make:
#   make run PORT=9000 ADMIN_PORT=9001 CONFIG=my.yaml UPSTREAM_PORT=19901 MCP_PORT=19902
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
QUICKSTART=deploy/quickstart.yaml
CONFIG=${CONFIG:-$QUICKSTART}
PORT=${PORT:-8080}
ADMIN_PORT=${ADMIN_PORT:-8081}
UPSTREAM_PORT=${UPSTREAM_PORT:-9901}
MCP_PORT=${MCP_PORT:-9902}
[ -f "$CONFIG" ] || { echo "make run: no config file $CONFIG (set CONFIG=path/to/callgate.yaml)" >&2; exit 2; }
# CALLGATE_<SECTION>__<FIELD> overrides the config (README, "Environment overrides")
export CALLGATE_SERVER__PORT=$PORT CALLGATE_ADMIN__PORT=$ADMIN_PORT
mkdir -p var
umask 077
for f in dev-signing-key admin-token echo-api-key bank-api-key mcp-api-key; do
  [ -s "var/$f" ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > "var/$f"
done

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
examples="none (CONFIG is not the quick start's)"
if [ "$CONFIG" -ef "$QUICKSTART" ]; then
  # every example tool and MCP server (127.0.0.1:9901 / :9902 in the config) follows the ports
  overrides=$("$BIN/python" -m gateway.examples.ports "$CONFIG" "$UPSTREAM_PORT" "$MCP_PORT")
  eval "$overrides"
  "$BIN/python" -m gateway.examples.upstream --port "$UPSTREAM_PORT" &
  pids+=($!)
  "$BIN/python" -m gateway.examples.mcp_server --port "$MCP_PORT" &
  pids+=($!)
  examples="upstream http://127.0.0.1:$UPSTREAM_PORT (UPSTREAM_PORT), MCP server http://127.0.0.1:$MCP_PORT/mcp (MCP_PORT)"
fi

cat <<MSG
callgate quick start
  config:   $CONFIG   (CONFIG=...)
  agents:   http://127.0.0.1:$PORT/tools/{tool}/...   (PORT=...)
  MCP:      http://127.0.0.1:$PORT/mcp/demo   (the example MCP server; scope tool:demo.* grants its read tools)
  admin:    http://127.0.0.1:$ADMIN_PORT  (ADMIN_PORT=...; /metrics /healthz /readyz; /admin/* needs the admin token)
  console:  http://127.0.0.1:$ADMIN_PORT/console  (log in with the admin token and your name; approve held calls)
  examples: $examples
  admin token: ${CALLGATE_ADMIN_TOKEN:-$(cat var/admin-token)}   (dev value; set CALLGATE_ADMIN_TOKEN to choose one)
  decision log: var/decisions.jsonl
  a token:  $BIN/callgate token --config $CONFIG --agent demo --tenant acme --scope tool:echo
MSG
"$BIN/callgate" serve --config "$CONFIG"
