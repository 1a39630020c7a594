"""The one error tree of callgate.

Every way a tool call can end early is an exception here; each carries the HTTP
``status`` it maps to and a stable dotted ``code`` that agents can act on. One
place turns them into responses per protocol (``gateway.adapters.http.render_error``
for problem+json, the MCP adapter for JSON-RPC errors).

    GatewayError                       (500 internal.error)
    ├── BadRequest                     (400 request.malformed, request.invalid_json, request.too_deep,
    │                                        request.header_refused, ...)
    │   ├── PathInvalid                (400 request.path_invalid; gateway/target.py)
    │   └── QueryInvalid               (400 request.query_invalid; gateway/target.py)
    ├── PayloadTooLarge                (413 request.too_large)
    ├── Unauthenticated                (401 auth.*)
    ├── Forbidden                      (403 policy.denied, scope.missing, ...)
    │   └── ApprovalRefused            (403 approval.mismatch, approval.denied, approval.expired, ...)
    ├── NotFound                       (404 tool.unknown)
    ├── MethodNotAllowed               (405 request.method)
    ├── RequestTimeout                 (408 request.body_timeout)
    ├── Conflict                       (409 idempotency.in_flight)
    ├── Unprocessable                  (422 idempotency.key_mismatch)
    ├── TooManyRequests                (429 rate.limited, quota.exhausted)
    ├── ApprovalPending                (202 approval.pending; ``meta`` = approval + how to retry)
    ├── Unavailable                    (503 killswitch.engaged, policy.unavailable,
    │                                        audit.unavailable, store.unavailable)
    ├── UpstreamError                  (502 upstream.unreachable, output.blocked)
    └── UpstreamTimeout                (504 upstream.timeout)

``ConfigError`` is separate: it is raised at start-up, never during a call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class Reason(dict[str, Any]):
    """A machine-readable reason: ``{"code", "message", "owasp"?}``."""

    @classmethod
    def of(cls, code: str, message: str, owasp: Sequence[str] = ()) -> Reason:
        r = cls(code=code, message=message)
        if owasp:
            r["owasp"] = list(owasp)
        return r


class GatewayError(Exception):
    status = 500
    code = "internal.error"
    title = "Internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        reasons: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message or self.title
        if code is not None:
            self.code = code
        self.reasons: list[dict[str, Any]] = [dict(r) for r in reasons] or [dict(Reason.of(self.code, self.message))]
        self.headers: dict[str, str] = dict(headers or {})
        self.extra: dict[str, Any] = dict(extra or {})
        super().__init__(self.message)


class BadRequest(GatewayError):
    status = 400
    code = "request.malformed"
    title = "Malformed request"


class PayloadTooLarge(GatewayError):
    status = 413
    code = "request.too_large"
    title = "Request body too large"


class Unauthenticated(GatewayError):
    status = 401
    code = "auth.missing"
    title = "Authentication required"

    def __init__(self, message: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        # RFC 6750: a 401 names the scheme; a token that was sent but refused is invalid_token.
        if "WWW-Authenticate" not in self.headers:
            challenge = 'Bearer realm="callgate"'
            if self.code != "auth.missing":
                challenge += ', error="invalid_token"'
            self.headers["WWW-Authenticate"] = challenge


class Forbidden(GatewayError):
    status = 403
    code = "policy.denied"
    title = "Denied by policy"


class ApprovalRefused(Forbidden):
    code = "approval.mismatch"
    title = "Approval does not cover this call"


class NotFound(GatewayError):
    status = 404
    code = "tool.unknown"
    title = "Unknown tool"


class MethodNotAllowed(GatewayError):
    status = 405
    code = "request.method"
    title = "Method not allowed"


class RequestTimeout(GatewayError):
    status = 408
    code = "request.body_timeout"
    title = "Request body not received in time"


class Conflict(GatewayError):
    status = 409
    code = "idempotency.in_flight"
    title = "Conflict"


class Unprocessable(GatewayError):
    status = 422
    code = "idempotency.key_mismatch"
    title = "Unprocessable request"


class TooManyRequests(GatewayError):
    status = 429
    code = "rate.limited"
    title = "Too many requests"


class ApprovalPending(GatewayError):
    """The call is held until people approve it. Not a failure: HTTP answers 202.

    ``meta`` is what an MCP refusal carries under ``_meta.callgate`` besides
    ``{code, reasons, call_id}``: the approval (id, expires_at, location) and how to
    retry, so a model reading the tool result can act on it.
    """

    status = 202
    code = "approval.pending"
    title = "Approval pending"

    def __init__(self, message: str, *, approval: Mapping[str, Any], retry: str, **kw: Any) -> None:
        self.meta: dict[str, Any] = {"approval": dict(approval), "retry": retry}
        extra = {**(kw.pop("extra", None) or {}), **self.meta}  # rendered into MCP's _meta.callgate
        super().__init__(message, extra=extra, **kw)


class Unavailable(GatewayError):
    status = 503
    code = "service.unavailable"
    title = "Service unavailable"


class UpstreamError(GatewayError):
    status = 502
    code = "upstream.unreachable"
    title = "Bad gateway"


class UpstreamTimeout(GatewayError):
    status = 504
    code = "upstream.timeout"
    title = "Upstream timed out"


class ConfigError(Exception):
    """Configuration is invalid; ``errors`` lists ``(location, message)`` pairs."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(f"{loc}: {msg}" for loc, msg in self.errors))
