"""Tools compiled from configuration once at start-up.

A ``Tool`` holds everything the hot path needs already resolved: the upstream base
URL, the credential header values read from their secret sources, the aiohttp
timeout, and the ``input.tool`` document given to policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from yarl import URL

from gateway.config import Effect, Settings, ToolConfig
from gateway.errors import ConfigError
from gateway.inspect.runner import InspectOptions


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    name: str
    header: str
    value: str  # the full header value, scheme included


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

    @property
    def effect(self) -> str:
        return self.config.effect

    def upstream_url(self, path: str, query: str) -> URL:
        """Base URL + the agent's path (already relative to the tool) + query, unescaped once."""
        base_path = self.base_url.path.rstrip("/")
        rel = path.lstrip("/")
        full = f"{base_path}/{rel}" if rel else (base_path or "/")
        url = self.base_url.with_path(full, encoded=True)
        return url.with_query(query) if query else url


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
        creds[cname] = ResolvedCredential(cname, c.header, value)
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
            tags=frozenset(cfg.tags), allowed_roots=tuple(cfg.allowed_roots), schema=cfg.arguments_schema
        ),
        policy_doc={
            "name": name,
            "effect": cfg.effect,
            "risk": cfg.risk,
            "tags": list(cfg.tags),
            "upstream": str(base),
            "credentials": sorted(creds),
            "default_credential": cfg.default_credential_name,
            "inspect": {
                "arguments": cfg.inspect.arguments,
                "output": cfg.inspect.output,
                "injection_action": cfg.inspect.injection_action,
            },
        },
    )


def compile_mcp_servers(settings: Settings) -> dict[str, Tool]:
    """One ``Tool`` per MCP server: its endpoint, credentials and limits; tools derive from it."""
    servers: dict[str, Tool] = {}
    errors: list[tuple[str, str]] = []
    for name, cfg in settings.mcp_servers.items():
        try:
            servers[name] = compile_tool(name, cfg.as_tool_config())
        except ConfigError as e:
            errors.extend((loc.replace("tools.", "mcp_servers.", 1), msg) for loc, msg in e.errors)
    if errors:
        raise ConfigError(errors)
    return servers


def mcp_tool(server: Tool, effect: Effect, tool_name: str) -> Tool:
    """The ``Tool`` for MCP tool ``{server}.{tool_name}``: the server's endpoint under the tool's name."""
    full = f"{server.name}.{tool_name}"
    return replace(
        server,
        name=full,
        config=server.config.model_copy(update={"effect": effect}),
        policy_doc={
            **server.policy_doc,
            "name": full,
            "effect": effect,
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
