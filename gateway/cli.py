"""The ``callgate`` command: serve, check-config, token, policy test/eval/replay, audit verify, killswitch."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from gateway.config import Settings, check_secrets, load_settings
from gateway.errors import ConfigError

DEFAULT_CONFIG = os.environ.get("CALLGATE_CONFIG", "callgate.yaml")


def _die(msg: str, code: int = 2) -> int:
    print(msg, file=sys.stderr)
    return code


def _report(path: str, errors: Sequence[tuple[str, str]]) -> None:
    print(f"{path}: invalid configuration", file=sys.stderr)
    for loc, msg in errors:
        print(f"  {loc}: {msg}", file=sys.stderr)


def _load(path: str, *, secrets: bool = False) -> Settings | None:
    """Load and validate a configuration (and, with ``secrets``, resolve every secret); print errors."""
    try:
        settings = load_settings(path)
    except ConfigError as e:
        _report(path, e.errors)
        return None
    errors = check_secrets(settings) if secrets else []
    if errors:
        _report(path, errors)
        return None
    return settings


# ------------------------------------------------------------------ serve


async def _serve(settings: Settings, host: str, port: int, reuse_port: bool = False) -> None:
    from aiohttp import web

    from gateway.app import create_admin_app, create_agent_app
    from gateway.policy.engine import PolicyLoadError
    from gateway.runtime import Runtime
    from gateway.server import ClientLimits, GuardedRunner

    rt = Runtime(settings)
    limits = ClientLimits.of(settings.server, rt.metrics)  # slow clients: gateway/server.py
    agent_runner = GuardedRunner(create_agent_app(rt), limits, access_log=None)
    await agent_runner.setup()
    admin_runner = GuardedRunner(create_admin_app(rt), limits, access_log=None)
    await admin_runner.setup()
    try:
        await web.TCPSite(agent_runner, host, port, backlog=1024, reuse_port=reuse_port or None).start()
        await web.TCPSite(admin_runner, settings.admin.host, settings.admin.port, reuse_port=reuse_port or None).start()
        logging.getLogger("callgate").info(
            "callgate serving agents on http://%s:%d, admin on http://%s:%d, policy %s",
            host,
            port,
            settings.admin.host,
            settings.admin.port,
            rt.policy.revision,
        )
        # The start-up heap (modules, config, compiled policies) leaves the collector's
        # generations: a full collection then walks only what calls allocate, instead of
        # holding the loop for tens of milliseconds over objects that live forever.
        gc.collect()
        gc.freeze()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        reloads: set[asyncio.Task[None]] = set()

        async def reload() -> None:
            with contextlib.suppress(PolicyLoadError):  # logged and counted by reload_policies
                await rt.reload_policies()

        def on_hup() -> None:
            task = loop.create_task(reload())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        if settings.policy.engine == "embedded":
            loop.add_signal_handler(signal.SIGHUP, on_hup)
        await stop.wait()
    finally:
        await admin_runner.cleanup()
        await agent_runner.cleanup()


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run the server on uvloop when it is installed (about a quarter more calls/s), else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
        return
    uvloop.run(coro)


def cmd_serve(args: argparse.Namespace) -> int:
    from gateway.policy.engine import PolicyLoadError

    settings = _load(args.config, secrets=True)
    if settings is None:
        return 2
    host = args.host or settings.server.host
    port = args.port if args.port is not None else settings.server.port
    from gateway import workers

    why = workers.refusal(settings, args.workers)
    if why is not None:
        return _die(why)
    if args.workers > 1 and args.worker_index is None:
        argv = ["--log-level", args.log_level, "serve", "--config", args.config, "--host", host, "--port", str(port)]
        if args.allow_unverified_log:
            argv.append("--allow-unverified-log")
        return workers.supervise(argv, args.workers)
    if args.worker_index is not None:
        settings = workers.for_worker(settings, args.worker_index)
    cps = settings.decision_log.checkpoints
    if args.allow_unverified_log and cps is not None:
        cps = cps.model_copy(update={"allow_unverified_start": True})
        settings = settings.model_copy(
            update={"decision_log": settings.decision_log.model_copy(update={"checkpoints": cps})}
        )
    from gateway.audit.log import LogCheckFailed

    try:
        _run(_serve(settings, host, port, reuse_port=args.worker_index is not None))
    except LogCheckFailed as e:
        return _die(f"refusing to start: {e}")
    except PolicyLoadError as e:
        return _die(f"policy failed to load: {e}")
    except ConfigError as e:
        _report(args.config, e.errors)
        return 2
    except OSError as e:
        return _die(f"cannot listen: {e}")
    return 0


# ------------------------------------------------------------------ check-config / token


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _load(args.path, secrets=True)
    if settings is None:
        return 2
    parts = [_count(len(settings.tools), "HTTP tool")]
    if settings.mcp_servers:
        parts.append(_count(len(settings.mcp_servers), "MCP server"))
    print(f"{args.path}: OK ({', '.join(parts)}, policy engine {settings.policy.engine})")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from gateway.identity import mint_dev_token

    settings = _load(args.config)
    if settings is None:
        return 2
    try:
        token = mint_dev_token(
            settings,
            agent=args.agent,
            tenant=args.tenant,
            scopes=list(args.scope or []),
            ttl_s=args.ttl,
            on_behalf_of=args.on_behalf_of,
        )
    except ValueError as e:
        return _die(f"cannot mint a token: {e}")
    print(token)
    return 0


# ------------------------------------------------------------------ policy


def cmd_policy_test(args: argparse.Namespace) -> int:
    from gateway.policy.engine import PolicyLoadError
    from gateway.policy.testing import format_results, run_policy_tests, smoke_decisions

    paths = [Path(p) for p in (args.paths or ["policies"])]
    try:
        results = run_policy_tests(paths, run=args.run)
        if args.run is None:
            results += smoke_decisions(paths)  # rules that raise at run time (they empty tools/list)
    except PolicyLoadError as e:
        return _die(f"policy failed to load: {e}")
    print(format_results(results, verbose=args.verbose))
    if not results:
        return _die("no tests found", 1)
    return 0 if all(r.outcome in ("pass", "skip") for r in results) else 1


class _McpResolver:
    """MCP tool documents as the gateway resolves them (``gateway.adapters.mcp.McpTools``)."""

    def __init__(self, settings: Any, servers: dict[str, Any]) -> None:
        self.settings = settings
        self.servers = servers

    def resolve(self, full: str) -> Any:
        from gateway.tools import mcp_server_tool, mcp_tool

        server, sep, name = full.partition(".")
        srv = self.servers.get(server)
        if srv is None or (sep and not name):
            return None
        if not sep:
            return mcp_server_tool(srv)
        cfg = self.settings.mcp_servers[server]
        return mcp_tool(srv, cfg.tool_effects.get(name, cfg.effect), name)


def _policy_setup(args: argparse.Namespace, input_doc: dict[str, Any] | None) -> tuple[Any, dict[str, Any]] | int:
    """The candidate engine and the tools' documents, from ``--policies`` and ``--config``."""
    from gateway.policy.embedded import EmbeddedEngine
    from gateway.policy.engine import PolicyLoadError
    from gateway.policy.input import gateway_data
    from gateway.policy.replay import ToolDocs, standalone_data
    from gateway.tools import compile_mcp_servers, compile_tools

    tools: Any = {}
    if args.config:
        settings = _load(args.config)
        if settings is None:
            return 2
        try:
            compiled = compile_tools(settings)
            servers = compile_mcp_servers(settings)
        except ConfigError as e:
            _report(args.config, e.errors)
            return 2
        data = gateway_data(settings, compiled, servers)  # MCP servers too: MCP records replay
        tools = ToolDocs({name: t.policy_doc for name, t in compiled.items()}, _McpResolver(settings, servers))
        paths = [Path(p) for p in args.policies] if args.policies else list(settings.policy.paths)
    else:
        data = standalone_data(input_doc or {})
        paths = [Path(p) for p in (args.policies or ["policies"])]
    try:
        return EmbeddedEngine.load(paths, data), tools
    except PolicyLoadError as e:
        return _die(f"policy failed to load: {e}")


