"""What the upstream receives is exactly the path, query and headers that inspection and
policy saw, confined under the tool's base path — whatever bytes the agent sent.

Requests go over raw sockets so that no client library normalises the target first.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.config import Settings
from gateway.headers import METHOD_OVERRIDE
from gateway.memo import MEMO_SIZE
from gateway.target import PathInvalid, QueryInvalid, canonical_query, canonical_tail, encode_path, split_target
from tests.conftest import ECHO_KEY, Gateway, GatewayFactory, Upstream, settings_dict


async def raw_call(gw: Gateway, target: str | bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One request with the target and headers written byte for byte; ``(status, parsed body)``."""
    server = gw.agent.server
    assert server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    t = target.encode("latin-1") if isinstance(target, str) else target
    hdrs = {"Host": f"127.0.0.1:{server.port}", **gw.auth(), "Connection": "close", **(headers or {})}
    head = b"GET " + t + b" HTTP/1.1\r\n" + b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in hdrs.items())
    writer.write(head + b"\r\n")
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status_line, _, rest = data.partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = body
    return int(status_line.split()[1]), parsed


# ------------------------------------------------------------------ the canonical form itself


@pytest.mark.parametrize(
    "raw",
    [
        "/..;/secret",
        "/..%2f..%2fsecret",
        "/..%2F..%2Fsecret",
        "/%2e%2e/secret",
        "/.%2e/secret",
        "/%2E/secret",
        "/./secret",
        "/a/../../secret",
        "/%252e%252e/secret",
        "/..%5csecret",
        "/a\\..\\secret",
        "/%EF%BC%8E%EF%BC%8E/secret",  # fullwidth dots: NFKC is ".."
        "/%E2%80%A5/secret",  # U+2025 two dot leader: NFKC is ".."
        "/..%c0%af/secret",  # overlong UTF-8 '/', not valid UTF-8
        "/.. /secret",
        "/.../secret",
        "/a%00b",
        "/a%0d%0aX-Injected:%201",
        "/a%zzb",
        "/a%",
        "/a%ffb",  # not UTF-8
    ],
)
def test_ambiguous_paths_are_refused(raw: str) -> None:
    with pytest.raises(PathInvalid):
        canonical_tail(raw, 0)


@pytest.mark.parametrize(
    ("raw", "decoded", "encoded"),
    [
        ("/items%3Fadmin=1", "/items?admin=1", "/items%3Fadmin=1"),
        ("/a%23b", "/a#b", "/a%23b"),
        ("/a%20b", "/a b", "/a%20b"),
        ("/a;b", "/a;b", "/a%3Bb"),
        ("/caf%C3%A9/x", "/café/x", "/caf%C3%A9/x"),
        ("/a.b/.hidden/x..y", "/a.b/.hidden/x..y", "/a.b/.hidden/x..y"),
        ("/a//b/", "/a//b/", "/a//b/"),
        ("/%41%7e", "/A~", "/A~"),
    ],
)
def test_paths_decode_once_and_re_encode(raw: str, decoded: str, encoded: str) -> None:
    _, path = canonical_tail(raw, 0)
    assert path == decoded
    assert encode_path(path) == encoded
    # canonical is a fixed point: decoding the re-encoded form gives the same path
    assert canonical_tail(encode_path(path), 0)[1] == decoded


def test_encode_path_refuses_a_non_canonical_path() -> None:
    for bad in ["/../secret", "/a/./b", "/a\x00b"]:
        with pytest.raises(PathInvalid):
            encode_path(bad)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("x=1&y=two", "x=1&y=two"),
        ("a=%26b&c", "a=%26b&c"),
        ("q=a+b&r=a%20b", "q=a%20b&r=a%20b"),
        ("q=%3Fx%3D1%23f", "q=%3Fx%3D1%23f"),
        ("q=caf%C3%A9;x", "q=caf%C3%A9%3Bx"),
        ("&&a=&", "a="),
    ],
)
def test_query_is_canonical(raw: str, canonical: str) -> None:
    assert canonical_query(raw) == canonical
    assert canonical_query(canonical) == canonical


@pytest.mark.parametrize("raw", ["q=%00", "q=a%0Ab", "q=%", "q=%ff", "%0d=1"])
def test_bad_queries_are_refused(raw: str) -> None:
    with pytest.raises(QueryInvalid):
        canonical_query(raw)


