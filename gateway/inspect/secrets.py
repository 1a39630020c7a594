"""Secrets: cloud keys, vendor tokens (GitHub, GitLab, Slack, Stripe, OpenAI, Google, npm, PyPI,
SendGrid, Hugging Face, Azure storage, Telegram, DigitalOcean, Shopify), JWTs, private keys,
passwords in URLs, HTTP Basic and opaque Bearer credentials, values given to a secret's name in
text (``export AWS_SECRET_ACCESS_KEY=...``, ``client_secret: ...``, connection strings: see
``assignments``), and high-entropy values in secret-named fields. OWASP LLM02 (sensitive
information disclosure).

Scans the raw text (secrets are ASCII) so spans can be redacted in place. Evidence
keeps only the first four characters.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import re
from collections import Counter

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Target, excerpt, finding
from gateway.inspect.prefilter import PatternGate

NAME = "secrets"
OWASP = ("LLM02",)

# Entra ID (Azure AD) client secrets: three characters, a digit, "Q~", 31-34 more
_AZURE_AD_SECRET = re.compile(r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])")
# a private key's DER in bare base64 (no PEM armour): a SEQUENCE whose first element is the INTEGER
# version 0 (PKCS#1 RSA, PKCS#8) or 1 (SEC1 EC), with a two-byte (MII...IBA), one-byte (MIG/MIH...AgE)
# or short length (M..CAQEE: SEC1 P-256, secp256k1; M..CAQAw: PKCS#8 Ed25519); certificates and
# public keys start with a SEQUENCE instead
_DER_PRIVATE_KEY = re.compile(
    r"\b(?:MII[A-Za-z0-9+/]{3}IBA[AD]|MI[GH][A-Za-z0-9+/]AgE[AB]|M[A-Za-z0-9+/]{2}CAQ(?:EE|Aw))[A-Za-z0-9+/]{40,8000}+={0,2}"
)
_GITLAB_PREFIXES = ("glpat-", "gloas-", "gldt-", "glrt-", "glcbt-", "glptt-", "glft-", "glimt-", "glagent-", "glsoat-",
                    "glffct-", "glwt-")  # fmt: skip

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,250}")),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}\b")),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|ant-api\d\d-)?[A-Za-z0-9_-]{20,200}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,8000}\.[A-Za-z0-9_-]{8,2000}")),
    ("private_key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")),
    ("slack_webhook", re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,200}")),
    ("npm_token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("gitlab_token", re.compile(r"\b(?:" + "|".join(map(re.escape, _GITLAB_PREFIXES)) + r")[A-Za-z0-9_-]{20,64}\b")),
    ("sendgrid_key", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    ("huggingface_token", re.compile(r"\bhf_[A-Za-z]{34}\b")),
    ("pypi_token", re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,500}")),
    ("azure_storage_key", re.compile(r"AccountKey=[A-Za-z0-9+/]{86}==")),
    # (also right after "bot", as in https://api.telegram.org/bot<token>/sendMessage)
    ("telegram_bot_token", re.compile(r"(?:\b|(?<=bot))\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])")),
    # HashiCorp Vault service, batch and recovery tokens (Vault 1.10+)
    ("vault_token", re.compile(r"\bhv[sbr]\.[A-Za-z0-9_-]{90,400}+(?![A-Za-z0-9_-])")),
    ("digitalocean_token", re.compile(r"\bdo[por]_v1_[a-f0-9]{64}\b")),
    ("shopify_token", re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b")),
    ("azure_ad_client_secret", _AZURE_AD_SECRET),
    ("private_key_der", _DER_PRIVATE_KEY),
    ("http_basic_auth", re.compile(r"\bBasic[ \t]{1,3}([A-Za-z0-9+/]{8,400}+={0,2}+)(?![A-Za-z0-9+/=])")),
    ("http_bearer_token", re.compile(r"\bBearer[ \t]{1,3}([A-Za-z0-9._~+/-]{20,4096}+={0,2}+)(?![A-Za-z0-9._~+/=-])")),
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
    "slack_webhook": ("hooks.slack.com/",),
    "npm_token": ("npm_",),
    "gitlab_token": _GITLAB_PREFIXES,
    "sendgrid_key": ("SG.",),
    "huggingface_token": ("hf_",),
    "pypi_token": ("pypi-AgEIcHlwaS5vcmc",),
    "azure_storage_key": ("AccountKey=",),
    "telegram_bot_token": (":AA",),
    "vault_token": ("hvs.", "hvb.", "hvr."),
    "digitalocean_token": ("dop_v1_", "doo_v1_", "dor_v1_"),
    "shopify_token": ("shpat_", "shpca_", "shppa_", "shpss_"),
    "azure_ad_client_secret": ("Q~",),
    "private_key_der": ("IBAA", "IBAD", "AgEA", "AgEB", "CAQEE", "CAQAw"),
    "http_basic_auth": ("Basic",),
    "http_bearer_token": ("Bearer",),
}
_LOWER_TOKENS = ("pass", "pwd", "secret", "key", "token", "cred", "auth")
# One Hyperscan pass over ASCII text says which rules' tokens are there (the lower-case ones
# ignoring case: on ASCII text that is ``tok in raw.lower()``), instead of ~30 ``in`` scans of
# the whole text (~13 µs per KiB when none is there, as in most texts).
_RULE_GATE = PatternGate(
    [
        *(re.compile("|".join(re.escape(tok) for tok in toks)) for toks in _TOKENS.values()),
        re.compile("|".join(re.escape(tok) for tok in _LOWER_TOKENS), re.I),
    ]
)
_GATED_RULES = [*_TOKENS, "secret_assignment"]
_USERINFO = re.compile(r"[^/\s:@\"']{1,64}:([^/\s@\"']{3,128})@")  # matched right after "://"
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


# ---------------------------------------------------------------- values given to a secret's name
# ``NAME = value``, ``"name": "value"``, ``name: value``, ``export NAME=value``, ``-password value``
# is not one: a name is an identifier holding a secret word (``aws_secret_access_key``,
# ``DB_PASSWORD``, ``clientSecret``, ``AccountKey``) and no word that makes it about a secret
# rather than the secret (``password_policy``, ``token_count``, ``next_token``, ``public_key``).
# Found from each secret word (no regex scans an identifier run), the name widened by hand to its
# identifier's edges (bounded), the value read right after it. A value counts when it looks
# generated: 8+ characters, entropy >= 3, two character classes, and no placeholder, template,
# variable, call, attribute path or example word (``os.environ["X"]``, ``${DB_PASS}``,
# ``<your-token>``, ``self.password``, ``changeme``).
_ASSIGN_WORD = re.compile(r"pass(?:word|wd|phrase)?|pwd|secret|token|auth|creds|api[_.-]?key|access[_.-]?key|"
                          r"private[_.-]?key|account[_.-]?key|signing[_.-]?key|master[_.-]?key|"
                          r"credential", re.I)  # fmt: skip
_IDENT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_NAME_WORDS = re.compile(r"[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")
# the words a secret's name holds (after splitting on case and separators)
_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "pwd", "pass", "secret", "secrets", "token", "apikey",
                           "credential", "credentials", "creds", "pw", "psk"})  # fmt: skip
_SECRET_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"), ("account", "key"),
                           ("signing", "key"), ("master", "key"), ("secret", "key"), ("client", "secret"),
                           ("auth", "token"), ("access", "token"), ("refresh", "token"), ("bot", "token")})  # fmt: skip
# a name about the secret, not holding it
_NOT_SECRET_WORDS = frozenset({
    "next", "page", "pagination", "continuation", "cursor", "request", "idempotency", "count", "counts", "type",
    "types", "limit", "limits", "usage", "max", "min", "name", "names", "id", "ids", "arn", "length", "len", "policy",
    "policies", "url", "uri", "endpoint", "file", "path", "dir", "hash", "hashed", "digest", "expiry", "expires",
    "expiration", "expire", "expired", "ttl", "public", "pub", "version", "format", "field", "fields", "header",
    "prompt", "label", "reset", "hint", "required", "strength", "changed", "change", "rotation", "created", "updated",
    "enabled", "disabled", "manager", "store", "ref", "env", "var", "placeholder", "example", "sample", "dummy",
    "fake", "test", "mock", "input", "encrypted", "encoding", "provider", "source", "location", "lifetime",
    "generator", "validator", "regex", "pattern", "prefix", "suffix", "size", "bits", "algorithm", "alg", "method",
    "mode", "kind", "class", "schema", "template", "doc", "docs", "help", "description", "display", "title",
    "mask", "masked", "hidden", "show", "confirm", "confirmation", "old", "forgot", "forgotten", "login",
    "filename", "at", "encryption", "encrypt", "csrf", "xsrf",
    "cipher", "scheme", "authentication", "complexity", "rules", "rule", "reuse", "history",
})  # fmt: skip
_ASSIGN_VALUE = re.compile(  # (possessive: a value that runs on past 200 characters fails at once)
    r"[\"']?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}"
    r"(?:([\"'])([^\"'\\\s]{8,200}+)\1|([^\s\"'`,;&(){}\[\]<>|]{8,200}+)(?![^\s\"'`,;&(){}\[\]<>|]))"
)
# ``("api_token", "dafa7817-...")``: a quoted name, a comma, a quoted value (a call's arguments:
# ``GetEnvOrDefault``, ``config.set``, ``headers.put``); the value must be quoted
_ARG_VALUE = re.compile(r"([\"'])[ \t]{0,3},[ \t]{0,3}([\"'])([^\"'\\\s]{8,200}+)\2")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# a version (``jjwt-jackson-0.11.2``) or an address (``10.0.0.12``) given to a name: not generated
_VERSIONED = re.compile(r"\d\.\d{1,6}\.\d")
_VALUE_PLACEHOLDERS = re.compile(r"x{4}|\*\*\*|\.\.\.|your|replace|insert|enter|redact|none|null|undefined|"
                                 r"todo|fixme|here|sample|example|dummy|fake|mock|test|changeme", re.I)  # fmt: skip


# a word ending in one of these names a secret too: PGPASSWORD, APITOKEN, DBSECRET
_SECRET_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials",
                   "creds")  # fmt: skip


def _secret_name(name: str) -> bool:
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if not words or len(words) > 8 or any(w in _NOT_SECRET_WORDS for w in words):
        return False
    if any(w in _SECRET_WORDS or w.endswith(_SECRET_ENDINGS) for w in words):
        return True
    if words[-1] == "auth":
        return True  # user_auth, _auth (.npmrc), "auth" (Docker's config.json); auth_server is about it
    return any(p in _SECRET_PAIRS for p in itertools.pairwise(words))


def _class(c: str) -> int:
    return 0 if c.isdigit() else 1 if c.isupper() else 2


def _generated_part(part: str) -> bool:
    """A dotted value's segment that is no name: 16+ letters and digits switching between digit, capital
    and small letter at least every second character (Vault's ``s.ZC9Ecf4M5g9o34Q6RkzGsj0z``; not
    ``settings.API_KEY`` nor a method such as ``obj.computeHmacSha256Digest``)."""
    if len(part) < 16 or not part.isascii() or not part.isalnum():
        return False
    changes = sum(_class(a) != _class(b) for a, b in itertools.pairwise(part))
    return 2 * changes >= len(part)


def _generated(value: str) -> bool:
    """Does ``value`` look like a generated secret rather than a placeholder or a reference?"""
    if len(value) < 8 or value.isdigit() or entropy(value) < 3.0:
        return False
    if value[0] in "${<@*#/~.?" or "${" in value or "{{" in value or "://" in value:
        return False
    if _VERSIONED.search(value):
        return False  # io.jsonwebtoken:jjwt-jackson-0.11.2, host: 10.0.0.12
    if value[0] == "!" and value[1:].isalpha():
        return False  # a YAML tag: !vault, !Ref
    if value.startswith("%(") or (value[0] == "%" and value.endswith("%")):
        return False  # %(name)s, %DB_PASSWORD%
    if "." in value and all(_IDENTIFIER.fullmatch(p) and not _generated_part(p) for p in value.split(".")):
        return False  # settings.api_key, process.env.TRELLO_API_KEY: where the value is, not the value
    if _IDENTIFIER.fullmatch(value) and not (any(c.isdigit() for c in value) and any(c.isupper() for c in value)):
        return False  # getPassword, DB_PASSWORD_FILE: a name, not a value
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value),
                   any(not c.isalnum() for c in value)))  # fmt: skip
    if classes < 2:
        return False
    return _VALUE_PLACEHOLDERS.search(value) is None and not _placeholder_value(value)


def assignments(raw: str) -> list[tuple[int, int]]:
    """Spans of values given to a secret's name in ``raw`` (see above); at most 64."""
    out: list[tuple[int, int]] = []
    n = len(raw)
    pos = 0
    for m in _ASSIGN_WORD.finditer(raw):
        if m.start() < pos:
            continue
        left = m.start()
        lo = max(0, left - 40)
        while left > lo and raw[left - 1] in _IDENT:
            left -= 1
        right = m.end()
        hi = min(n, right + 40)
        while right < hi and raw[right] in _IDENT:
            right += 1
        if (left > 0 and raw[left - 1] in _IDENT) or (right < n and raw[right] in _IDENT):
            continue  # an identifier longer than a name is
        if left > 0 and raw[left - 1] in "/?&#":
            continue  # a URL's path or query (a reset link's ?token=...): a link the reader is meant to follow
        name = raw[left:right].strip(".-")
        if not _secret_name(name):
            continue
        v = _ASSIGN_VALUE.match(raw, right)
        if v is not None:
            group = 2 if v.group(2) is not None else 3
        elif left > 0 and raw[left - 1] in "\"'" and (v := _ARG_VALUE.match(raw, right)):
            if v.group(1) != raw[left - 1]:
                continue  # the name's quotes do not match
            group = 3
        else:
            continue
        value = v.group(group)
        if _generated(value):
            out.append(v.span(group))
            pos = v.end()
            if len(out) >= 64:
                break
    return out