def cmd_policy_eval(args: argparse.Namespace) -> int:
    from gateway.policy.engine import PolicyError
    from gateway.policy.replay import allowed, decide, format_decision

    try:
        input_doc = json.loads(Path(args.input).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return _die(f"{args.input}: cannot read a JSON input document: {e}")
    if not isinstance(input_doc, dict):
        return _die(f"{args.input}: the input document must be a JSON object")
    setup = _policy_setup(args, input_doc)
    if isinstance(setup, int):
        return setup
    engine, _ = setup
    try:
        decision = decide(engine, args.rule, input_doc)
    except PolicyError as e:
        return _die(f"policy error: {e}")
    print(json.dumps(decision, indent=2) if args.json else format_decision(decision, engine.revision))
    return 0 if allowed(decision) else 1


def cmd_policy_replay(args: argparse.Namespace) -> int:
    from gateway.policy.replay import format_report, read_call_records, replay

    setup = _policy_setup(args, None)
    if isinstance(setup, int):
        return setup
    engine, tools = setup
    try:
        report = replay(read_call_records(Path(args.log)), engine, args.rule, tools)
    except (OSError, ValueError) as e:
        return _die(f"cannot read {args.log}: {e}")
    print(json.dumps(report.as_dict(args.examples), indent=2) if args.json else format_report(report, args.examples))
    return 0


# ------------------------------------------------------------------ inspect


def cmd_inspect(args: argparse.Namespace) -> int:
    import json

    from gateway.inspect.verdict import Judge, RecordError
    from gateway.policy.engine import PolicyLoadError
    from gateway.tools import compile_tools

    tools = {}
    paths = [Path(p) for p in (args.policy or ["policies"])]
    if args.config:
        settings = _load(args.config)
        if settings is None:
            return 2
        tools = compile_tools(settings)
        if not args.policy:
            paths = list(settings.policy.paths)
    try:
        judge = Judge(paths, tools)
    except PolicyLoadError as e:
        return _die(f"policy failed to load: {e}")
    src = sys.stdin if args.file in (None, "-") else open(args.file, encoding="utf-8")  # noqa: SIM115
    status = 0
    try:
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                out = judge.judge(json.loads(line))
            except (ValueError, RecordError) as e:
                out = {"verdict": "error", "error": f"line {n}: {e}", "findings": []}
                status = 1
            print(json.dumps(out, ensure_ascii=False), flush=False)
    finally:
        if src is not sys.stdin:
            src.close()
    sys.stdout.flush()
    return status


# ------------------------------------------------------------------ audit


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from gateway.audit.checkpoint import CheckpointKeyError, load_public_key, read_export
    from gateway.audit.verify import format_report, verify_log

    key = None
    checkpoint = None
    if args.key:
        try:
            key = load_public_key(args.key)
        except CheckpointKeyError as e:
            return _die(str(e))
        cp_path = Path(args.checkpoint) if args.checkpoint else Path(args.path + ".checkpoint")
        try:
            checkpoint = read_export(cp_path)
        except ValueError as e:
            return _die(str(e))
        if args.checkpoint and checkpoint is None:
            return _die(f"no checkpoint at {cp_path}")
        if checkpoint is not None:
            print(f"checking against the exported checkpoint {cp_path} (seq {checkpoint.seq})")
    elif args.checkpoint:
        return _die("--checkpoint needs --key")
    report = verify_log(args.path, expect_head=args.head, key=key, checkpoint=checkpoint)
    print(format_report(report))
    return 0 if report.ok else 1


def cmd_audit_keygen(args: argparse.Namespace) -> int:
    from gateway.audit.checkpoint import keygen

    path = Path(args.path)
    try:
        pub = keygen(path)
    except FileExistsError:
        return _die(f"{path} exists; not overwriting a key")
    except OSError as e:
        return _die(f"cannot write {path}: {e.strerror or e}")
    print(f"private key: {path} (mode 0600; configure decision_log.checkpoints.key, keep it off the log's disk)")
    print(f"public key:  {pub} (for `callgate audit verify --key`)")
    return 0


# ------------------------------------------------------------------ killswitch


def _admin_target(args: argparse.Namespace) -> tuple[str, str | None]:
    url = args.admin_url
    token = args.token or os.environ.get("CALLGATE_ADMIN_TOKEN")
    if args.config:
        settings = _load(args.config)
        if settings is None:
            raise SystemExit(2)
        if url is None:
            host = settings.admin.host if settings.admin.host not in ("0.0.0.0", "::") else "127.0.0.1"
            url = f"http://{host}:{settings.admin.port}"
        if token is None and settings.admin.token is not None:
            try:
                token = settings.admin.token.resolve().get_secret_value()
            except ValueError:
                token = None
    return (url or "http://127.0.0.1:8081"), token


async def _admin_call(method: str, url: str, token: str | None, operator: str | None, body: Any) -> tuple[int, Any]:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if operator:
        headers["X-Operator"] = operator
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s,
        s.request(method, url, json=body, headers=headers) as r,
    ):
        text = await r.text()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text


