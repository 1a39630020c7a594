"""The request target of an HTTP tool call, in one canonical form.

What inspection and policy see is exactly what the upstream receives, and it stays
under the tool's base path whether or not any detector runs. The rules:

* The raw request target (as the agent sent it, before any router decoding) is split
  into path and query. A raw ``#`` or a target that is not origin-form is refused.
* The path is split on ``/`` and each segment is percent-decoded **once**, strictly:
  a malformed escape, bytes that are not UTF-8, a control character (``%00``, CR, LF,
  ...), an encoded ``/`` or ``\\`` (``%2F``, ``%5C``) or a raw ``\\``, and an escape that
  still decodes to an escape (``%252e``: double encoding) are all refused.
* A dot segment is refused, however it is spelled: ``.``/``..``, ``%2e%2e``, ``..;``
  (path parameters, as Tomcat reads them), fullwidth dots (NFKC), trailing dots or
  spaces (as Windows reads them). Nothing is resolved, so nothing can climb out.
* ``call.path`` is ``/`` + the decoded segments joined with ``/``; policy and detectors
  see that. The upstream gets each segment re-encoded: RFC 3986 unreserved characters
  and ``!$&'()*+,=:@`` stay literal, everything else — ``?``, ``#``, ``;``, ``%``,
  space, non-ASCII — is percent-encoded. So ``%3F`` stays data, never a query; ``%23``
  never truncates; ``%20`` never goes raw into the request line.
* The query is split on ``&``, each name and value decoded once (``+`` is a space, as
  ``parse_qs`` reads it), control characters refused, and re-encoded with only
  unreserved characters and ``!$'()*,:@/`` literal. ``call.query`` holds that canonical
  encoded string: the upstream receives it byte for byte, detectors parse it once.

Every refusal is 400 with a ``request.path_invalid`` or ``request.query_invalid`` code,
raised inside the pipeline so the call is recorded.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from gateway.errors import BadRequest

PATH_SAFE = "-._~!$&'()*+,=:@"
QUERY_SAFE = "-._~!$'()*,:@/"
_HEX = frozenset("0123456789abcdefABCDEF")


class PathInvalid(BadRequest):
    code = "request.path_invalid"
    title = "Invalid request path"


class QueryInvalid(BadRequest):
    code = "request.query_invalid"
    title = "Invalid query string"


def _has_control(text: str) -> bool:
    return any(c < " " or "\x7f" <= c <= "\x9f" for c in text)


def _unescape(raw: str, what: str, plus_is_space: bool, err: type[BadRequest]) -> str:
    """Strict single percent-decoding of ``raw``; the result must be UTF-8 without control characters."""
    if raw.isascii() and "%" not in raw and not (plus_is_space and "+" in raw):
        out = raw
    else:
        buf = bytearray()
        i, n = 0, len(raw)
        while i < n:
            c = raw[i]
            if c == "%":
                h = raw[i + 1 : i + 3]
                if len(h) != 2 or h[0] not in _HEX or h[1] not in _HEX:
                    raise err(f"{what} has a malformed percent escape near {raw[i : i + 3]!r}")
                buf.append(int(raw[i + 1 : i + 3], 16))
                i += 3
            elif c == "+" and plus_is_space:
                buf.append(0x20)
                i += 1
            else:
                buf.extend(c.encode("utf-8", errors="surrogateescape"))
                i += 1
        try:
            out = buf.decode("utf-8")
        except UnicodeDecodeError as e:
            raise err(f"{what} does not decode to UTF-8") from e
    if _has_control(out):
        raise err(f"{what} contains a control character (such as %00, CR or LF)")
    return out


def _is_dot_segment(segment: str) -> bool:
    name = unicodedata.normalize("NFKC", segment.split(";", 1)[0])
    return name != "" and name.rstrip(". ") == "" and "." in name


def decode_segment(raw: str) -> str:
    """One path segment, decoded once; refuses the ambiguous spellings listed in the module docstring."""
    if "\\" in raw:
        raise PathInvalid("the path contains a backslash, which some servers read as a separator")
    seg = _unescape(raw, "the path", plus_is_space=False, err=PathInvalid)
    if "/" in seg or "\\" in seg:
        raise PathInvalid("the path contains an encoded '/' or '\\' (%2F, %5C) inside a segment")
    if "%" in seg:
        at = seg.index("%")
        if seg[at + 1 : at + 2] in _HEX and seg[at + 2 : at + 3] in _HEX:
            raise PathInvalid("the path is percent-encoded twice (e.g. %252e); send it encoded once")
    if _is_dot_segment(seg):
        raise PathInvalid("the path contains a dot segment ('.', '..', %2e%2e, '..;'); send the resolved path")
    return seg


def split_target(raw_target: str) -> tuple[str, str]:
    """``(raw path, raw query)`` of an origin-form request target."""
    if not raw_target.startswith("/"):
        raise PathInvalid("the request target must be a path starting with '/'")
    if "#" in raw_target:
        raise PathInvalid("the request target contains a raw '#'")
    path, _, query = raw_target.partition("?")
    return path, query


def canonical_tail(raw_path: str, prefix_segments: int) -> tuple[list[str], str]:
    """Decode ``raw_path`` and return ``(the first prefix_segments decoded, "/" + the rest decoded)``."""
    parts = raw_path.split("/")[1:]  # a leading "" before the first "/"
    decoded = [decode_segment(p) for p in parts]
    head, tail = decoded[:prefix_segments], decoded[prefix_segments:]
    return head, "/" + "/".join(tail)


def encode_path(path: str) -> str:
    """Re-encode a canonical (decoded) path for the upstream, segment by segment."""
    segments = path.split("/")
    for seg in segments:
        if _is_dot_segment(seg) or "\\" in seg or _has_control(seg):
            # canonical_tail never produces these; a path from anywhere else is refused, not resolved
            raise PathInvalid("the path is not in canonical form")
    return "/".join(quote(seg, safe=PATH_SAFE) for seg in segments)


def canonical_query(raw_query: str) -> str:
    """The query decoded once and re-encoded canonically (empty parameters dropped)."""
    if not raw_query:
        return ""
    out: list[str] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, eq, value = part.partition("=")
        n = quote(_unescape(name, "a query parameter name", True, QueryInvalid), safe=QUERY_SAFE)
        if eq:
            out.append(n + "=" + quote(_unescape(value, f"query parameter {n!r}", True, QueryInvalid), safe=QUERY_SAFE))
        else:
            out.append(n)
    return "&".join(out)