def _basic_ok(value: str) -> bool:
    """``Basic <base64 of user:password>`` with a real password."""
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    user, sep, pw = text.partition(":")
    if not sep or not pw or not user or not text.isprintable():
        return False
    low = pw.lower()
    return low not in _PLACEHOLDER_PASSWORDS and len(set(low)) > 2 and _VALUE_PLACEHOLDERS.search(pw) is None


def _bearer_ok(value: str) -> bool:
    """An opaque bearer token (a JWT is the ``jwt`` rule's)."""
    return not value.startswith("eyJ") and _generated(value) and any(c.isdigit() for c in value)


def _mixed_case(value: str) -> bool:
    body = value[3:]
    return any(c.isupper() for c in body) and any(c.islower() for c in body)


def _filler(token: str) -> bool:
    """A documentation filler (glpat-xxxxxxxxxxxxxxxxxxxx): few distinct characters, or one that is half of it."""
    return len(set(token)) < 8 or 2 * Counter(token).most_common(1)[0][1] >= len(token)


def _webhook_ok(value: str) -> bool:
    """A Slack webhook whose secret part is not filler (T00000000/B00000000/XXXXXXXX...)."""
    return len(set(value.rsplit("/", 1)[-1])) >= 8


# the vendor formats whose documentation fillers (glpat-xxxx...) are not reported; the older
# rules keep reporting them (a placeholder token in a call is still a token-shaped value)
_FILLER_CHECKED = frozenset(
    {"npm_token", "gitlab_token", "sendgrid_key", "huggingface_token", "pypi_token", "azure_storage_key",
     "telegram_bot_token", "digitalocean_token", "shopify_token", "azure_ad_client_secret", "vault_token"}
)  # fmt: skip
_VALUE_CHECKS = {
    "slack_webhook": _webhook_ok,
    "http_basic_auth": _basic_ok,
    "http_bearer_token": _bearer_ok,
    "huggingface_token": _mixed_case,
}


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
        gate = _RULE_GATE.possible(raw)
        present = None if gate is None else {_GATED_RULES[i] for i in gate}
        for kind, rx in _RULES:
            if present is not None:
                if kind not in present:
                    continue
            elif not any(tok in raw for tok in _TOKENS[kind]):
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
                elif kind in _VALUE_CHECKS:
                    if m.lastindex:
                        start, end = m.span(1)
                    if not _VALUE_CHECKS[kind](raw[start:end]):
                        continue
                elif kind in _FILLER_CHECKED and _filler(raw[start:end]):
                    continue  # filler: glpat-xxxxxxxxxxxxxxxxxxxx
                hits.append(
                    Hit(
                        finding(NAME, t, kind, "high", OWASP, excerpt(raw, start, end, redact=True), 0.9),
                        (start, end),
                    )
                )
        if present is not None and "secret_assignment" in present:
            assigned = True
        elif present is None:
            low = raw.lower()
            assigned = any(tok in low for tok in _LOWER_TOKENS)
        else:
            assigned = False
        if assigned:
            taken = [h.span for h in hits if h.span is not None]
            for start, end in assignments(raw):
                if not any(a < end and start < b for a, b in taken):
                    ev = excerpt(raw, start, end, redact=True)
                    hits.append(Hit(finding(NAME, t, "secret_assignment", "high", OWASP, ev, 0.85), (start, end)))
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