def _admin_print(method: str, url: str, token: str | None, operator: str | None, body: Any) -> int:
    """Call the admin API, print its answer; 0 on 2xx."""
    try:
        status, data = asyncio.run(_admin_call(method, url, token, operator, body))
    except (aiohttp.ClientError, TimeoutError) as e:
        return _die(f"cannot reach the admin API at {url}: {e}")
    print(json.dumps(data, indent=2) if not isinstance(data, str) else data)
    return 0 if 200 <= status < 300 else 1


def cmd_killswitch(args: argparse.Namespace) -> int:
    base, token = _admin_target(args)
    url = base.rstrip("/") + "/admin/killswitch"
    operator = args.operator or os.environ.get("USER")
    if args.action == "status":
        method, body = "GET", None
    elif args.action == "engage":
        if not args.scope or not args.reason:
            return _die("engage needs SCOPE and --reason")
        method, body = "PUT", {"scope": args.scope, "reason": args.reason}
    else:
        if not args.scope:
            return _die("release needs SCOPE")
        method, body = "DELETE", {"scope": args.scope}
    return _admin_print(method, url, token, operator, body)


def cmd_mcp(args: argparse.Namespace) -> int:
    base, token = _admin_target(args)
    operator = args.operator or os.environ.get("USER")
    if args.action == "list":
        method, url, body = "GET", base.rstrip("/") + "/admin/mcp/tools", None
    else:
        if not args.tool:
            return _die("approve needs TOOL ({server}.{name})")
        method, url = "POST", base.rstrip("/") + f"/admin/mcp/tools/{args.tool}/approve"
        body = {"hash": args.hash} if args.hash else {}
    return _admin_print(method, url, token, operator, body)


