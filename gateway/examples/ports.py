"""``make run``: point every example upstream of a config at the ports the examples run on.

``python -m gateway.examples.ports CONFIG UPSTREAM_PORT MCP_PORT`` prints one shell
``export CALLGATE_TOOLS__<T>__UPSTREAM=...`` (or ``CALLGATE_MCP_SERVERS__<S>__UPSTREAM``)
for each tool or MCP server whose upstream is the example upstream (``127.0.0.1:9901``)
or the example MCP server (``127.0.0.1:9902``), with the port replaced. Every example
tool follows ``UPSTREAM_PORT``, including one added to the quick start later; a list
of names in the script forgot two of them.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

EXAMPLE_PORTS = {"9901": "upstream", "9902": "mcp"}


def exports(config: dict[str, Any], upstream_port: int, mcp_port: int) -> list[str]:
    ports = {"upstream": upstream_port, "mcp": mcp_port}
    out: list[str] = []
    for section in ("tools", "mcp_servers"):
        entries = config.get(section) or {}
        for name, entry in entries.items() if isinstance(entries, dict) else ():
            url = entry.get("upstream") if isinstance(entry, dict) else None
            if not isinstance(url, str):
                continue
            parts = urlsplit(url)
            example = EXAMPLE_PORTS.get(str(parts.port)) if parts.hostname == "127.0.0.1" else None
            if example is None:
                continue
            moved = parts._replace(netloc=f"127.0.0.1:{ports[example]}").geturl()
            out.append(f"export CALLGATE_{section.upper()}__{str(name).upper()}__UPSTREAM={shlex.quote(moved)}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m gateway.examples.ports CONFIG UPSTREAM_PORT MCP_PORT", file=sys.stderr)
        return 2
    config = yaml.safe_load(Path(argv[0]).read_text()) or {}
    print("\n".join(exports(config, int(argv[1]), int(argv[2]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
