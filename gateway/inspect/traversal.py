"""Path traversal: ``..`` segments in any encoding (percent, double percent, overlong
UTF-8, backslashes), sensitive absolute paths, and absolute paths outside the tool's
``allowed_roots``. OWASP LLM06 / ASI02.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from gateway.inspect.base import Hit, Target, excerpt, finding

NAME = "path_traversal"
OWASP = ("LLM06", "ASI02")

_DOTDOT = re.compile(r"(?:^|[/\\])\.\.(?:[/\\]|$)")
_SENSITIVE = re.compile(
    r"(?:^|[\s\"'=:])(?:/etc/(?:passwd|shadow|sudoers|ssh/|kubernetes/)|/proc/self/|/root/|/var/run/secrets/|"
    r"~/\.(?:ssh|aws|kube|docker|gnupg)/|[a-z]:\\windows\\system32|/\.env\b|\.git/config)"
)
_PATH_KEYS = re.compile(r"path|file|dir|folder|dest|source|src|target|location")


def decode(s: str) -> str:
    out = s
    for _ in range(3):
        nxt = unquote(out.replace("%c0%ae", ".").replace("%C0%AE", ".").replace("%c0%af", "/").replace("%C0%AF", "/"))
        if nxt == out:
            break
        out = nxt
    return out.replace("\\", "/")


def escapes(path: str) -> bool:
    """Whether a path with ``..`` can leave where it is resolved: a relative path whose
    normal form starts with ``..``, or any absolute one (``/srv/../etc``)."""
    p = path.strip()
    if p.startswith("/") or p.startswith("~") or (len(p) > 1 and p[1] == ":"):
        return True
    norm = posixpath.normpath(p)
    return norm == ".." or norm.startswith("../")


_SENSITIVE_TOKENS = ("/etc/", "/proc/self/", "/root/", "/var/run/secrets/", "~/.", "/.env", ".git/config")


class TraversalDetector:
    name = NAME

    def maybe(self, t: Target) -> bool:
        """Prefilter for a joined scan (``scan`` judges whole strings, so it cannot be one):
        every finding needs a "..", an escape, a backslash, a sensitive path, or a path-named
        field (``keyed``)."""
        if t.surface != "request_arg":
            return False
        low = t.raw.lower()
        return ".." in low or "%" in low or "\\" in low or any(tok in low for tok in _SENSITIVE_TOKENS)

    def keyed(self, key: str) -> bool:
        return _PATH_KEYS.search(key) is not None

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg":
            return []
        raw = t.raw
        if ".." not in raw and "%" not in raw and "/" not in raw and "\\" not in raw:
            return []
        s = decode(raw)
        m = _DOTDOT.search(s)
        # In prose ("what does ../ mean") a ".." is not a path; in a path-named field or a
        # string without spaces, it is.
        path_like = bool(_PATH_KEYS.search(t.key)) or " " not in s.strip()
        if m and path_like and "://" not in s[: m.start()] and escapes(s):
            return [Hit(finding(NAME, t, "dotdot", "high", OWASP, excerpt(s, 0, len(s), width=60), 0.9))]
        m2 = _SENSITIVE.search(s.lower())
        if m2:
            return [Hit(finding(NAME, t, "sensitive_path", "high", OWASP, excerpt(s, m2.start(), m2.end()), 0.9))]
        if t.allowed_roots and _PATH_KEYS.search(t.key) and s.startswith("/"):
            p = posixpath.normpath(s)
            if not any(p == r.rstrip("/") or p.startswith(r.rstrip("/") + "/") for r in t.allowed_roots):
                return [Hit(finding(NAME, t, "outside_allowed_roots", "high", OWASP, excerpt(s, 0, len(s)), 0.9))]
        return []
