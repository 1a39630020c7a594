"""Build the configured policy backend (``policy.engine``) and open it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.config import PolicyConfig
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.engine import PolicyEngine
from gateway.policy.opa import OpaEngine


def build_engine(config: PolicyConfig, data: Mapping[str, Any]) -> PolicyEngine:
    """``embedded``: load ``paths`` now (raises ``PolicyLoadError``); ``opa``: a client, opened by ``start_engine``."""
    if config.engine == "opa":
        if config.opa is None:  # the config validator already refuses this
            raise ValueError("policy.engine 'opa' needs policy.opa")
        return OpaEngine(str(config.opa.url), data, timeout_s=config.opa.timeout_s, push_data=config.opa.push_data)
    return EmbeddedEngine.load(config.paths, data)


async def start_engine(engine: PolicyEngine) -> None:
    """Open what the backend needs an event loop for (OPA's HTTP session); a no-op for embedded."""
    if isinstance(engine, OpaEngine):
        await engine.start()
