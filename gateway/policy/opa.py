"""The OPA backend: decisions asked of an OPA server over its Data API.

``OpaEngine(url, data, timeout_s=...)`` speaks the same ``PolicyEngine`` protocol as
the embedded engine, with the same ``.rego`` files loaded into OPA::

    await engine.start()      # opens one aiohttp session; pushes data.gateway
    await engine.evaluate("data.callgate.decision", input_doc)
        # POST {url}/v1/data/callgate/decision?provenance=true  {"input": ...}
    await engine.close()

- A response without ``result`` is *undefined*: ``None`` (the pipeline denies).
- A non-2xx answer, a timeout (``timeout_s`` covers the whole request), a
  connection error or a body that is not a JSON object raise ``PolicyError``: the
  call is denied 503 ``policy.unavailable``. There are no retries: a decision that
  cannot be had within ``timeout_s`` is an unavailable decision.
- ``data.gateway`` (agents and tools from the configuration) is what the Rego reads
  besides ``input``. With ``push_data`` it is PUT to ``{url}/v1/data/gateway`` at
  start and, if that failed, again before the next evaluation (which fails with
  ``PolicyError`` until it succeeds). Without it OPA must already hold it (e.g. in
  a bundle).
- ``revision`` is taken from the provenance OPA returns with every decision
  (``provenance=true``): ``opa:<bundle>@<revision>`` for each activated bundle, or
  ``opa:<OPA version>`` when OPA serves plain files (``opa run --server policies/``)
  and so has no bundle revision. Before the first answer it is ``opa:unknown``.

Why not ``opa-python-client``: its async client (3.0.0) retries connection errors and
502/503/504 with a back-off sleep, so one decision can take several times its
timeout; it addresses OPA by host and port only (no path prefix behind a proxy); it
has no way to ask for provenance with a typed answer; and it is untyped (this
package is ``mypy --strict``). A ~100-line client over aiohttp, which the gateway
already uses, keeps the time budget exact.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from gateway import jsondoc
from gateway.body import TooLarge, read_capped
from gateway.policy.engine import PolicyError

# A decision is a small document; an answer past this is refused (the call fails closed,
# 503 policy.unavailable) rather than read into memory.
MAX_ANSWER_BYTES = 1 << 20

_RULE = re.compile(r"^data(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def rule_path(rule: str) -> str:
    """``data.callgate.decision`` → ``callgate/decision`` (the Data API path below ``/v1/data/``)."""
    if not _RULE.match(rule):
        raise PolicyError(f"cannot ask OPA for {rule!r}: expected a dotted rule name like data.callgate.decision")
    return "/".join(rule.split(".")[1:])


def revision_of(provenance: Any) -> str | None:
    if not isinstance(provenance, Mapping):
        return None
    bundles = provenance.get("bundles")
    if isinstance(bundles, Mapping) and bundles:
        parts = []
        for name in sorted(bundles):
            rev = bundles[name].get("revision") if isinstance(bundles[name], Mapping) else None
            parts.append(f"{name}@{rev if rev else '-'}")
        return "opa:" + ",".join(parts)
    version = provenance.get("version")
    return f"opa:{version}" if isinstance(version, str) and version else None


class OpaEngine:
    """A ``PolicyEngine`` backed by an OPA server; one ``ClientSession`` from ``start`` to ``close``."""

    def __init__(
        self,
        url: str,
        data: Mapping[str, Any],
        *,
        timeout_s: float = 0.5,
        push_data: bool = True,
        on_revision: Callable[[str, str], None] | None = None,
    ) -> None:
        """``on_revision(old, new)`` is called when OPA reports a different revision."""
        self.url = url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._data = dict(data)
        self._push = push_data
        self._pushed = not push_data
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._revision = "opa:unknown"
        self._on_revision = on_revision

    @property
    def ready(self) -> bool:
        """``data.gateway`` has reached OPA: until then every decision is a 503."""
        return self._pushed and self._session is not None

    @property
    def revision(self) -> str:
        return self._revision

    async def start(self) -> None:
        """Open the session and push ``data.gateway``; a failed push is retried on the next evaluation."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        if not self._pushed:
            with contextlib.suppress(PolicyError):
                await self.push_data()

    async def push_data(self) -> None:
        session = self._need_session()
        for key, value in self._data.items():
            url = f"{self.url}/v1/data/{key}"
            try:
                async with session.put(url, json=value) as resp:
                    if resp.status // 100 != 2:
                        text = await error_text(resp)
                        raise PolicyError(f"OPA refused data.{key}: HTTP {resp.status} {text}")
            except (aiohttp.ClientError, TimeoutError) as e:
                raise PolicyError(f"cannot push data.{key} to OPA at {self.url}: {_describe(e)}") from e
        self._pushed = True

    def _need_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise PolicyError("the policy engine is closed")
        if self._session is None:
            raise PolicyError("the OPA engine was not started")
        return self._session

    async def evaluate(self, rule: str, input_doc: Mapping[str, Any]) -> Any:
        session = self._need_session()
        if not self._pushed:
            await self.push_data()
        url = f"{self.url}/v1/data/{rule_path(rule)}"
        try:
            body = json.dumps({"input": input_doc}, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as e:
            raise PolicyError(f"policy input is not JSON: {e}") from e
        try:
            async with session.post(
                url,
                params={"provenance": "true"},
                data=body.encode(),
                headers={"Content-Type": "application/json"},
            ) as resp:
                if resp.status // 100 != 2:
                    text = await error_text(resp)
                    raise PolicyError(f"OPA answered HTTP {resp.status} for {rule}: {text}")
                raw = await read_capped(resp.content, MAX_ANSWER_BYTES)
        except TooLarge as e:
            raise PolicyError(f"OPA's answer for {rule} exceeds {MAX_ANSWER_BYTES} bytes") from e
        except (aiohttp.ClientError, TimeoutError) as e:
            raise PolicyError(f"OPA at {self.url} did not answer for {rule}: {_describe(e)}") from e
        try:
            doc = jsondoc.loads(raw)
        except ValueError as e:
            raise PolicyError(f"OPA's answer for {rule} is not JSON: {e}") from e
        if not isinstance(doc, dict):
            raise PolicyError(f"OPA's answer for {rule} is not a JSON object")
        rev = revision_of(doc.get("provenance"))
        if rev is not None and rev != self._revision:
            old, self._revision = self._revision, rev
            if self._on_revision is not None:
                self._on_revision(old, rev)
        return doc.get("result")

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None


async def error_text(resp: aiohttp.ClientResponse) -> str:
    """The first 200 bytes of an error answer, for the message (the rest is not read)."""
    return (await read_capped(resp.content, 200, truncate=True)).decode("utf-8", errors="replace")


def _describe(e: BaseException) -> str:
    if isinstance(e, TimeoutError):
        return "timed out"
    return str(e) or type(e).__name__
