"""Tools compiled from configuration once at start-up.

A ``Tool`` holds everything the hot path needs already resolved: the upstream base
URL, the credential header values read from their secret sources, the aiohttp
timeout, and the ``input.tool`` document given to policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from gateway.config import Effect, McpServerConfig, Settings, ToolConfig, Trust
from gateway.errors import ConfigError
from gateway.inspect.runner import InspectOptions
from gateway.target import encode_path


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    name: str
    header: str
    value: str  # the full header value, scheme included
    secret: str = ""  # the secret alone, for scrubbing it from answers (gateway/stages/scrub.py)


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    config: ToolConfig
    base_url: URL
    credentials: dict[str, ResolvedCredential]
    default_credential: str | None
    timeout: aiohttp.ClientTimeout
    body_limit: int
    policy_doc: dict[str, Any] = field(default_factory=dict)
    credential_headers: frozenset[str] = frozenset()  # lower-case names the tool's credentials use
    inspect_options: InspectOptions = field(default_factory=InspectOptions)
    tool_trust: dict[str, Trust] = field(
        default_factory=dict
    )  # MCP server: per-tool trust (mcp_servers.<s>.tool_trust)

    @property
    def effect(self) -> str:
        return self.config.effect

    @property
    def trust(self) -> Trust:
        """``untrusted``: reading this tool's output taints the agent's run (see ``gateway/runs.py``)."""
        return self.config.trust

    def upstream_url(self, path: str, query: str) -> URL:
        """Base URL + the call's canonical path (decoded, relative to the tool) re-encoded segment by
        segment + the canonical query as is (``gateway/target.py``). Always under the base path."""
        base_path = self.base_url.raw_path.rstrip("/")
        rel = encode_path(path.lstrip("/"))
        full = f"{base_path}/{rel}" if rel else (base_path or "/")
        return URL.build(
            scheme=self.base_url.scheme,
            authority=self.base_url.raw_authority,
            path=full,
            query_string=query,
            encoded=True,
        )


def compile_tool(name: str, cfg: ToolConfig) -> Tool:
    creds: dict[str, ResolvedCredential] = {}
    errors: list[tuple[str, str]] = []
    for cname, c in cfg.credentials.items():
        try:
            secret = c.value.resolve().get_secret_value()
        except ValueError as e:
            errors.append((f"tools.{name}.credentials.{cname}.value", str(e)))
            continue
        value = f"{c.scheme} {secret}" if c.scheme else secret
        creds[cname] = ResolvedCredential(cname, c.header, value, secret)
    if errors:
        raise ConfigError(errors)
    base = URL(str(cfg.upstream))
    return Tool(
        name=name,
        config=cfg,
        base_url=base,
        credentials=creds,
        default_credential=cfg.default_credential_name,
        timeout=aiohttp.ClientTimeout(
            total=cfg.timeouts.total_s, sock_connect=cfg.timeouts.connect_s, sock_read=cfg.timeouts.read_s
        ),
        body_limit=int(cfg.body_limit),
        credential_headers=frozenset(c.header.lower() for c in cfg.credentials.values()),
        inspect_options=InspectOptions(
            tags=frozenset(cfg.tags),
            allowed_roots=tuple(cfg.allowed_roots),
            schema=cfg.arguments_schema,
            shell_commands=None if cfg.inspect.shell_commands is None else frozenset(cfg.inspect.shell_commands),
            sql_verbs=None if cfg.inspect.sql_verbs is None else frozenset(v.lower() for v in cfg.inspect.sql_verbs),
        ),
        policy_doc={
            "name": name,
            "effect": cfg.effect,
            "risk": cfg.risk,
            "tags": list(cfg.tags),
            "upstream": str(base),
            "credentials": sorted(creds),
            "default_credential": cfg.default_credential_name,
            "trust": cfg.trust,
            "inspect": {
                "arguments": cfg.inspect.arguments,
                "output": cfg.inspect.output,
                "injection_action": cfg.inspect.injection_action,
                "redact": list(cfg.inspect.redact),
            },
        },
    )


@dataclass(frozen=True, slots=True)
class BridgeEndpoint:
    """Where a stdio MCP server is reached: its loopback bridge's URL and the bearer secret it requires."""

    url: str
    secret: str


