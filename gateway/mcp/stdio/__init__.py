"""stdio MCP servers: callgate starts and supervises them and reaches them over a loopback bridge.

``mcp_servers.<name>.command: [argv...]`` (with optional ``env``, ``cwd`` and ``stdio``
limits) makes the gateway run that program as a child process per worker:

- ``process`` — ``StdioProcess``: spawn, newline-delimited JSON framing with a bounded
  line, stderr to the log, restart with bounded exponential backoff;
- ``relay`` — ``StdioRelay``: one child shared by every client session of the worker
  (cached handshake, relay-owned ids, routing of notifications and server requests);
- ``bridge`` — ``StdioBridge``: the loopback streamable-HTTP endpoint, guarded by a
  per-start secret, which the gateway's MCP adapter reaches like any HTTP MCP server.

The runtime builds a ``StdioBridge`` (``for_settings``) before it compiles the MCP
servers — the bridge's URL and secret become the server's endpoint and credential —
and runs it in its own ``cleanup_ctx`` entry.
"""

from gateway.mcp.stdio.bridge import StdioBridge
from gateway.mcp.stdio.process import ChildSpec, StdioProcess
from gateway.mcp.stdio.relay import StdioRelay

__all__ = ["ChildSpec", "StdioBridge", "StdioProcess", "StdioRelay"]
