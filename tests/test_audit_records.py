"""Every record is writable and bounded, whatever it holds (issue 10: records never lost, bounded work).

Two layers: the log itself, fuzzed with hypothesis over arbitrary JSON-like values
(lone surrogates, NaN, infinities, huge integers, deep nesting, long strings and
lists); and the whole gateway over a raw socket, with bytes no client library would
send (0xFF in recorded headers) and bodies that parse to such values. Each call must
leave exactly one record, the chain must verify, and no line may pass the limit.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.audit.chain import canonical
from gateway.audit.log import DecisionLog
from gateway.audit.verify import verify_log
from gateway.config import DecisionLogConfig
from tests.conftest import Gateway, GatewayFactory

MAX = 8192


def nest(depth: int) -> Any:
    v: Any = "bottom"
    for i in range(depth):
        v = [v] if i % 2 else {"k": v}
    return v


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.builds(lambda n, sign: sign * 10**n, st.integers(0, 6000), st.sampled_from([1, -1]))
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=50)
    | st.sampled_from(["\ud800", "\udcff", "a\udfffb", "\x00", "\u2028"])
    | st.builds(lambda n: "x" * n, st.integers(0, 40_000))
    | st.builds(nest, st.integers(0, 1500))
)
# Repetition only over leaves: nested repetition would build structures far larger than
# any request body can parse to (the body limit bounds what a record can hold).
repeated = st.builds(lambda x, n: [x] * n, leaves, st.integers(0, 2000))
values = st.recursive(
    leaves | repeated,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(["\ud800", "k\udcff"]), inner, max_size=6)
    ),
    max_leaves=8,
)


async def _write(path: Path, batches: list[dict[str, Any]]) -> list[str]:
    log = DecisionLog(DecisionLogConfig(path=path, fsync="never", max_record_bytes=MAX))
    await log.open()
    try:
        return list(await asyncio.gather(*(log.append(r) for r in batches)))
    finally:
        await log.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(values, min_size=1, max_size=4))
def test_any_value_is_recorded_once_bounded_and_chained(payloads: list[Any]) -> None:
    records = [
        {"kind": "call", "id": f"c{i}", "args": {"fields": {"q": v}}, "intent": v} for i, v in enumerate(payloads)
    ]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "log.jsonl"
        hashes = asyncio.run(_write(path, records))
        lines = path.read_bytes().splitlines()
        assert len(lines) == len(records)  # exactly one line per record, none dropped
        assert all(len(line) + 1 <= MAX for line in lines)
        parsed = [json.loads(line) for line in lines]
        assert [r["id"] for r in parsed] == [f"c{i}" for i in range(len(records))]
        assert [r["hash"] for r in parsed] == hashes
        report = verify_log(path, expect_head=hashes[-1])
        assert report.ok, report.problems
        for r in parsed:  # whatever was changed is listed, with the digest of the original
            if "sanitized" in r:
                assert all(n.get("sha256", "sha256:").startswith("sha256:") for n in r["sanitized"])
            canonical(r)  # re-encodes: strict JSON, valid UTF-8


async def test_oversized_record_is_trimmed_with_digests(tmp_path: Path) -> None:
    big = {"kind": "call", "id": "big", "findings": [{"evidence": "e" * 500, "n": i} for i in range(60_000)]}
    path = tmp_path / "log.jsonl"
    [h] = await _write(path, [big])
    line = path.read_bytes()
    assert len(line) <= MAX
    rec = json.loads(line)
    assert rec["truncated"] is True and rec["id"] == "big" and rec["hash"] == h
    note = next(n for n in rec["sanitized"] if n["path"] == "/findings")
    assert note["reason"] == "list" and note["length"] == 60_000 and note["sha256"].startswith("sha256:")


# --------------------------------------------------------------------------- through the gateway


async def raw_call(gw: Gateway, head: bytes, body: bytes = b"") -> tuple[int, str | None, str | None]:
    """One HTTP/1.1 request written byte for byte; returns (status, X-Callgate-Call-Id, problem code)."""
    server = gw.agent.server
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    token = gw.token().encode()
    req = (
        b"POST /tools/echo/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " + token + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n" + head + b"\r\n"
    )
    writer.write(req + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    call_id = None
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"x-callgate-call-id:"):
            call_id = line.split(b":", 1)[1].strip().decode()
    code = None
    if b"application/problem+json" in data.split(b"\r\n\r\n", 1)[0]:
        code = json.loads(data.split(b"\r\n\r\n", 1)[1])["code"]
    return status, call_id, code


ADVERSARIAL: list[tuple[bytes, bytes]] = [
    (b"X-Agent-Intent: \xff\xfe look \xc3\r\n", b'{"q": "a"}'),
    (b"X-Agent-Run: \xff\r\n", b'{"q": "a"}'),
    (b"Idempotency-Key: k\xff\r\n", b'{"q": "a"}'),
    (b"X-Agent-Intent: \xed\xa0\x80\r\nX-Agent-Run: r\x80\r\n", b'{"q": "a"}'),
    (b"", b'{"q": "\\ud800"}'),
    (b"", b'{"q": "x\\udfff\\ud800y"}'),
    (b"", b'{"q": NaN}'),
    (b"", b'{"q": [Infinity, -Infinity]}'),
    (b"", b'{"q": 1e999}'),
    (b"", b'{"q": ' + b"9" * 4000 + b"}"),
    (b"", b'{"q": ' + b"[" * 60 + b"]" * 60 + b"}"),
    (b"", b'{"q": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    (b"", b'{"q": "' + b"z" * 300_000 + b'"}'),
    (b"", b'{"q": [' + b",".join([b'"\\ud800"'] * 20_000) + b"]}"),
    (b"X-Agent-Intent: " + b"\xff" * 6000 + b"\r\n", b'{"q": {"\\ud800": NaN}}'),
]


async def test_adversarial_calls_leave_exactly_one_record_each(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(decision_log={"max_record_bytes": MAX})
    ids: list[str] = []
    for head, body in ADVERSARIAL:
        status, call_id, code = await raw_call(gw, head, body)
        # The record is never the reason a call fails. (What policy or the body parser make of
        # such content is theirs to answer; it is recorded either way.)
        assert code != "audit.unavailable", (head[:40], body[:40], status)
        assert call_id is not None
        ids.append(call_id)
    recs = gw.records()
    assert sorted(r["id"] for r in recs) == sorted(ids)  # exactly one each, nothing else
    by_id = {r["id"]: r for r in recs}
    assert by_id[ids[0]]["intent"].startswith("\ufffd\ufffd look")
    assert by_id[ids[1]]["run_id"] == "\ufffd"
    # JSON no consumer can represent (NaN, lone surrogates) is refused by the body parser (400),
    # and recorded like any refusal
    assert by_id[ids[6]]["code"] == "request.invalid_json"
    assert by_id[ids[12]]["truncated"] is True
    lines = gw.settings.decision_log.path.read_bytes().splitlines()
    assert all(len(line) < MAX for line in lines)
    report = verify_log(gw.settings.decision_log.path, expect_head=gw.rt.log.head)
    assert report.ok, report.problems


async def test_random_header_bytes_fuzz(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    rng = random.Random(10)
    alphabet = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))  # what HTTP allows in a field value
    ids = []
    for _ in range(60):
        fields = b"".join(
            name + b": " + bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 40))).strip() + b"x\r\n"
            for name in (b"X-Agent-Intent", b"X-Agent-Run", b"Idempotency-Key")
            if rng.random() < 0.7
        )
        status, call_id, code = await raw_call(gw, fields, json.dumps({"q": "a"}).encode())
        assert code != "audit.unavailable", (fields, status)
        assert call_id is not None
        ids.append(call_id)
    assert sorted(r["id"] for r in gw.records()) == sorted(ids)
    assert verify_log(gw.settings.decision_log.path, expect_head=gw.rt.log.head).ok
