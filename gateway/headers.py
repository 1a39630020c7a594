"""Header rules between agent, gateway and upstream, as sets built once at import.

* ``HOP_BY_HOP`` and whatever ``Connection`` names: never forwarded either way.
* ``AGENT_ONLY``: what the agent sends that the upstream never sees — its own
  credentials, framing the client recomputes, forwarding and client-address headers the
  gateway sets itself (``Forwarded``, ``X-Forwarded-*``, ``X-Real-IP``, ...), and the
  method/URL override headers (below).
* ``METHOD_OVERRIDE``: headers that make some servers or frameworks treat a call as
  another method or URL than the one inspected. The HTTP adapter refuses a call that
  carries one (400 ``request.header_refused``, recorded); filters drop them anyway.
* ``GATEWAY_PREFIX`` (``x-callgate-``): the gateway's own headers. An agent-sent one is
  dropped; the upstream receives only the gateway's.
* ``RESPONSE_DROP``: response headers the agent never sees from the upstream.

``Forwarded``/``X-Forwarded-Host`` name the configured ``server.public_host`` or, without
one, the address the gateway accepted the connection on — never the agent's ``Host``.
Values are quoted per RFC 7239 when they are not tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
METHOD_OVERRIDE = frozenset(
    {
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
        "x-original-method",
        "x-original-url",
        "x-original-uri",
        "x-rewrite-url",
        "x-override-url",
        "x-forwarded-path",
        "x-forwarded-prefix",
        "x-forwarded-uri",
        "x-envoy-original-path",
    }
)
CLIENT_ADDRESS = frozenset(
    {
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
        "x-forwarded-server",
        "x-forwarded-scheme",
        "x-forwarded-ssl",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "fastly-client-ip",
        "via",
        "x-host",
        "x-original-host",
        "x-forwarded-by",
    }
)
# Never passed on from the agent: its own credentials, framing we recompute, forwarding we set.
AGENT_ONLY = (
    frozenset({"authorization", "cookie", "host", "content-length", "expect"}) | CLIENT_ADDRESS | METHOD_OVERRIDE
)
GATEWAY_PREFIX = "x-callgate-"
RESPONSE_DROP = HOP_BY_HOP | {"content-length", "set-cookie", "server", "date"}

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def filter_headers(
    headers: Iterable[tuple[str, str]], extra_drop: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """Drop hop-by-hop headers, those named in ``Connection``, the gateway's own
    (``X-Callgate-*``), and ``extra_drop`` (lower-case names)."""
    pairs = list(headers)
    named: set[str] = set()
    for k, v in pairs:
        if k.lower() == "connection":
            named.update(t.strip().lower() for t in v.split(","))
    return [
        (k, v)
        for k, v in pairs
        if (lk := k.lower()) not in HOP_BY_HOP
        and lk not in extra_drop
        and not lk.startswith(GATEWAY_PREFIX)
        and lk not in named
    ]


def rfc7239_value(value: str) -> str:
    """A ``Forwarded`` parameter value: the token as is, anything else as a quoted-string."""
    if _TOKEN.fullmatch(value):
        return value
    escaped = "".join("\\" + c if c in '"\\' else c for c in value if c >= " " and c != "\x7f")
    return f'"{escaped}"'


def forwarded(peer: str, proto: str, host: str) -> list[tuple[str, str]]:
    """``Forwarded`` and the ``X-Forwarded-*`` headers for one hop; ``host`` is never the agent's."""
    for_value = f"[{peer}]" if ":" in peer else peer
    return [
        ("Forwarded", f"for={rfc7239_value(for_value)};proto={rfc7239_value(proto)};host={rfc7239_value(host)}"),
        ("X-Forwarded-For", peer),
        ("X-Forwarded-Proto", proto),
        ("X-Forwarded-Host", host),
    ]
