"""Inspect arguments: run the detectors over every string in the call's arguments.

The query string's parameters are inspected too (paths ``?/<name>/<i>``), and so is
the URL path of an HTTP call (``@/path``). Never ends
the call itself: findings go to ``ctx.findings`` and so to
``input.findings``, and policy decides. Runs before the policy stage.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from gateway.inspect.classifier import ClassifierDetector
from gateway.inspect.runner import InspectOptions, Inspector
from gateway.inspect.ssrf import resolved_findings
from gateway.memo import MEMO_CHARS, Memo
from gateway.metrics import Metrics
from gateway.model import CallContext, Finding

if TYPE_CHECKING:
    from gateway.pipeline import Next


PATH_OPTIONS = InspectOptions()


class InspectArgsStage:
    name = "inspect.args"

    def __init__(self, inspector: Inspector, metrics: Metrics, classifier: ClassifierDetector | None = None) -> None:
        self.inspector = inspector
        self.metrics = metrics
        self.classifier = classifier
        self.latency = metrics.stage("inspect_args")
        self._path_memo: Memo[str, tuple[Finding, ...]] = Memo()

    async def _path_findings(self, path: str) -> list[Finding]:
        """The URL path's findings. Paths repeat (one per tool route) and the detectors are
        pure functions of the text and the fixed ``PATH_OPTIONS``: short paths' findings are
        remembered (bounded; copies are handed out, since a call's findings are its own)."""
        memo = self._path_memo
        known = memo.get(path)
        if known is None:
            known = tuple(
                await self.inspector.arguments_async(
                    {"path": path}, PATH_OPTIONS, root="@", schema=False, size=len(path)
                )
            )
            if len(path) <= MEMO_CHARS:
                memo.put(path, known)
        return [replace(f) for f in known]

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        tool = ctx.need_tool()
        if tool.config.inspect.arguments:
            t0 = time.perf_counter()
            # Large arguments are inspected off the event loop (runner.INLINE_BYTES).
            size = len(ctx.call.body) if ctx.call.body else None
            ctx.findings.extend(
                await self.inspector.arguments_async(ctx.call.arguments, tool.inspect_options, size=size)
            )
            if ctx.call.protocol == "http" and ctx.call.path not in ("", "/"):
                # The URL path is the agent's too, and reaches the tool decoded once (%2e%2e -> ..).
                # Plain options: allowed_roots and tags are about argument values, not the route.
                ctx.findings.extend(await self._path_findings(ctx.call.path))
            params = parse_qs(ctx.call.query, keep_blank_values=True) if ctx.call.query else None
            if params:  # query parameters reach the tool too; paths start with "?"
                ctx.findings.extend(
                    await self.inspector.arguments_async(
                        params, tool.inspect_options, root="?", schema=False, size=len(ctx.call.query)
                    )
                )
            if self.classifier is not None:  # the model, in a worker thread, within its budget
                found, passed = await self.classifier.findings(
                    self.inspector.strings(ctx.call.arguments), "request_arg"
                )
                ctx.findings.extend(found)
                if passed:
                    ctx.fail_open.append("classifier")
                    self.metrics.fail_open_calls.labels("classifier").inc()
            if tool.config.ssrf.resolve:
                strings = self.inspector.strings(ctx.call.arguments) + self.inspector.strings(params, "?")
                ctx.findings.extend(await resolved_findings(strings, tool.config.ssrf.resolve_timeout_s))
            dt = time.perf_counter() - t0
            ctx.timings["inspect_args"] = dt
            self.latency.observe(dt)
        await nxt(ctx)
