"""The mediator's parsers: bounded JSON-RPC parsing and a bounded SSE reader."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from gateway.mcp import jsonrpc, sse
from gateway.mcp.jsonrpc import Malformed


def test_parse_bounds_nesting_batches_and_classifies() -> None:
    with pytest.raises(Malformed) as deep:
        jsonrpc.parse(("[" * 100_000 + "]" * 100_000).encode())  # past the recursion limit
    assert deep.value.code == "request.too_deep"
    with pytest.raises(Malformed) as deep65:
        jsonrpc.parse(
            json.dumps(
                {
                    "a": [
                        [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                    1
                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ]
                    ]
                }
            ).encode()
        )
    assert deep65.value.code == "request.too_deep"
    docs, batch = jsonrpc.parse(
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":' + b"[" * 60 + b"]" * 60 + b"}}"
    )
    assert not batch and jsonrpc.classify(docs[0]).kind == "request"
    with pytest.raises(Malformed) as big:
        jsonrpc.parse(json.dumps([{"jsonrpc": "2.0", "method": "x"}] * 65).encode())
    assert big.value.code == "mcp.batch_too_large"
    with pytest.raises(Malformed):
        jsonrpc.parse(b"[]")
    kinds = [
        jsonrpc.classify(d).kind
        for d in (
            {"jsonrpc": "2.0", "id": 1, "method": "tools/call"},
            {"jsonrpc": "2.0", "method": "notifications/progress"},
            {"jsonrpc": "2.0", "id": "a", "result": {}},
            {"jsonrpc": "2.0", "id": True, "method": "ping"},  # a boolean is no id
            {"jsonrpc": "2.0", "id": 1, "result": {}, "error": {}},  # both: neither
            {"id": 1, "method": "ping"},  # not 2.0
            [1],
        )
    ]
    assert kinds == ["request", "notification", "response", "invalid", "invalid", "invalid", "invalid"]


class Chunks:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def iter_any(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c


async def test_sse_events_split_anywhere_and_bounded() -> None:
    stream = b'event: message\r\ndata: {"a":1}\r\n\r\n: keepalive\r\n\r\ndata: {"b":2}\n\n'
    for cut in range(1, len(stream)):
        events = [e async for e in sse.iter_events(Chunks([stream[:cut], stream[cut:]]), 1000)]
        assert [sse.data(e) for e in events] == ['{"a":1}', None, '{"b":2}'], cut
    with pytest.raises(sse.EventTooLarge):
        _ = [e async for e in sse.iter_events(Chunks([b"data: " + b"x" * 2000 + b"\n\n"]), 1000)]
    with pytest.raises(sse.EventTooLarge):  # never terminated: the buffer is bounded too
        _ = [e async for e in sse.iter_events(Chunks([b"data: " + b"x" * 600] * 3), 1000)]
    assert sse.encode({"x": 1}, b"id: 7\nevent: message\ndata: old\n\n") == b'id: 7\nevent: message\ndata: {"x":1}\n\n'


async def test_sse_a_big_event_in_tiny_chunks_is_read_in_linear_time() -> None:
    """The buffer was searched from its start on every chunk: a 1 MiB event in 1-16-byte
    chunks cost ~10^11 byte comparisons. Now each byte is searched once."""
    import random
    import time

    rnd = random.Random(9)
    payload = b"data: " + b"x" * (1 << 20) + b"\r\n\r\ndata: {}\n\n"
    chunks: list[bytes] = []
    i = 0
    while i < len(payload):
        n = rnd.randint(1, 16)
        chunks.append(payload[i : i + n])
        i += n
    t0 = time.process_time()
    events = [e async for e in sse.iter_events(Chunks(chunks), 2 << 20)]
    cpu = time.process_time() - t0
    assert [len(sse.data(e) or "") for e in events] == [1 << 20, 2]
    assert cpu < 5.0, f"{cpu:.2f} s CPU for {len(chunks)} chunks"
    # the bounds hold in tiny chunks too: an event over the limit, a separator split across chunks
    with pytest.raises(sse.EventTooLarge):
        _ = [e async for e in sse.iter_events(Chunks(chunks), 1 << 19)]
    split = [b"data: 1\n", b"\n", b"data: 2\r", b"\n\r", b"\n", b"data: 3\n\n"]
    assert [sse.data(e) async for e in sse.iter_events(Chunks(split), 100)] == ["1", "2", "3"]


def test_gateway_ids_keep_look_alikes_apart() -> None:
    from gateway.mcp.mediator import gateway_id

    ids = [
        gateway_id("s", "x", 7),
        gateway_id("s", "x", "7"),
        gateway_id("s", "x", 7.0),
        gateway_id("s", "x", "7.0"),
        gateway_id("s", None, 7),
        gateway_id("s", "-", 7),
        gateway_id("s", "x\n", 7),
        gateway_id("t", "x", 7),
    ]
    assert len(set(ids)) == len(ids) and all(i.startswith("callgate-") for i in ids)
    assert gateway_id("s", "x", 7) == gateway_id("s", "x", 7)  # derived: the same on every worker


def test_only_a_plain_results_shape_skips_the_metadata_screen() -> None:
    from gateway.mcp.mediator import _metadata, _shape_only

    def shape_only(result: dict[str, object]) -> bool:
        items = result.get("content")
        return _shape_only(_metadata(result, items if isinstance(items, list) else []))

    text = {"type": "text", "text": "anything at all"}
    assert shape_only({"content": [text, text], "isError": False, "resultType": "complete"})
    assert shape_only({"content": [], "structuredContent": {"x": "screened apart"}})
    for odd in (
        {"content": [{**text, "annotations": {"audience": ["user"]}}]},
        {"content": [text], "_meta": {"note": "hi"}},
        {"content": [{"type": "resource_link", "uri": "file:///a", "name": "a"}]},
        {"content": [{"type": "image", "data": "AAAA", "mimeType": "image/png"}]},
        {"content": [text], "isError": "no"},
        {"content": [text], "resultType": "other"},
        {"content": [text], "note": "extra"},
        {"content": ["a bare string"]},
    ):
        assert not shape_only(odd), odd
