"""Build the configured policy backend (``policy.engine``) and open it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from gateway.config import PolicyConfig
from gateway.metrics import Metrics
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.engine import PolicyEngine
from gateway.policy.opa import OpaEngine


def build_engine(config: PolicyConfig, data: Mapping[str, Any], metrics: Metrics | None = None) -> PolicyEngine:
    """``embedded``: load ``paths`` now (raises ``PolicyLoadError``); ``opa``: a client, opened by ``start_engine``."""
    if config.engine == "opa":
        if config.opa is None:  # the config validator already refuses this
            raise ValueError("policy.engine 'opa' needs policy.opa")
        return OpaEngine(
            str(config.opa.url),
            data,
            timeout_s=config.opa.timeout_s,
            push_data=config.opa.push_data,
            on_revision=_revision_gauge(metrics) if metrics is not None else None,
        )
    return EmbeddedEngine.load(config.paths, data)


def _revision_gauge(metrics: Metrics) -> Callable[[str, str], None]:
    """Keep ``callgate_policy_revision_info`` on the revision OPA last reported."""

    def changed(old: str, new: str) -> None:
        with contextlib.suppress(KeyError):
            metrics.policy_revision.remove(old)
        metrics.policy_revision.labels(new).set(1)

    return changed


async def start_engine(engine: PolicyEngine) -> None:
    """Open what the backend needs an event loop for (OPA's HTTP session); a no-op for embedded."""
    if isinstance(engine, OpaEngine):
        await engine.start()
