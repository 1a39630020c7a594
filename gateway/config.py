"""Configuration: one YAML file, validated by pydantic, compiled once at start-up.

``load_settings(path)`` reads the YAML, applies ``CALLGATE_<SECTION>__<FIELD>``
environment overrides (a double underscore separates levels, values are parsed as
YAML scalars), validates with ``extra="forbid"`` everywhere and raises
``ConfigError`` listing every problem as ``(location, message)`` where location is
the dotted YAML path plus its line, e.g. ``tools.echo.upstream (line 12)``.

Secrets are never inline: a ``SecretSource`` names an environment variable and/or a
file; it is read once at start-up into a ``SecretStr``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ByteSize,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway.errors import ConfigError

ENV_PREFIX = "CALLGATE_"
TOOL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

Effect = Literal["read", "write", "delete", "payment", "admin", "permission", "external_send"]
Trust = Literal["trusted", "untrusted"]
Risk = Literal["low", "medium", "high", "critical"]
HmacAlg = Literal["HS256", "HS384", "HS512"]
AsymAlg = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretSource(Model):
    """Where a secret comes from: ``env`` is tried first, then ``file``."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SecretSource:
        if self.env is None and self.file is None:
            raise ValueError("a secret needs 'env' or 'file' (secrets are never inline)")
        return self

    def resolve(self) -> SecretStr:
        """Read the secret; raises ``ValueError`` naming the source when absent."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value:
                return SecretStr(value)
        if self.file is not None:
            try:
                text = self.file.read_text(encoding="utf-8").strip()
            except OSError as e:
                raise ValueError(f"cannot read secret file {self.file}: {e.strerror}") from e
            if text:
                return SecretStr(text)
            raise ValueError(f"secret file {self.file} is empty")
        raise ValueError(f"environment variable {self.env} is not set")


class ServerConfig(Model):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    upstream_pool_size: int = Field(256, ge=1, description="connections kept to upstreams")
    public_host: str | None = Field(
        None,
        pattern=r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$",
        description="host[:port] named in Forwarded / X-Forwarded-Host (default: the address the gateway listens on)",
    )
    header_timeout_s: float = Field(
        10.0, gt=0, description="a connection must send complete request headers within this; else it is closed"
    )
    body_timeout_s: float = Field(30.0, gt=0, description="a tool call's body must arrive within this; else 408")


class AdminConfig(Model):
    host: str = "127.0.0.1"
    port: int = Field(8081, ge=0, le=65535)
    token: SecretSource | None = None
    jwt_scope: str | None = Field(
        "callgate:admin",
        description="an agent JWT carrying this scope is accepted as admin; null disables",
    )


class HmacKey(Model):
    kind: Literal["hmac"]
    id: str | None = None
    secret: SecretSource
    algorithms: list[HmacAlg] = Field(default_factory=lambda: list[HmacAlg](["HS256"]), min_length=1)
    dev: bool = Field(False, description="`callgate token` may sign with this key")


class PemKey(Model):
    kind: Literal["pem"]
    id: str | None = None
    path: Path
    algorithms: list[AsymAlg] = Field(min_length=1)


class JwksKey(Model):
    kind: Literal["jwks"]
    url: AnyHttpUrl
    algorithms: list[AsymAlg] = Field(default_factory=lambda: list[AsymAlg](["RS256", "ES256", "EdDSA"]), min_length=1)
    cache_ttl_s: float = Field(300.0, gt=0)
    min_refresh_interval_s: float = Field(30.0, ge=0)
    timeout_s: float = Field(2.0, gt=0)


KeyConfig = Annotated[HmacKey | PemKey | JwksKey, Field(discriminator="kind")]


class ClaimNames(Model):
    """Claim names; a dotted name reaches into nested claims (``act.sub``)."""

    agent: str = "sub"
    tenant: str = "tenant"
    scopes: str = "scope"
    on_behalf_of: str = "act.sub"


class IdentityConfig(Model):
    issuers: list[str] = Field(min_length=1)
    audience: str
    leeway_s: float = Field(30.0, ge=0, le=300)
    max_token_lifetime_s: float | None = Field(86400.0, gt=0)
    claims: ClaimNames = ClaimNames()
    keys: list[KeyConfig] = Field(min_length=1)
    token_cache_size: int = Field(4096, ge=0, description="verified tokens remembered until expiry")


class OpaConfig(Model):
    """An OPA server asked over its Data API (``policy.engine: opa``)."""

    url: AnyHttpUrl = Field(description="OPA's base URL, e.g. http://opa:8181")
    timeout_s: float = Field(0.5, gt=0, description="per decision; past it the call is denied 503")
    push_data: bool = Field(True, description="PUT data.gateway to OPA at start (else OPA must hold it)")


class ClassifierConfig(Model):
    """The optional model detector (gateway/inspect/classifier.py); needs ``callgate[classifier]``."""

    path: Path = Field(description="directory with model.onnx and tokenizer.json (Hugging Face ONNX export)")
    label: int | str = Field(1, description="output column scored as an attack: an index, or a name in config.json")
    threshold: float = Field(0.9, gt=0, le=1, description="scores at or above it are findings (high)")
    max_tokens: int = Field(512, ge=8, le=8192)
    max_chars: int = Field(4000, ge=16, le=1 << 20, description="each string (or output window) is cut to this")
    max_strings: int = Field(64, ge=1, le=4096, description="strings scored per call at most")
    batch_size: int = Field(16, ge=1, le=1024)
    budget_ms: float = Field(250.0, gt=0, description="latency budget per call for the whole model run")
    fail: Literal["closed", "open"] = Field(
        "closed", description="when the model cannot answer in time: deny (closed) or pass and count it (open)"
    )
    surfaces: list[Literal["request_arg", "tool_output"]] = Field(
        default_factory=lambda: ["request_arg", "tool_output"]  # type: ignore[arg-type]
    )
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads")


class PolicyConfig(Model):
    engine: Literal["embedded", "opa"] = "embedded"
    opa: OpaConfig | None = None
    paths: list[Path] = Field(default_factory=lambda: [Path("policies")], min_length=1)
    decision: str = "data.callgate.decision"
    output_decision: str = "data.callgate.output_decision"
    data: dict[str, Any] = Field(default_factory=dict, description="extra data at data.gateway.extra")
    enforce: bool = Field(
        True,
        description="false: shadow mode — denials (and policy errors) are recorded and counted, calls proceed",
    )

    @model_validator(mode="after")
    def _opa_section(self) -> PolicyConfig:
        if self.engine == "opa" and self.opa is None:
            raise ValueError("engine 'opa' needs an 'opa' section with at least 'url'")
        if self.engine != "opa" and self.opa is not None:
            raise ValueError("the 'opa' section is only used with engine 'opa'")
        return self


class CheckpointConfig(Model):
    """Signed checkpoints of the decision log (``gateway/audit/checkpoint.py``)."""

    key: SecretSource = Field(
        description="the Ed25519 private key (PEM; `callgate audit keygen`), kept apart from the log"
    )
    every_records: int = Field(1000, ge=1, le=1_000_000, description="a checkpoint after this many records")
    every_s: float = Field(30.0, gt=0, le=86_400, description="or after this long, if anything was written")
    redis: bool = Field(True, description="also keep the latest checkpoint in the Redis store (when store is Redis)")
    allow_unverified_start: bool = Field(
        False,
        description="start even if the log's tail fails its checkpoint (recorded as log.override); "
        "`callgate serve --allow-unverified-log` sets it",
    )


class DecisionLogConfig(Model):
    path: Path = Path("var/decisions.jsonl")
    fsync: Literal["always", "interval", "never"] = Field(
        "interval",
        description="always: fsync each batch before calls proceed; interval: every fsync_interval_ms",
    )
    fsync_interval_ms: int = Field(1000, ge=1)
    max_batch: int = Field(1024, ge=1)
    max_record_bytes: ByteSize = Field(
        ByteSize(64 << 10),
        ge=4096,
        description="longest record line; a longer (or unencodable) record is trimmed and marked, never dropped",
    )
    checkpoints: CheckpointConfig | None = Field(
        None, description="sign the log's head every N records or S seconds; off without a key"
    )

    @model_validator(mode="after")
    def _key_apart(self) -> DecisionLogConfig:
        key = self.checkpoints.key.file if self.checkpoints is not None else None
        if key is not None and key.resolve().parent == self.path.resolve().parent:
            raise ValueError(
                "checkpoints.key.file is in the decision log's directory; keep the signing key apart from the log"
            )
        return self


class Credential(Model):
    header: str = "Authorization"
    scheme: str | None = Field("Bearer", description="prefix before the value; null sends the value alone")
    value: SecretSource


class Timeouts(Model):
    connect_s: float = Field(2.0, gt=0)
    read_s: float = Field(30.0, gt=0)
    total_s: float = Field(60.0, gt=0)


class InspectConfig(Model):
    arguments: bool = Field(True, description="run the detectors on the call's arguments")
    output: bool = Field(True, description="run the detectors on the tool's output")
    output_limit: ByteSize = Field(
        ByteSize(1 << 20), ge=0, description="outputs larger (or of unknown length) are blocked when output is on"
    )
    injection_action: Literal["block", "strip"] = Field(
        "block", description="high-confidence indirect injection in an output: block it (502) or strip the text"
    )
    redact: list[Literal["email", "phone", "iban", "payment_card", "us_ssn"]] = Field(
        default_factory=list,
        description="PII kinds to redact from this tool's output, besides the defaults (secrets, payment_card, us_ssn)",
    )
    shell_commands: list[str] | None = Field(
        None, description="tools tagged shell: the commands a command line may run (unset: any command)"
    )
    sql_verbs: list[str] | None = Field(
        None, description="tools tagged sql: the statement verbs allowed, e.g. [select, with] (unset: any verb)"
    )


class SsrfConfig(Model):
    resolve: bool = Field(
        False, description="resolve host names in URL arguments and flag those that resolve to internal addresses"
    )
    resolve_timeout_s: float = Field(1.0, gt=0, description="a name that does not resolve in time is a finding")


class ToolConfig(Model):
    upstream: AnyHttpUrl
    effect: Effect = "read"
    risk: Risk = "low"
    tags: list[str] = Field(default_factory=list)
    description: str = ""
    credentials: dict[str, Credential] = Field(default_factory=dict)
    default_credential: str | None = None
    timeouts: Timeouts = Timeouts()
    body_limit: ByteSize = Field(ByteSize(1 << 20), ge=0)
    record_fields: list[str] = Field(
        default_factory=list, description="top-level argument fields safe to copy into the decision log"
    )
    cost: float = Field(1.0, ge=0, description="cost units charged per call unless policy or the upstream says")
    max_cost: float | None = Field(None, ge=0, description="per-call cap; reserved before forwarding")
    cost_header: str | None = Field(None, description="upstream response header carrying the actual cost")
    cost_field: str | None = Field(None, description="top-level field of the upstream's JSON body with the cost")
    arguments_schema: dict[str, Any] | None = Field(
        None, alias="schema", description="JSON Schema (2020-12) the arguments must satisfy"
    )
    inspect: InspectConfig = InspectConfig()
    ssrf: SsrfConfig = SsrfConfig()
    allowed_roots: list[str] = Field(default_factory=list, description="absolute paths path arguments must stay under")
    approval_ttl_s: float | None = Field(
        None, gt=0, le=7 * 86400, description="how long an approval of this tool's calls stays valid (approvals.ttl_s)"
    )
    trust: Trust = Field(
        "untrusted",
        description="trusted: the output is the operator's own data; untrusted (default): reading it taints the run",
    )

    @field_validator("arguments_schema")
    @classmethod
    def _schema_valid(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            import jsonschema

            try:
                jsonschema.Draft202012Validator.check_schema(v)
            except jsonschema.SchemaError as e:
                raise ValueError(f"not a valid JSON Schema: {e.message}") from e
        return v

    @field_validator("upstream")
    @classmethod
    def _no_query(cls, v: AnyHttpUrl) -> AnyHttpUrl:
        if v.query or v.fragment:
            raise ValueError("an upstream base URL takes no query or fragment")
        return v

    @model_validator(mode="after")
    def _default_credential(self) -> ToolConfig:
        if self.default_credential is not None and self.default_credential not in self.credentials:
            raise ValueError(f"default_credential {self.default_credential!r} is not in credentials")
        return self

    @property
    def default_credential_name(self) -> str | None:
        if self.default_credential is not None:
            return self.default_credential
        if len(self.credentials) == 1:
            return next(iter(self.credentials))
        return None


class StdioConfig(Model):
    """Limits for a stdio MCP server (``mcp_servers.<name>.command``); see ``gateway.mcp.stdio``."""

    max_line: ByteSize = Field(
        ByteSize(4 << 20), ge=1024, description="largest JSON-RPC message (one line) either way; longer lines dropped"
    )
    stderr_line: int = Field(2000, ge=80, le=65536, description="stderr lines are logged cut to this many characters")
    stderr_lines_per_s: float = Field(50.0, gt=0, description="stderr lines logged per second at most; rest counted")
    restart_initial_s: float = Field(0.5, gt=0, description="first restart delay; doubles on each quick exit")
    restart_max_s: float = Field(30.0, gt=0, description="restart delay never exceeds this")
    restart_reset_s: float = Field(60.0, gt=0, description="a child that ran this long restarts at the first delay")
    max_sessions: int = Field(1024, ge=1, description="client sessions one worker's child serves; idle ones evicted")
    max_in_flight: int = Field(256, ge=1, description="requests to the child at once; more are refused")
    stream_buffer: int = Field(256, ge=1, description="messages queued per session stream; more are dropped")

    @model_validator(mode="after")
    def _backoff(self) -> StdioConfig:
        if self.restart_max_s < self.restart_initial_s:
            raise ValueError("restart_max_s must be at least restart_initial_s")
        return self


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class McpServerConfig(Model):
    """An MCP server reached through ``/mcp/{name}``: over streamable HTTP (``upstream``) or
    started by callgate as a child process speaking stdio (``command``)."""

    upstream: AnyHttpUrl | None = Field(
        None, description="the server's MCP endpoint, e.g. http://127.0.0.1:9902/mcp (or set command)"
    )
    command: list[str] | None = Field(
        None, min_length=1, description="argv of a stdio MCP server callgate starts and supervises (or set upstream)"
    )
    env: dict[str, str | SecretSource] = Field(
        default_factory=dict, description="environment of the stdio child: a value, or {env|file} read at start"
    )
    cwd: Path | None = Field(None, description="working directory of the stdio child")
    stdio: StdioConfig = StdioConfig()
    effect: Effect = Field("read", description="effect of its tools for policy; per-tool effects in tool_effects")
    tool_effects: dict[str, Effect] = Field(default_factory=dict)
    risk: Risk = "low"
    tags: list[str] = Field(default_factory=list)
    credentials: dict[str, Credential] = Field(default_factory=dict)
    default_credential: str | None = None
    timeouts: Timeouts = Timeouts()
    body_limit: ByteSize = Field(ByteSize(1 << 20), ge=0)
    inspect: InspectConfig = InspectConfig()
    pinned: dict[str, str] = Field(
        default_factory=dict, description="tool name -> sha256:<hex> of its approved definition"
    )
    # MCP mediator (issue 9): the inspection settings HTTP tools have, for every tool of the server.
    ssrf: SsrfConfig = SsrfConfig()
    allowed_roots: list[str] = Field(default_factory=list, description="absolute paths path arguments must stay under")
    record_fields: list[str] = Field(default_factory=list, description="argument fields copied into the record")
    definition_ttl_s: float = Field(
        300.0,
        gt=0,
        description="a call re-checks its tool's definition (tools/list) when its session has not listed it this long",
    )
    trust: Trust = Field("untrusted", description="trust of its tools' outputs; per-tool trust in tool_trust")
    tool_trust: dict[str, Trust] = Field(default_factory=dict)

    @field_validator("pinned")
    @classmethod
    def _pins(cls, v: dict[str, str]) -> dict[str, str]:
        for name, digest in v.items():
            if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                raise ValueError(f"pin of {name!r} must be sha256:<64 hex digits>")
        return v

    @model_validator(mode="after")
    def _default_credential(self) -> McpServerConfig:
        if self.default_credential is not None and self.default_credential not in self.credentials:
            raise ValueError(f"default_credential {self.default_credential!r} is not in credentials")
        return self

    @model_validator(mode="after")
    def _transport(self) -> McpServerConfig:
        if (self.upstream is None) == (self.command is None):
            raise ValueError(
                "set exactly one of 'upstream' (an MCP server over streamable HTTP) "
                "or 'command' (a stdio MCP server callgate starts)"
            )
        if self.command is None:
            stdio_only = [f for f in ("env", "cwd", "stdio") if f in self.model_fields_set]
            if stdio_only:
                raise ValueError(f"{', '.join(map(repr, stdio_only))} only apply to a stdio server ('command')")
            return self
        if not self.command[0]:
            raise ValueError("'command' starts with an empty program name")
        if self.credentials or self.default_credential is not None:
            raise ValueError(
                "'credentials' are for HTTP servers; a stdio server gets its secrets through 'env' "
                "(e.g. env: {API_KEY: {env: MY_API_KEY}})"
            )
        bad = [k for k in self.env if not ENV_NAME.match(k)]
        if bad:
            raise ValueError(f"'env' names must match {ENV_NAME.pattern}: {bad[0]!r}")
        return self

    @property
    def is_stdio(self) -> bool:
        return self.command is not None

    def as_tool_config(
        self, effect: Effect | None = None, trust: Trust | None = None, upstream: str | None = None
    ) -> ToolConfig:
        """``upstream``: the endpoint to use instead of ``self.upstream`` (a stdio server's bridge)."""
        url = AnyHttpUrl(upstream) if upstream is not None else self.upstream
        if url is None:
            raise ValueError("a stdio server is reached through its bridge: pass the bridge's URL as upstream")
        return ToolConfig(
            upstream=url,
            effect=effect or self.effect,
            trust=trust or self.trust,
            risk=self.risk,
            tags=self.tags,
            credentials=self.credentials,
            default_credential=self.default_credential,
            timeouts=self.timeouts,
            body_limit=self.body_limit,
            inspect=self.inspect,
            ssrf=self.ssrf,
            allowed_roots=self.allowed_roots,
            record_fields=self.record_fields,
        )


class AgentConfig(Model):
    tenants: list[str] = Field(default_factory=list, description="tenants this agent may act for; empty: any")
    description: str = ""


class MetricsConfig(Model):
    namespace: str = "callgate"


Dimension = Literal["tenant", "agent", "tool"]


class RedisStoreConfig(Model):
    url: str = Field(pattern=r"^rediss?://")
    timeout_ms: int = Field(100, ge=1, le=10_000, description="per operation; a slower Redis answers 503")
    max_connections: int = Field(256, ge=2, description="connections per replica; a burst beyond waits")
    warm_connections: int | None = Field(
        None, ge=0, description="connections opened at start (default: max_connections), so a first burst finds them"
    )
    key_prefix: str = Field(
        "callgate:",
        pattern=r"^[^{}]*$",
        description="every key starts with it; no braces: keys carry a hash tag per tenant ({t:<hash>})",
    )


class RateRule(Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    per: list[Dimension] = Field(default_factory=list, description="dimensions keying the bucket; empty: one")
    tools: list[str] = Field(default_factory=lambda: ["*"], description="tool globs the rule applies to")
    rate: float = Field(gt=0, description="calls (or cost units) per second, sustained")
    burst: int = Field(1, ge=1, description="calls admitted at once from a full bucket")
    cost_weighted: bool = Field(False, description="a call takes as many tokens as its cost")


class QuotaRule(Model):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    per: Literal["tenant", "agent"]
    window: Literal["hour", "day", "month"]
    limit: float = Field(gt=0)


class IdempotencyConfig(Model):
    ttl_s: float = Field(86400.0, gt=0, description="how long a finished call's response is kept")
    lease_s: float = Field(60.0, gt=0, description="an in-flight marker expires after this")
    max_body: ByteSize = Field(ByteSize(1 << 16), ge=0, description="larger responses are not kept")
    headers: list[str] = Field(default_factory=lambda: ["content-type"], description="response headers kept")
    require_for: list[Effect] = Field(default_factory=list, description="tool effects that need a key (400)")


class LimitsConfig(Model):
    rate: list[RateRule] = Field(default_factory=list)
    quotas: list[QuotaRule] = Field(default_factory=list)
    timezone: str = Field("UTC", description="quota windows are calendar-aligned here")
    fail_open: bool = Field(False, description="rate limits only: admit when the store is unavailable")
    idempotency: IdempotencyConfig = IdempotencyConfig()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}") from e
        return v


class ApprovalsConfig(Model):
    """Held calls waiting for a human (``decision.require_approval``)."""

    ttl_s: float = Field(
        900.0, gt=0, le=7 * 86400, description="default expiry of an approval (per tool: approval_ttl_s)"
    )
    wait_s: float = Field(
        0.0,
        ge=0,
        le=300,
        description="hold the original request open this long and run it once approved; 0: answer 202",
    )
    max_pending: int = Field(1000, ge=1, le=100_000, description="approvals waiting at once; past it 429")
    retention_s: float = Field(86400.0, ge=0, description="decided approvals stay readable this long after expiry")
    notify_url: AnyHttpUrl | None = Field(None, description="JSON POST when an approval waits (chat, tickets)")
    notify_timeout_s: float = Field(2.0, gt=0, le=30)
    notify_retries: int = Field(3, ge=0, le=10, description="attempts after the first, with backoff")
    notify_queue: int = Field(256, ge=1, le=10_000, description="notifications waiting; past it dropped and counted")
    approver_scope: str = Field("callgate:approve", description="JWT scope that lets a person approve or deny")
    console_session_s: float = Field(8 * 3600.0, gt=0, le=7 * 86400, description="console login lifetime")


class RunsConfig(Model):
    """Run context: what an agent run (``X-Agent-Run``, or its MCP session) has read."""

    ttl_s: float = Field(86400.0, gt=0, le=30 * 86400, description="a run's state expires this long after last use")
    max_sources: int = Field(32, ge=1, le=1024, description="tools remembered per run")
    max_findings: int = Field(64, ge=0, le=1024, description="output findings remembered per run")
    max_destinations: int = Field(
        256, ge=0, le=4096, description="destinations (hosts, e-mails, IBANs) from untrusted outputs kept per run"
    )


class Settings(Model):
    version: Literal[1] = 1
    server: ServerConfig = ServerConfig()
    admin: AdminConfig = AdminConfig()
    identity: IdentityConfig
    policy: PolicyConfig = PolicyConfig()
    decision_log: DecisionLogConfig = DecisionLogConfig()
    metrics: MetricsConfig = MetricsConfig()
    store: Literal["memory"] | RedisStoreConfig = "memory"
    limits: LimitsConfig = LimitsConfig()
    approvals: ApprovalsConfig = ApprovalsConfig()
    runs: RunsConfig = RunsConfig()
    agents: dict[str, AgentConfig] | None = Field(
        None, description="known agents; when set, the default pack denies any other agent"
    )
    tools: dict[str, ToolConfig] = Field(default_factory=dict)
    mcp_servers: dict[str, McpServerConfig] = Field(default_factory=dict)
    classifier: ClassifierConfig | None = Field(None, description="optional local model detector (off by default)")

    @field_validator("tools", "mcp_servers")
    @classmethod
    def _tool_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not TOOL_NAME.match(name):
                raise ValueError(f"name {name!r} must match {TOOL_NAME.pattern}")
        return v


# --------------------------------------------------------------------------- loading


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping key and sequence item."""


def _compose_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
            out[(*path, key)] = k.start_mark.line + 1
            _compose_lines(v, (*path, key), out)
            out[(*path, key)] = k.start_mark.line + 1  # the key's line, not its value's
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _compose_lines(item, (*path, i), out)


def _env_overrides(
    data: dict[str, Any], environ: dict[str, str], applied: dict[tuple[Any, ...], str]
) -> list[tuple[str, str]]:
    """Apply ``CALLGATE_A__B__C=value`` to ``data['a']['b']['c']``; record it in ``applied``; return errors."""
    errors: list[tuple[str, str]] = []
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__")]
        if any(not p for p in parts):
            errors.append((f"${name}", "empty path segment in override"))
            continue
        try:
            value = yaml.safe_load(raw) if raw else raw
        except yaml.YAMLError:
            value = raw
        node: Any = data
        for p in parts[:-1]:
            child = node.get(p) if isinstance(node, dict) else None
            if child is None:
                child = {}
                node[p] = child
            if not isinstance(child, dict):
                errors.append((f"${name}", f"{p} is not a mapping"))
                break
            node = child
        else:
            node[parts[-1]] = value
            applied[tuple(parts)] = name
    return errors


_UNION_TAGS = frozenset({"hmac", "pem", "jwks"})


def _loc(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int], applied: dict[tuple[Any, ...], str]) -> str:
    """Dotted YAML path plus line (or the overriding variable); union tags (``keys.0.hmac``) are dropped."""
    path: list[Any] = []
    for part in loc:
        if part in _UNION_TAGS and (*path, part) not in lines:
            continue
        path.append(part)
    dotted = ".".join(str(p) for p in path) or "(top level)"
    probe = tuple(path)
    while probe:
        if probe in applied:
            return f"{dotted} (from ${applied[probe]})"
        if probe in lines:
            return f"{dotted} (line {lines[probe]})"
        probe = probe[:-1]
    return dotted


def parse_settings(text: str, *, source: str = "<config>", environ: dict[str, str] | None = None) -> Settings:
    try:
        node = yaml.compose(text, Loader=_LineLoader)
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source} (line {mark.line + 1})" if mark else source
        raise ConfigError([(where, f"invalid YAML: {getattr(e, 'problem', e)}")]) from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([("(top level)", "the configuration must be a mapping")])
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _compose_lines(node, (), lines)
    applied: dict[tuple[Any, ...], str] = {}
    errors = _env_overrides(data, dict(os.environ if environ is None else environ), applied)
    if errors:
        raise ConfigError(errors)
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        raise ConfigError([(_loc(err["loc"], lines, applied), err["msg"]) for err in e.errors()]) from e


def load_settings(path: str | Path, *, environ: dict[str, str] | None = None) -> Settings:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError([(str(p), f"cannot read: {e.strerror}")]) from e
    return parse_settings(text, source=str(p), environ=environ)


def check_secrets(settings: Settings) -> list[tuple[str, str]]:
    """Resolve every secret once; return ``(location, message)`` for each that fails."""
    errors: list[tuple[str, str]] = []

    def probe(loc: str, src: SecretSource | None) -> None:
        if src is None:
            return
        try:
            src.resolve()
        except ValueError as e:
            errors.append((loc, str(e)))

    probe("admin.token", settings.admin.token)
    if settings.decision_log.checkpoints is not None:
        probe("decision_log.checkpoints.key", settings.decision_log.checkpoints.key)
    for i, key in enumerate(settings.identity.keys):
        if isinstance(key, HmacKey):
            probe(f"identity.keys.{i}.secret", key.secret)
        elif isinstance(key, PemKey) and not key.path.is_file():
            errors.append((f"identity.keys.{i}.path", f"no such file: {key.path}"))
    for name, tool in settings.tools.items():
        for cname, cred in tool.credentials.items():
            probe(f"tools.{name}.credentials.{cname}.value", cred.value)
    for name, srv in settings.mcp_servers.items():
        for cname, cred in srv.credentials.items():
            probe(f"mcp_servers.{name}.credentials.{cname}.value", cred.value)
        if srv.is_stdio:  # its env secrets, cwd and program, as the runtime will compile them
            from gateway.mcp.stdio.bridge import child_spec

            try:
                child_spec(name, srv)
            except ConfigError as e:
                errors.extend(e.errors)
    return errors
