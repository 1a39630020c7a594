"""The interface every policy backend implements.

A backend loads Rego (and data) once and evaluates one rule per call::

    engine.revision                                   # identifies what is loaded
    await engine.evaluate("data.callgate.decision", input_doc)   # JSON value, or None
    await engine.close()

Backends: ``gateway.policy.embedded.EmbeddedEngine`` (regorus, in process) and
``gateway.policy.opa.OpaEngine`` (an OPA server over HTTP, same ``.rego`` files);
``gateway.policy.backends`` picks one from ``policy.engine``.

Errors::

    PolicyLoadError   loading failed; the message starts with ``file:line``
    PolicyError       one evaluation failed (engine error or panic, unusable input,
                      wrong thread, closed engine); the pipeline answers 503
                      ``policy.unavailable``

An *undefined* result (the rule exists but has no value for this input, or no such
rule is loaded) is not an error: ``evaluate`` returns ``None``, as OPA's REST API
returns no ``result``. The pipeline denies on ``None``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger("callgate.policy")
_LOGGED: dict[str, None] = {}  # insertion-ordered set of messages already logged, bounded below
_LOGGED_MAX = 256


def log_policy_error_once(where: str, err: BaseException) -> None:
    """Log a policy evaluation error the first time its message is seen (a rule that fails
    at run time fails on every call: one line, not one per call). Callers count it."""
    key = f"{where}: {type(err).__name__}: {err}"
    if key in _LOGGED:
        return
    if len(_LOGGED) >= _LOGGED_MAX:
        _LOGGED.pop(next(iter(_LOGGED)))
    _LOGGED[key] = None
    log.error("policy error while %s (logged once; counted in callgate_policy_errors_total): %s", where, err)


class PolicyError(Exception):
    """An evaluation failed; the call cannot be decided."""


class PolicyLoadError(Exception):
    """Policies or data could not be loaded; ``file`` and ``line`` locate the problem when known."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.file = file
        self.line = line
        super().__init__(message)


@runtime_checkable
class PolicyEngine(Protocol):
    @property
    def revision(self) -> str:
        """Identifies the loaded policies and data, e.g. ``sha256:0123456789abcdef``."""
        ...

    @property
    def ready(self) -> bool:
        """Whether decisions can be made now (for ``/readyz``)."""
        ...

    async def evaluate(self, rule: str, input_doc: Mapping[str, Any]) -> Any:
        """The JSON value of ``rule`` (e.g. ``data.callgate.decision``); ``None`` when undefined."""
        ...

    async def close(self) -> None: ...