def cmd_approvals(args: argparse.Namespace) -> int:
    base, token = _admin_target(args)
    root = base.rstrip("/") + "/admin/approvals"
    operator = args.operator or os.environ.get("USER")
    if args.action == "list":
        query = f"?state={args.state}&limit={args.limit}" if args.state else f"?limit={args.limit}"
        return _admin_print("GET", root + query, token, operator, None)
    if not args.id:
        return _die(f"{args.action} needs an approval ID")
    if args.action == "show":
        return _admin_print("GET", f"{root}/{args.id}", token, operator, None)
    if args.action == "deny" and not args.reason:
        return _die("deny needs --reason")
    if not operator:
        return _die("an approver must be named: --operator NAME (or $USER)")
    return _admin_print("POST", f"{root}/{args.id}/{args.action}", token, operator, {"reason": args.reason or ""})


# ------------------------------------------------------------------ parser


def admin_client_args(
    s: argparse.ArgumentParser,
    operator: str = "who you are, for the record (default: $USER)",
) -> None:
    """The options of every command that talks to the admin API (``_admin_target`` reads them)."""
    s.add_argument("--admin-url", help="default: from --config, else http://127.0.0.1:8081")
    s.add_argument("--token", help="admin token (default: $CALLGATE_ADMIN_TOKEN, else the config's admin.token)")
    s.add_argument("--config", help="read the admin URL and token from this configuration")
    s.add_argument("--operator", help=operator)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="callgate", description="callgate: a security gateway for LLM agents' tool calls")
    p.add_argument("--log-level", default=os.environ.get("CALLGATE_LOG_LEVEL", "INFO"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run the gateway", description="Run the gateway (agents and admin listeners).")
    s.add_argument("--config", default=DEFAULT_CONFIG, help="YAML configuration (default: $CALLGATE_CONFIG)")
    s.add_argument("--host", help="agents' listener host (overrides server.host)")
    s.add_argument("--port", type=int, help="agents' listener port (overrides server.port)")
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the ports (needs a Redis store; default 1)",
    )
    s.add_argument(
        "--allow-unverified-log",
        action="store_true",
        help="start even if the decision log fails its signed checkpoint (recorded in the log as log.override)",
    )
    s.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)  # set by the supervisor
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser(
        "check-config",
        help="validate a configuration file",
        description="Validate a configuration "
        "file and its secrets; print every error with its YAML location; exit 2 when invalid.",
    )
    s.add_argument("path")
    s.set_defaults(func=cmd_check_config)

    s = sub.add_parser(
        "token",
        help="mint a dev agent JWT",
        description="Mint an agent JWT with the configuration's "
        "dev signing key (an identity key with dev: true). Refuses when there is none.",
    )
    s.add_argument("--config", default=DEFAULT_CONFIG)
    s.add_argument("--agent", required=True)
    s.add_argument("--tenant")
    s.add_argument("--scope", action="append", help="repeatable, e.g. --scope tool:echo")
    s.add_argument("--on-behalf-of")
    s.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    s.set_defaults(func=cmd_token)

    pol = sub.add_parser("policy", help="policy tools", description="Policy authoring tools.")
    psub = pol.add_subparsers(dest="policy_command", required=True, metavar="SUBCOMMAND")
    s = psub.add_parser(
        "test",
        help="run Rego tests",
        description="Run the test_* rules of *_test.rego files, like `opa test`, and report pass/fail per test.",
    )
    s.add_argument("paths", nargs="*", help="directories or files (default: policies)")
    s.add_argument("--run", help="only tests whose name matches this regex")
    s.add_argument("-v", "--verbose", action="store_true")
    s.set_defaults(func=cmd_policy_test)
    s = psub.add_parser(
        "eval",
        help="decide one policy input document",
        description="Evaluate the decision rule on one policy input document (the `input` contract) "
        "and print the decision with its reasons; exit 0 when allowed, 1 when not.",
    )
    s.add_argument("--input", required=True, help="a JSON policy input document")
    s.add_argument("--policies", action="append", help="repeatable (default: the config's, else policies)")
    s.add_argument("--config", help="take data.gateway (agents, tools) from this configuration")
    s.add_argument("--rule", default="data.callgate.decision")
    s.add_argument("--json", action="store_true", help="print the decision document as JSON")
    s.set_defaults(func=cmd_policy_eval)
    s = psub.add_parser(
        "replay",
        help="re-decide a decision log under candidate policies",
        description="Re-decide the `kind: call` records of a decision log under a candidate policy set and "
        "report which decisions change (allow->deny, deny->allow, by reason code, with examples). "
        "Inputs are reconstructed from the records: see gateway/policy/replay.py for what and its limits.",
    )
    s.add_argument("--log", required=True, help="decision log (JSON lines)")
    s.add_argument("--policies", action="append", required=True, help="candidate policies (repeatable)")
    s.add_argument("--config", default=DEFAULT_CONFIG, help="tools and data.gateway (default: $CALLGATE_CONFIG)")
    s.add_argument("--rule", default="data.callgate.decision")
    s.add_argument("--examples", type=int, default=5, help="examples per direction (default 5)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_policy_replay)

    s = sub.add_parser(
        "inspect",
        help="run the detectors and the policy pack on JSONL records",
        description=(
            'Read JSONL records {"surface": "request_arg"|"tool_output", "tool": NAME, "text": STRING} '
            "(for request_arg, text is the JSON of the arguments) and write one JSON line per record with "
            "findings and verdict (allow, deny, require_approval, redact, block)."
        ),
    )
    s.add_argument("file", nargs="?", help="JSONL file (default: stdin)")
    s.add_argument("--config", help="take tools (tags, schema, effect) and policy paths from this configuration")
    s.add_argument("--policy", action="append", help="policy directory (repeatable; default: policies)")
    s.set_defaults(func=cmd_inspect)

    aud = sub.add_parser("audit", help="decision log tools", description="Decision log tools.")
    asub = aud.add_subparsers(dest="audit_command", required=True, metavar="SUBCOMMAND")
    s = asub.add_parser(
        "verify",
        help="verify the hash chain",
        description="Verify a decision log's hash chain; exit 1 on any changed, removed, inserted or reordered record.",
    )
    s.add_argument("path")
    s.add_argument("--head", help="the hash the last record must have (GET /admin/audit/head)")
    s.add_argument("--key", help="Ed25519 public key (PEM): check every signed checkpoint, report unanchored records")
    s.add_argument(
        "--checkpoint",
        help="an exported checkpoint (default with --key: PATH.checkpoint if present; "
        "or a saved GET /admin/audit/head answer)",
    )
    s.set_defaults(func=cmd_audit_verify)
    s = asub.add_parser(
        "keygen",
        help="make a checkpoint signing key",
        description="Write a new Ed25519 private key to PATH (mode 0600) and its public key to PATH.pub.",
    )
    s.add_argument("path")
    s.set_defaults(func=cmd_audit_keygen)

    s = sub.add_parser(
        "killswitch",
        help="engage, release or list kill switches",
        description="Engage, release or list kill switches through the admin API.",
    )
    s.add_argument("action", choices=["engage", "release", "status"])
    s.add_argument("scope", nargs="?", help="global, tenant:<id>, agent:<id> or tool:<name>")
    s.add_argument("--reason")
    admin_client_args(s)
    s.set_defaults(func=cmd_killswitch)

    s = sub.add_parser(
        "mcp",
        help="list pinned and held MCP tool definitions, approve a held one",
        description="MCP tool definitions: `list` shows pinned hashes and held (changed or flagged) "
        "definitions; `approve TOOL` pins the held definition of {server}.{name} so it can be listed and called.",
    )
    s.add_argument("action", choices=["list", "approve"])
    s.add_argument("tool", nargs="?", help="{server}.{name}")
    s.add_argument("--hash", help="approve only if the held definition still has this hash")
    admin_client_args(s)
    s.set_defaults(func=cmd_mcp)

    s = sub.add_parser(
        "approvals",
        help="list, show, approve or deny held calls",
        description="Approvals through the admin API: `list` (pending by default), `show ID`, "
        "`approve ID [--reason]`, `deny ID --reason`. The approver is --operator (default $USER); "
        "nobody can approve a call made on their own behalf.",
    )
    s.add_argument("action", choices=["list", "show", "approve", "deny"])
    s.add_argument("id", nargs="?", help="approval id (apr_...)")
    s.add_argument("--reason")
    s.add_argument("--state", default="pending", help="for list: pending, granted, denied, expired, used ('' = all)")
    s.add_argument("--limit", type=int, default=50)
    admin_client_args(s, operator="who approves, for separation of duties and the record (default: $USER)")
    s.set_defaults(func=cmd_approvals)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
