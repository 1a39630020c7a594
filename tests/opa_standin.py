"""A STAND-IN for an OPA server, for tests only: no OPA binary can be installed here.

It speaks the part of OPA's REST Data API the gateway uses —
``PUT /v1/data/<path>`` (store a document) and ``POST /v1/data/<path>`` with
``{"input": ...}`` (evaluate; ``result`` left out when undefined; ``provenance``
with ``?provenance=true``) — and answers by evaluating the repository's
``policies/`` with the embedded engine, so the Rego is the same one OPA would run.

Controls (attributes of ``OpaStandIn``): ``delay_s`` sleeps before answering,
``fail_status`` answers decisions with that HTTP status and an OPA-style error
body, ``refuse_puts`` answers data PUTs so,
``bundle_revision`` reports a bundle revision in provenance (else only a version,
as ``opa run --server`` on plain files does), ``pad_bytes`` adds that much padding to
each decision answer. ``posts`` counts decisions asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.engine import PolicyError


class OpaStandIn:
    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        self.data: dict[str, Any] = {}
        self.engine = EmbeddedEngine.load(self.paths, self.data)
        self.delay_s = 0.0
        self.fail_status: int | None = None
        self.refuse_puts: int | None = None
        self.bundle_revision: str | None = None
        self.pad_bytes = 0
        self.posts = 0
        self.puts: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/v1/data/{path:.+}", self.put)
        app.router.add_post("/v1/data/{path:.+}", self.post)
        return app

    async def put(self, request: web.Request) -> web.Response:
        if self.refuse_puts is not None:
            return web.json_response(
                {"code": "bundle_conflict", "message": "stand-in refuses"}, status=self.refuse_puts
            )
        keys = request.match_info["path"].split("/")
        value = await request.json()
        node = self.data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
        self.puts.append("/".join(keys))
        self.engine = EmbeddedEngine.load(self.paths, self.data)
        return web.Response(status=204)

    async def post(self, request: web.Request) -> web.Response:
        self.posts += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_status is not None:
            return web.json_response(
                {"code": "internal_error", "message": "stand-in told to fail"}, status=self.fail_status
            )
        body = await request.json()
        rule = "data." + request.match_info["path"].replace("/", ".")
        try:
            result = await self.engine.evaluate(rule, body.get("input"))
        except PolicyError as e:
            return web.json_response({"code": "internal_error", "message": str(e)}, status=500)
        out: dict[str, Any] = {"decision_id": f"standin-{self.posts}"}
        if self.pad_bytes:
            out["padding"] = "x" * self.pad_bytes
        if result is not None:
            out["result"] = result
        if request.query.get("provenance") == "true":
            prov: dict[str, Any] = {"version": "standin-0.0"}
            if self.bundle_revision is not None:
                prov["bundles"] = {"callgate": {"revision": self.bundle_revision}}
            out["provenance"] = prov
        return web.json_response(out)