STDIO_CREDENTIAL = "callgate-stdio-bridge"


def _stdio_server(tool: Tool, cfg: McpServerConfig, bridge: BridgeEndpoint) -> Tool:
    """A stdio server's ``Tool``: its bridge as the endpoint, the bridge's secret as the only credential."""
    cred = ResolvedCredential(STDIO_CREDENTIAL, "Authorization", f"Bearer {bridge.secret}")
    program = Path(cfg.command[0]).name if cfg.command else ""
    return replace(
        tool,
        credentials={STDIO_CREDENTIAL: cred},
        default_credential=STDIO_CREDENTIAL,
        credential_headers=frozenset({"authorization"}),
        # the bridge's port changes at every start: policy sees the transport and the program instead
        policy_doc={
            **tool.policy_doc,
            "upstream": f"stdio:{program}",
            "transport": "stdio",
            "credentials": [STDIO_CREDENTIAL],
            "default_credential": STDIO_CREDENTIAL,
        },
    )


def compile_mcp_servers(settings: Settings, bridges: Mapping[str, BridgeEndpoint] | None = None) -> dict[str, Tool]:
    """One ``Tool`` per MCP server: its endpoint, credentials and limits; tools derive from it.

    A stdio server (``command``) is reached through its entry in ``bridges``
    (``gateway.mcp.stdio`` makes them): agents' calls go through that loopback bridge
    like any HTTP server. Without ``bridges`` (offline: ``policy replay``, ``eval``) a
    stdio server compiles with the same policy document and an endpoint that refuses
    every connection.
    """
    servers: dict[str, Tool] = {}
    errors: list[tuple[str, str]] = []
    for name, cfg in settings.mcp_servers.items():
        try:
            if cfg.is_stdio:
                offline = BridgeEndpoint(f"http://127.0.0.1:1/stdio/{name}", "offline")
                bridge = offline if bridges is None else bridges.get(name)
                if bridge is None:
                    raise ConfigError([(f"tools.{name}.command", "no bridge was started for this stdio server")])
                tool = _stdio_server(compile_tool(name, cfg.as_tool_config(upstream=bridge.url)), cfg, bridge)
            else:
                tool = compile_tool(name, cfg.as_tool_config())
            servers[name] = replace(tool, tool_trust=dict(cfg.tool_trust))
        except ConfigError as e:
            errors.extend((loc.replace("tools.", "mcp_servers.", 1), msg) for loc, msg in e.errors)
    if errors:
        raise ConfigError(errors)
    return servers


def mcp_tool(server: Tool, effect: Effect, tool_name: str) -> Tool:
    """The ``Tool`` for MCP tool ``{server}.{tool_name}``: the server's endpoint under the tool's name."""
    full = f"{server.name}.{tool_name}"
    trust = server.tool_trust.get(tool_name, server.config.trust)
    return replace(
        server,
        name=full,
        config=server.config.model_copy(update={"effect": effect, "trust": trust}),
        tool_trust={},
        policy_doc={
            **server.policy_doc,
            "name": full,
            "effect": effect,
            "trust": trust,
            "mcp_server": server.name,
            "mcp_tool": tool_name,
        },
    )


def mcp_server_tool(server: Tool) -> Tool:
    """The ``Tool`` for a server's own operations (initialize, lists, prompts, resources, ...)."""
    return replace(
        server,
        config=server.config.model_copy(update={"effect": "read"}),
        policy_doc={**server.policy_doc, "effect": "read", "mcp_server": server.name, "mcp_tool": None},
    )


def compile_tools(settings: Settings) -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    errors: list[tuple[str, str]] = []
    for name, cfg in settings.tools.items():
        try:
            tools[name] = compile_tool(name, cfg)
        except ConfigError as e:
            errors.extend(e.errors)
    if errors:
        raise ConfigError(errors)
    return tools
