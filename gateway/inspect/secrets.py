"""Secrets: cloud keys, vendor tokens, JWTs, private keys, passwords in URLs, and
high-entropy values in secret-named fields. OWASP LLM02 (sensitive information disclosure).

Scans the raw text (secrets are ASCII) so spans can be redacted in place. Evidence
keeps only the first four characters.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Target, excerpt, finding

NAME = "secrets"
OWASP = ("LLM02",)

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,250}")),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}\b")),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|ant-api\d\d-)?[A-Za-z0-9_-]{20,200}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,8000}\.[A-Za-z0-9_-]{8,2000}")),
    ("private_key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")),
    (
        "secret_assignment",
        re.compile(
            r"[\"']?\b(?:password|passwd|pwd|secret|api_?key|access_?key|secret_?key|auth_?token|access_?token|"
            r"client_?secret|private_?key)[\"']?\s?[:=]\s?[\"']([^\"'\s]{8,200})[\"']",
            re.I,
        ),
    ),
]
# Per rule: substrings one of which every match contains (None: test the lower-cased text).
_TOKENS: dict[str, tuple[str, ...]] = {
    "aws_access_key": ("AKIA", "ASIA", "ABIA", "ACCA"),
    "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "slack_token": ("xox",),
    "stripe_key": ("_live_", "_test_"),
    "openai_key": ("sk-",),
    "google_api_key": ("AIza",),
    "jwt": ("eyJ",),
    "private_key": ("PRIVATE KEY",),
}
_USERINFO = re.compile(r"[^/\s:@\"']{1,64}:([^/\s@\"']{3,128})@")  # matched right after "://"
_LOWER_TOKENS = ("pass", "pwd", "secret", "key", "token")
_SECRET_KEY = re.compile(r"pass(?:word|wd)?|secret|token|api.?key|access.?key|private.?key|credential|pwd")
_PEM_END = re.compile(r"-----END [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----")


# user:password pairs and hosts of documentation examples, not credentials.
_PLACEHOLDER_PASSWORDS = frozenset(
    {"tiger", "pass", "password", "passwd", "pwd", "secret", "changeme", "change_me", "example", "test", "testing",
     "foo", "bar", "baz", "xxx", "xxxx", "yyy", "mypassword", "yourpassword", "your_password", "my_password", "pw",
     "p@ssw0rd", "password123", "s3cret", "hunter2", "letmein", "admin", "guest", "user", "root", "postgres",
     "mysql", "redis", "rabbitmq", "sa", "dbpass", "dbpassword", "pa55word", "12345", "123456", "abc123", "qwerty",
     "topsecret", "mysecretpassword", "secretpassword"}
)  # fmt: skip
_EXAMPLE_HOST = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)(?::\d{1,5})?(?:[/?#]|$)"
)


def _placeholder_credentials(raw: str, u: re.Match[str]) -> bool:
    pw = u.group(1)
    low = pw.lower()
    if low.startswith(("${", "{", "<", "$", "*", "%s", "%(", "password", "[")) or low in _PLACEHOLDER_PASSWORDS:
        return True
    if len(set(low)) <= 2:  # "xxxxxx", "******"
        return True
    host = raw[u.end() : u.end() + 256].split("/", 1)[0]
    return _EXAMPLE_HOST.match(host.lower()) is not None and entropy(pw) < 3.5


def entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def _plausible(value: str) -> bool:
    return len(value) >= 8 and entropy(value) >= 3.0 and not value.lower().startswith(("<", "${", "{{", "redacted"))


# Tokens that are not credentials: pagination cursors and idempotency keys (AWS's NextToken,
# ClientRequestToken, Google's pageToken), and counts (max_tokens).
_NOT_SECRET_KEY = re.compile(
    r"(?:next|page|pagination|continuation|starting|resume|sync|cursor|client|client_?request|request|idempotency)"
    r"_?token|tokens?_?(?:count|type|limit|usage)|max_?tokens"
)
# Words no generated secret holds but every example, test and placeholder value does
# ("password123", "mysecretpassthatsverylong", "unique-token", "mock_certificate").
_PLACEHOLDER_WORDS = re.compile(
    r"pass(?:word|wd)|secret|token|example|dummy|mock|fake|sample|placeholder|changeme|hunter2|test|redacted", re.I
)


def _secret_named(key: str) -> bool:
    """Strings in secret-named fields are judged on their own (entropy), not by pattern."""
    return _SECRET_KEY.search(key) is not None and _NOT_SECRET_KEY.search(key) is None


def _placeholder_value(value: str) -> bool:
    return value.lower() in _PLACEHOLDER_PASSWORDS or _PLACEHOLDER_WORDS.search(value) is not None


class SecretsDetector:
    name = NAME
    # Every hit carries its span in the raw text. Anchors: each rule's tokens, the lower-case
    # ones of ``secret_assignment``, "://" of url_password (secret_field judges the field
    # name: ``keyed``).
    traits = DetectorTraits(
        spans_raw=True,
        keyed=_secret_named,
        anchors=Anchors(raw=(*(t for toks in _TOKENS.values() for t in toks), "://"), lower=_LOWER_TOKENS),
    )

    def scan(self, t: Target) -> list[Hit]:
        raw = t.raw
        hits: list[Hit] = []
        lower: str | None = None
        for kind, rx in _RULES:
            toks = _TOKENS.get(kind)
            if toks is not None:
                if not any(tok in raw for tok in toks):
                    continue
            else:
                lower = raw.lower() if lower is None else lower
                if not any(tok in lower for tok in _LOWER_TOKENS):
                    continue
            for m in rx.finditer(raw):
                start, end = m.span()
                if kind == "private_key":
                    e = _PEM_END.search(raw, end)
                    if e:
                        end = e.end()
                    else:  # no END line: up to the end of the JSON string or paragraph
                        stops = [x for x in (raw.find('"', end), raw.find("\n\n", end)) if x != -1]
                        end = min(stops) if stops else len(raw)
                elif kind == "secret_assignment":
                    start, end = m.span(1)
                    if not _plausible(m.group(1)):
                        continue
                hits.append(
                    Hit(
                        finding(NAME, t, kind, "high", OWASP, excerpt(raw, start, end, redact=True), 0.9),
                        (start, end),
                    )
                )
        i = raw.find("://")
        while i != -1:  # passwords in URLs: user:password@ right after a scheme
            u = _USERINFO.match(raw, i + 3)
            if u and not _placeholder_credentials(raw, u):
                start, end = u.span(1)
                ev = excerpt(raw, start, end, redact=True)
                hits.append(Hit(finding(NAME, t, "url_password", "high", OWASP, ev, 0.9), (start, end)))
            i = raw.find("://", i + 3)
        if (
            not hits
            and t.key
            and _secret_named(t.key)
            and _plausible(raw)
            and len(raw) <= 512
            and " " not in raw
            and not _placeholder_value(raw)
        ):
            hits.append(
                Hit(
                    finding(NAME, t, "secret_field", "high", OWASP, excerpt(raw, 0, len(raw), redact=True), 0.7),
                    (0, len(raw)),
                )
            )
        return hits