def test_a_remembered_target_is_what_working_it_out_gives() -> None:
    """``canonical_target`` remembers targets that pass: asked again (and for another tool, and
    after the memo is full), it answers as the uncached composition does, and refuses as it did."""
    from gateway.adapters import http

    tails = ["/x", "/a%20b?q=a+b", "/caf%C3%A9/x?z=1&&a=", "/..%2fsecret", "/a%00b", "?q=%00", "", "/?x"]
    targets = [f"/tools/{tool}{tail}" for tool in ("echo", "other") for tail in tails]

    def uncached(raw: str, tool: str) -> tuple[str, str] | str:
        try:
            raw_path, raw_query = split_target(raw)
            head, path = canonical_tail(raw_path, 2)
            if head != ["tools", tool]:
                return "refused"
            return path, canonical_query(raw_query)
        except (PathInvalid, QueryInvalid):
            return "refused"

    def cached(raw: str, tool: str) -> tuple[str, str] | str:
        try:
            return http.canonical_target(raw, tool)
        except (PathInvalid, QueryInvalid):
            return "refused"

    for _ in range(2):  # the second time from the memo
        for raw in targets:
            for tool in ("echo", "other"):
                assert cached(raw, tool) == uncached(raw, tool), (raw, tool)
    assert ("/tools/echo/x", "echo") in http._TARGETS and ("/tools/echo/x", "other") not in http._TARGETS
    for i in range(MEMO_SIZE + 10):  # bounded
        http.canonical_target(f"/tools/echo/n{i}", "echo")
    assert len(http._TARGETS) <= MEMO_SIZE
    assert cached("/tools/echo/a%20b?q=a+b", "echo") == ("/a b", "q=a%20b")


def test_targets_that_are_not_origin_form_or_carry_a_fragment_are_refused() -> None:
    for raw in ["http://evil/tools/echo/x", "*", "/tools/echo/a#frag"]:
        with pytest.raises(PathInvalid):
            split_target(raw)


# ------------------------------------------------------------------ end to end


TRAVERSALS = [
    "/tools/echo/..;/secret",
    "/tools/echo/..%2f..%2fsecret",
    "/tools/echo/%2e%2e/%2e%2e/secret",
    "/tools/echo/a/%2E%2E/%2E%2E/secret",
    "/tools/echo/%252e%252e/secret",
    "/tools/echo/..%5c..%5csecret",
    "/tools/echo/%EF%BC%8E%EF%BC%8E/secret",
    "/tools/echo/../echo/secret",
    "/tools/echo/a%00b",
    "/tools/echo/a%0d%0aX-Injected:%201",
    "/tools/echo/x?q=%00",
    "/tools/echo/a#frag",
]


@pytest.mark.parametrize("inspect_arguments", [True, False])
async def test_traversal_is_refused_and_recorded_whether_or_not_detectors_run(
    make_gateway: GatewayFactory, upstream: Upstream, inspect_arguments: bool
) -> None:
    gw = await make_gateway(tools={"echo": {"inspect": {"arguments": inspect_arguments}}})
    for target in TRAVERSALS:
        status, body = await raw_call(gw, target)
        assert status == 400, (target, body)
        assert body["code"] in ("request.path_invalid", "request.query_invalid"), (target, body)
    assert upstream.seen == []
    recs = gw.records()
    assert len(recs) == len(TRAVERSALS)
    assert all(r["status"] == 400 and r["outcome"] != "allowed" for r in recs)


async def test_upstream_receives_the_path_policy_saw(gateway: Gateway, upstream: Upstream) -> None:
    cases = [
        ("/tools/echo/items%3Fadmin=1", "/echo/items%3Fadmin=1"),
        ("/tools/echo/a%23b", "/echo/a%23b"),
        ("/tools/echo/a%20b/c", "/echo/a%20b/c"),
        ("/tools/echo/x?a=%26b&flag", "/echo/x?a=%26b&flag"),
        ("/tools/echo/x?q=a+b", "/echo/x?q=a%20b"),
        ("/tools/ec%68o/y", "/echo/y"),
    ]
    for target, raw_seen in cases:
        status, body = await raw_call(gateway, target)
        assert status == 200, (target, body)
        assert upstream.last.raw_path == raw_seen, target
        assert body["query"] == upstream.last.query
    recs = gateway.records()
    assert [r["action"] for r in recs] == [
        "GET /items?admin=1",
        "GET /a#b",
        "GET /a b/c",
        "GET /x",
        "GET /x",
        "GET /y",
    ]
    assert upstream.seen[0].query == "" and upstream.seen[0].path == "/echo/items?admin=1"
    assert upstream.seen[3].query == "a=%26b&flag"


