"""A hostile stdio MCP server for the framing, restart and routing tests (newline-delimited JSON-RPC).

Hand-written (no SDK) so it can misbehave on purpose. Tools, by name:
  echo        answers {"text": <arguments.text>, "seen_id": <the id it received>}
  garbage     writes a non-JSON line, a JSON array of numbers and a bare string first, then answers
  oversize    answers with a line of arguments.bytes bytes (past the bridge's max_line)
  noline      writes bytes without a newline until killed (framing lost)
  exit        exits with code 3 without answering
  hang        never answers
  wrong_id    answers with the id as a string ("7" for 7), then nothing
  slow        answers after arguments.delay seconds
  progress    sends three progress notifications for the request's token, then answers
  sample      asks the client sampling/createMessage, answers with what it got back (or the error)
  changed     sends notifications/tools/list_changed, then answers
  log         sends notifications/message, then answers
  stderr      writes arguments.lines lines of arguments.width characters to stderr, then answers
  pid         answers with its process id
  subs        answers with the URIs it holds subscriptions for (resources/subscribe, unsubscribe)
  update      sends notifications/resources/updated for arguments.uri
  close_stdout closes its stdout and lives on
  deaf        stops reading stdin (its main loop sleeps)
  fds         answers with the file descriptors beyond 0-2 it holds
  orphan      starts a grandchild that keeps stdout/stderr open, writes its pid to arguments.path, exits
Start-up: ``--banner`` prints a non-JSON line on stdout before anything else;
``--no-init`` answers initialize with an error (the relay restarts it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

OUT = sys.stdout.buffer
LOCK = threading.Lock()
NEXT_ID = [1000]
WAITING: dict[int, tuple[threading.Event, list[Any]]] = {}


def write(raw: bytes) -> None:
    with LOCK:
        OUT.write(raw)
        OUT.flush()


def send(msg: dict[str, Any]) -> None:
    write(json.dumps(msg).encode() + b"\n")


def result(msg_id: Any, res: dict[str, Any]) -> None:
    send({"jsonrpc": "2.0", "id": msg_id, "result": res})


def text(msg_id: Any, s: str) -> None:
    result(msg_id, {"content": [{"type": "text", "text": s}], "isError": False})


def ask(method: str, params: dict[str, Any], timeout: float = 10.0) -> Any:
    NEXT_ID[0] += 1
    rid = NEXT_ID[0]
    ev, box = threading.Event(), []
    WAITING[rid] = (ev, box)
    send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
    if not ev.wait(timeout):
        return {"error": "no answer"}
    return box[0]


NAMES = ["echo", "garbage", "oversize", "noline", "exit", "hang", "wrong_id", "slow", "progress"]
NAMES += ["sample", "changed", "log", "stderr", "pid", "orphan", "subs", "update", "close_stdout", "deaf", "fds"]
SUBSCRIBED: set[str] = set()
TOOLS = [{"name": n, "description": f"hostile {n}", "inputSchema": {"type": "object"}} for n in NAMES]


def call(msg_id: Any, name: str, args: dict[str, Any], meta: dict[str, Any]) -> None:
    if name == "echo":
        text(msg_id, json.dumps({"text": args.get("text"), "seen_id": msg_id}))
    elif name == "garbage":
        write(b"this is not json\n")
        write(b"[1, 2, 3]\n")
        write(b'"a bare string"\n')
        write(b"\n")
        text(msg_id, "after garbage")
    elif name == "oversize":
        pad = "x" * int(args.get("bytes", 100_000))
        text(msg_id, pad)
    elif name == "noline":
        while True:
            write(b"z" * 65536)
    elif name == "exit":
        os._exit(3)
    elif name == "hang":
        return
    elif name == "wrong_id":
        send({"jsonrpc": "2.0", "id": str(msg_id), "result": {"content": [{"type": "text", "text": "fake"}]}})
    elif name == "slow":
        time.sleep(float(args.get("delay", 0.5)))
        text(msg_id, f"slow {args.get('text')}")
    elif name == "progress":
        token = meta.get("progressToken")
        for i in range(3):
            send(
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/progress",
                    "params": {"progressToken": token, "progress": i + 1, "total": 3},
                }
            )
        text(msg_id, f"progress token seen: {json.dumps(token)}")
    elif name == "sample":
        got = ask(
            "sampling/createMessage",
            {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 5},
        )
        text(msg_id, json.dumps(got))
    elif name == "changed":
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        text(msg_id, "changed")
    elif name == "log":
        send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "a log line"}})
        text(msg_id, "logged")
    elif name == "stderr":
        for i in range(int(args.get("lines", 1))):
            sys.stderr.write(f"line {i} " + "e" * int(args.get("width", 10)) + "\n")
        sys.stderr.flush()
        text(msg_id, "wrote stderr")
    elif name == "orphan":  # exits, leaving a grandchild that holds stdout and stderr open
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        Path(args["path"]).write_text(str(child.pid))
        os._exit(4)
    elif name == "subs":
        text(msg_id, json.dumps(sorted(SUBSCRIBED)))
    elif name == "update":
        send({"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": args["uri"]}})
        text(msg_id, "updated")
    elif name == "close_stdout":  # lives on, but can never answer again
        os.close(1)
        time.sleep(60)
    elif name == "fds":  # descriptors beyond 0-2 it inherited (the one listing /proc/self/fd excepted)
        extra = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if int(fd) > 2 and not target.startswith("/proc/"):
                extra.append(f"{fd}->{target}")
        text(msg_id, json.dumps(extra))
    elif name == "pid":
        text(msg_id, str(os.getpid()))
    else:
        send({"jsonrpc": "2.0", "id": msg_id, "error": {"code": -32602, "message": f"no tool {name}"}})


def main() -> None:
    if "--banner" in sys.argv:
        write(b"hostile server starting up (not JSON)\n")
    for raw in sys.stdin.buffer:
        msg = json.loads(raw)
        method = msg.get("method")
        if method is None:  # an answer to one of our requests
            waiting = WAITING.pop(msg.get("id"), None)
            if waiting is not None:
                waiting[1].append(msg.get("result", msg.get("error")))
                waiting[0].set()
            continue
        if "id" not in msg:
            continue
        if method == "initialize":
            if "--no-init" in sys.argv:
                send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32603, "message": "no"}})
                continue
            result(
                msg["id"],
                {
                    "protocolVersion": msg["params"]["protocolVersion"],
                    "capabilities": {"tools": {"listChanged": True}, "logging": {}},
                    "serverInfo": {"name": "hostile", "version": "0"},
                },
            )
        elif method == "tools/list":
            result(msg["id"], {"tools": TOOLS})
        elif method == "tools/call" and msg["params"]["name"] == "deaf":
            time.sleep(60)  # stops reading stdin: the bridge's writes back up
        elif method == "tools/call":
            p = msg["params"]
            threading.Thread(
                target=call, args=(msg["id"], p["name"], p.get("arguments") or {}, p.get("_meta") or {}), daemon=True
            ).start()
        elif method in ("resources/subscribe", "resources/unsubscribe"):
            uri = msg["params"]["uri"]
            (SUBSCRIBED.add if method == "resources/subscribe" else SUBSCRIBED.discard)(uri)
            result(msg["id"], {})
        elif method == "ping":
            result(msg["id"], {})
        else:
            send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "Method not found"}})


if __name__ == "__main__":
    main()