async def test_agent_host_never_reaches_forwarded_headers(gateway: Gateway, upstream: Upstream) -> None:
    evil = 'evil.example";for=6.6.6.6;by="x'
    status, _ = await raw_call(gateway, "/tools/echo/h", {"Host": evil})
    assert status == 200
    seen = upstream.last.headers
    assert "evil" not in seen["Forwarded"] and "6.6.6.6" not in seen["Forwarded"]
    assert "evil" not in seen["X-Forwarded-Host"]
    assert seen["Forwarded"].count(";") == 2 and seen["Forwarded"].startswith("for=127.0.0.1;proto=http;host=")
    port = gateway.agent.server.port
    assert seen["X-Forwarded-Host"] == f"127.0.0.1:{port}"
    assert seen["Forwarded"].endswith(f';host="127.0.0.1:{port}"')


async def test_configured_public_host_is_used_and_quoted(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(server={"public_host": "gw.example.com:8443"})
    status, _ = await raw_call(gw, "/tools/echo/h", {"Host": "evil.example"})
    assert status == 200
    assert upstream.last.headers["X-Forwarded-Host"] == "gw.example.com:8443"
    assert upstream.last.headers["Forwarded"] == 'for=127.0.0.1;proto=http;host="gw.example.com:8443"'


async def test_agent_sent_gateway_headers_and_client_addresses_never_reach_the_upstream(
    gateway: Gateway, upstream: Upstream
) -> None:
    sent = {
        "X-Callgate-Call-Id": "forged-call-id",
        "x-callgate-output-reasons": "forged",
        "X-Callgate-Anything": "forged",
        "X-Real-IP": "6.6.6.6",
        "True-Client-IP": "6.6.6.6",
        "X-Forwarded-Port": "1",
        "Via": "1.1 evil",
        "X-Original-Host": "evil.example",
        "X-Host": "evil.example",
    }
    status, _ = await raw_call(gateway, "/tools/echo/h", sent)
    assert status == 200
    pairs = upstream.last.header_list
    names = [k.lower() for k, _ in pairs]
    assert names.count("x-callgate-call-id") == 1
    assert [v for k, v in pairs if k.lower().startswith("x-callgate-")] == [upstream.last.headers["X-Callgate-Call-Id"]]
    assert "forged" not in json.dumps(pairs) and "6.6.6.6" not in json.dumps(pairs) and "evil" not in json.dumps(pairs)
    assert upstream.last.headers["Authorization"] == f"Bearer {ECHO_KEY}"


@pytest.mark.parametrize("header", sorted(METHOD_OVERRIDE))
async def test_method_and_url_override_headers_are_refused_and_recorded(
    gateway: Gateway, upstream: Upstream, header: str
) -> None:
    value = "/admin" if "url" in header or "uri" in header or "path" in header or "prefix" in header else "DELETE"
    status, body = await raw_call(gateway, "/tools/echo/h", {header: value})
    assert status == 400 and body["code"] == "request.header_refused"
    assert upstream.seen == []
    assert [r["code"] for r in gateway.records()] == ["request.header_refused"]


@pytest.mark.parametrize("bad", ['gw.example";for=1.2.3.4', "gw example", "gw/x", "[::1"])
def test_public_host_must_be_a_host_and_port(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(settings_dict(tmp_path, "http://127.0.0.1:1", server={"public_host": bad}))
    ok = Settings.model_validate(settings_dict(tmp_path, "http://127.0.0.1:1", server={"public_host": "[::1]:8443"}))
    assert ok.server.public_host == "[::1]:8443"


def test_remembered_upstream_urls_are_what_the_tool_builds(tmp_path: Path) -> None:
    """``ForwardStage`` remembers (tool, path, query) -> URL: the same URL the tool builds,
    per Tool object (a tool compiled anew, e.g. another base URL, gets its own), bounded."""
    from gateway.metrics import MetricLabels, Metrics
    from gateway.stages import forward
    from gateway.tools import compile_tools

    def tools(base: str) -> Any:
        s = Settings.model_validate(settings_dict(tmp_path, base))
        return compile_tools(s)["echo"], s

    echo, s = tools("http://127.0.0.1:1")
    other, _ = tools("http://127.0.0.1:2/base/")
    stage = forward.ForwardStage(None, Metrics("t", labels=MetricLabels({}, {}, [])), s.server)  # type: ignore[arg-type]
    cases = [("/search", ""), ("/a b/c%d", "q=a%20b"), ("", ""), ("/", "x=1"), ("/caf\u00e9", "")]
    for _ in range(2):
        for tool in (echo, other):
            for path, query in cases:
                assert stage.upstream_url(tool, path, query) == tool.upstream_url(path, query)
    assert stage.upstream_url(other, "/search", "") != stage.upstream_url(echo, "/search", "")
    for i in range(MEMO_SIZE + 5):
        stage.upstream_url(echo, f"/n{i}", "")
    assert len(stage._urls) <= MEMO_SIZE
