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
import json
import math
import re
from collections import Counter
from collections.abc import Set as AbstractSet

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Target, excerpt, finding
from gateway.inspect.prefilter import ARG_GATES, PatternGate

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
# A JWT (JWS compact): base64url header, payload, signature; the header's JSON opens with ``{"`` (eyJ),
# ``{ "`` (eyAi) or a line break (ewo, ew0K), and the signature may be empty (``alg: none``, an unsecured
# token a server that accepts it still honours). The header must decode to a JSON object naming ``alg``
# (or ``typ``, ``kid``): a truncated documentation example (``eyJhbGciOiJIUzI1NiIs.eyJzdWIi.…``) is none.
_JWT_HEADS = ("eyJ", "eyAi", "ewog", "ewoJ", "ew0K")
_JWT = re.compile(
    r"\b(?:eyJ|eyAi|ewo[gJ]|ew0K)[A-Za-z0-9_-]{4,2000}+\.(?:eyJ|eyAi|ewo[gJ]|ew0K)[A-Za-z0-9_-]{4,8000}+"
    r"\.[A-Za-z0-9_-]{0,2000}+"
)
_GITLAB_PREFIXES = ("glpat-", "gloas-", "gldt-", "glrt-", "glcbt-", "glptt-", "glft-", "glimt-", "glagent-", "glsoat-",
                    "glffct-", "glwt-")  # fmt: skip

# More vendors' tokens, each a fixed prefix and the vendor's documented body: Slack app-level, Google
# OAuth client secrets and access tokens, Stripe webhook secrets, Mailgun, Postman, Databricks, Linear,
# Grafana (service account, cloud), New Relic, Doppler, age secret keys, Sentry, Atlassian, Groq,
# Replicate, Perplexity, xAI, Heroku, Supabase, Pulumi, Tailscale, Figma, Notion, 1Password service
# accounts, Square, Alibaba Cloud key ids, Terraform Cloud, Dynatrace, Contentful; Discord webhooks.
_VENDOR_PREFIXES = ("xapp-", "GOCSPX-", "ya29.", "whsec_", "key-", "PMAK-", "dapi", "lin_api_", "glsa_", "glc_",
                    "NRAK-", "dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "AGE-SECRET-KEY-1", "sntrys_", "sntryu_", "ATATT3",
                    "gsk_", "r8_", "pplx-", "xai-", "HRKU-", "sbp_", "pul-", "tskey-", "figd_", "ntn_", "ops_eyJ",
                    "sq0atp-", "sq0csp-", "EAAA", "LTAI", ".atlasv1.", "dt0c01.", "CFPAT-",
                    "/api/webhooks/")  # fmt: skip
_VENDOR = re.compile(
    r"\b(?:xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[a-f0-9]{64}|GOCSPX-[A-Za-z0-9_-]{28}|ya29\.[A-Za-z0-9_-]{30,2000}+"
    r"|whsec_[A-Za-z0-9+/]{32,88}+|key-[0-9a-f]{32}|PMAK-[0-9a-f]{24}-[0-9a-f]{34}|dapi[0-9a-f]{32}(?:-\d)?"
    r"|lin_api_[A-Za-z0-9]{40}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}+={0,2}"
    r"|NRAK-[A-Z0-9]{27}|dp\.(?:pt|st|ct|sa)\.[A-Za-z0-9]{40,44}|AGE-SECRET-KEY-1[0-9A-Z]{58}"
    r"|sntrys_eyJ[A-Za-z0-9+/=_-]{60,400}+|sntryu_[a-f0-9]{64}|ATATT3[A-Za-z0-9_=-]{150,250}+|gsk_[A-Za-z0-9]{52}"
    r"|r8_[A-Za-z0-9]{37}|pplx-[A-Za-z0-9]{48}|xai-[A-Za-z0-9]{80}|HRKU-[A-Za-z0-9_-]{60}|sbp_[a-f0-9]{40}"
    r"|pul-[a-f0-9]{40}|tskey-[a-z]{3,8}-[A-Za-z0-9]{6,20}-[A-Za-z0-9]{16,64}|figd_[A-Za-z0-9_-]{40}"
    r"|ntn_\d{11}[A-Za-z0-9]{35}|ops_eyJ[A-Za-z0-9+/=_-]{100,2000}+|sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43}"
    r"|EAAA[A-Za-z0-9_-]{60}|LTAI[A-Za-z0-9]{20}"
    r"|dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}|CFPAT-[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])"
    r"|https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,68}"
    # Terraform Cloud: <14-character id>.atlasv1.<secret> (matched from the dot, so that no alternative opens
    # with a character class and the engine can skip to the prefixes' first characters)
    r"|(?<=[A-Za-z0-9]{14})\.atlasv1\.[A-Za-z0-9_-]{60,70}(?![A-Za-z0-9_-])"
)
# ``curl -u user:password`` (``--user``, ``-U``/``--proxy-user`` too): the option, found anywhere, is
# taken when its command line (back to the line start, over ``\`` continuations; 600 characters
# at most) starts a ``curl``; ``docker run -u 1000:1000`` and ``sudo -u postgres`` are not one.
_CURL_USER = re.compile(
    r"(?<![\w-])(?:-u|--user|-U|--proxy-user)(?:[ \t]{1,3}|=)?([\"']?)([^\s\"':]{0,64}):([^\s\"']{0,128})\1"
    r"(?=[\s|;&)]|$)"
)
_CURL = re.compile(r"(?<![\w./-])curl(?:\.exe)?[ \t]")
# a password given on a command line by a short option (``_cli_password``)
_CLI_PASSWORD = re.compile(r"(?<![\w-])-([pa])([ \t]{1,3})?([\"']?)([^\s\"'`;&|<>(){}]{4,128}+)\3(?=[\s;&|)]|$)")
_MYSQL = re.compile(r"(?<![\w./-])(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mariadb|mariadb-dump)[ \t]")
_PASSWORD_LOGIN = re.compile(
    r"(?<![\w./-])(?:sshpass|(?:docker|podman|nerdctl|buildah|skopeo|oras|helm registry|crane auth) login)[ \t]"
)
_REDIS_CLI = re.compile(r"(?<![\w./-])redis-cli[ \t]")

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,250}")),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}\b")),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|ant-api\d\d-)?[A-Za-z0-9_-]{20,200}")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("jwt", _JWT),
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
    ("vendor_token", _VENDOR),
    ("curl_user", _CURL_USER),
    ("cli_password", _CLI_PASSWORD),
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
    "jwt": _JWT_HEADS,
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
    "vendor_token": _VENDOR_PREFIXES,
    "curl_user": ("curl",),
    "cli_password": ("mysql", "mariadb", "sshpass", " login", "redis-cli"),
}
_LOWER_TOKENS = ("pass", "pwd", "secret", "key", "token", "cred", "auth")
# One Hyperscan pass over ASCII text says which rules' tokens are there (the lower-case ones
# ignoring case: on ASCII text that is ``tok in raw.lower()``), instead of ~30 ``in`` scans of
# the whole text (~13 µs per KiB when none is there, as in most texts).
# The vendor formats' prefixes are gated one by one (after the rules), so that only those present are
# looked for (``_vendor_matches``).
_RULE_GATE = PatternGate(
    [
        *(
            re.compile("|".join(re.escape(tok) for tok in toks))
            for kind, toks in _TOKENS.items()
            if kind != "vendor_token"
        ),
        re.compile("|".join(re.escape(tok) for tok in _LOWER_TOKENS), re.I),
        *(re.compile(re.escape(tok)) for tok in _VENDOR_PREFIXES),
    ],
    ARG_GATES,
)
_GATED_RULES = [*(kind for kind in _TOKENS if kind != "vendor_token"), "secret_assignment"]
_N_RULES = len(_GATED_RULES)
_NO_RULES: set[str] = set()
# characters that Python's case-insensitive matching folds to an ASCII letter (Kelvin sign, long s,
# dotted and dotless i): a text holding one is not gated on its ASCII projection
_FOLDS_TO_ASCII = ("\u212a", "\u017f", "\u0130", "\u0131")


def _gate(raw: str) -> AbstractSet[int] | None:
    """The gate's answer for ``raw``; other text is asked as its ASCII projection (each other character a
    ``?``: the tokens are ASCII, so none appears or vanishes), so that it too is one Hyperscan pass and not
    ~70 ``in`` scans (~30 us per KiB)."""
    if raw.isascii():
        return _RULE_GATE.possible(raw)
    if any(c in raw for c in _FOLDS_TO_ASCII):
        return None
    return _RULE_GATE.possible(raw.encode("ascii", "replace").decode("ascii"))


# matched right after "://" (an empty user too: redis://:password@host)
_USERINFO = re.compile(r"[^/\s:@\"']{0,64}:([^/\s@\"']{3,128})@")
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
    if u.start(1) == u.start() + 1 and ":" in pw:
        return True  # no user and a colon: CVS's cvs://:pserver:anoncvs@host, not redis://:password@host
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
    "cipher", "scheme", "authentication", "complexity", "rules", "rule", "reuse", "history", "stdin",
    "resumption", "cancellation",
})  # fmt: skip
_ASSIGN_VALUE = re.compile(  # (possessive: a value that runs on past 200 characters fails at once)
    # after the name: its closing quote, a subscript's close (``dict["secret"] = ``) or PHP's ``[]``
    r"(?:[\"']?\]|[\"']|\[\])?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}"
    # a quoted value (C#/Objective-C ``@"…"``, Python ``r'…'``/``b'…'`` too), or a bare one
    r"(?:[@rbRB]?([\"'])([^\"'\\\s]{8,200}+)\1|([^\s\"'`,;&(){}\[\]<>|]{8,200}+)(?![^\s\"'`,;&(){}\[\]<>|]))"
)
# XML: ``<password>…</password>``; a secret's name in a key or name attribute and its value in
# ``value="…"`` or the element's text (.NET ``<add key="ApiKey" value="…"/>``, Android
# ``<string name="api_key">…</string>``, Java properties ``<entry key="secret">…</entry>``)
_XML_TEXT = re.compile(r">([^<>\s\"']{8,200}+)</")
_XML_ATTR_VALUE = re.compile(r"[ \t]{1,3}value=([\"'])([^\"'\\\s]{8,200}+)\1|[ \t]{0,3}>([^<>\s\"']{8,200}+)</")
# a command line's long option and its value after a space: ``--password …``, ``--client-secret …``
_OPTION_VALUE = re.compile(r"[\"']?[ \t]{1,3}([\"']?)([^\s\"'`;&|<>(){}]{8,200}+)\1(?![^\s;&|)])")
# a setter's name and value, separated by a space: ``aws configure set aws_secret_access_key …``,
# ``git config --global github.token …``, ``npm config set //host/:_authToken …``, ``dotnet user-secrets set
# "ApiKey" "…"``, fish's ``set -gx API_TOKEN …``, Windows' ``setx API_KEY …`` (searched in the 48 characters
# before the name, and ending right before it)
_SETTER = re.compile(
    r"(?:\b(?:config(?:ure)?|config:set|user-secrets|secrets?)[ \t]{1,3}(?:set[ \t]{1,3})?"
    r"(?:--(?:global|local|system)[ \t]{1,3})?"
    r"|\bset[ \t]{1,3}-[gxUlu]{1,4}[ \t]{1,3}|\bsetx[ \t]{1,3})[\"'/:.A-Za-z0-9_-]{0,40}$"
)
# what the option, setter and directive forms all start with: a space and a value of 8+ characters (in prose
# the next word is mostly shorter, and the three are not tried)
_SPACED_VALUE = re.compile(r"[\"']?[ \t]{1,3}[\"']?[^\s\"']{8}")
# ``secret "…";``: a directive and its quoted value (BIND's TSIG keys, nginx ``set``/``proxy_set_header``)
_DIRECTIVE_VALUE = re.compile(r"[\"']?[ \t]{1,3}([\"'])([^\"'\\\s]{8,200}+)\1[ \t]{0,3};")
# ``Authorization: <scheme> <credentials>`` (HTTP, a curl ``-H``, a JSON or Python header map): the
# scheme's word (``Token``, ``Bot``, ``SSWS``, ``ApiKey``…) and the credential after it. Basic and Bearer
# are their own rules; Digest, NTLM, Negotiate and AWS4 signatures carry no reusable secret.
_AUTH_VALUE = re.compile(
    r"[\"']?[ \t]{0,3}[:=][ \t]{0,3}[\"']?(?:([A-Za-z][A-Za-z0-9_-]{1,24})[ \t]{1,3})?"
    r"([A-Za-z0-9._~+/:-]{8,1024}+={0,2}+)(?![A-Za-z0-9._~+/:=-])"
)
_MORE_WORDS = re.compile(r"[ \t]{1,3}[A-Za-z0-9]")
_AUTH_SCHEMES_ELSEWHERE = frozenset({"basic", "bearer", "digest", "ntlm", "negotiate", "hoba", "mutual", "kerberos",
                                     "aws4-hmac-sha256", "signature", "vapid", "dpop", "gnap"})  # fmt: skip
# a reference or template: ``${DB_PASS}``, ``${DB_PASS:-x}``, ``{{ vault_pw }}``, ``{% raw %}``, Ruby's
# ``#{pw}``, a format field ``{password}`` (not after ``{``: ``{{`` is a literal brace). Only a
# well-formed one: a generated password may hold ``{``, ``$`` or ``}`` (``{{h}o)p${e]nob(ody[…}}``)
_TEMPLATE = re.compile(
    r"\$\{[A-Za-z_][A-Za-z0-9_.]{0,80}(?:[:?/|=+-][^{}]{0,80})?\}|\{\{[^{}]{0,200}\}\}|\{%[^{}%]{0,200}%\}"
    r"|#\{[^{}]{0,80}\}|(?<!\{)\{[A-Za-z_][A-Za-z0-9_.]{0,80}(?:![rsa])?(?::[^{}]{0,20})?\}(?!\})"
)
# ``("api_token", "dafa7817-...")``: a quoted name, a comma, a quoted value (a call's arguments:
# ``GetEnvOrDefault``, ``config.set``, ``headers.put``); the value must be quoted
_ARG_VALUE = re.compile(r"([\"'])[ \t]{0,3},[ \t]{0,3}([\"'])([^\"'\\\s]{8,200}+)\2")
# ... unless the name is one item of a list of quoted words, with an item before it and after its
# "value": ``METHOD can be "md5", "password", "scram-sha-256", "gss"`` (pg_hba.conf) names choices
_ITEM_BEFORE = re.compile(r"[\"'][ \t]{0,3},[ \t]{0,3}\Z")
_ITEM_AFTER = re.compile(r"[ \t]{0,3},[ \t]{0,3}\n?[ \t#*/]{0,8}[\"']")
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
    if value[0] in "$<@*#/~.?" or "://" in value or ("{" in value and _TEMPLATE.search(value)):
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
        name = raw[left:right].strip(".-")
        if left > 0 and raw[left - 1] in "/?&#" and not (raw[left - 1] in "?&" and _password_name(name)):
            continue  # a URL's path or query (a reset link's ?token=...): a link the reader is meant to follow
        if len(name) >= 13 and name[-13:].lower() == "authorization":
            a = _AUTH_VALUE.match(raw, right)
            if a is not None and a.group(1) is None and _MORE_WORDS.match(raw, a.end()):
                a = None  # "AWS4-HMAC-SHA256 Credential=…": a scheme whose parameters are no credential
            if a is not None and _auth_header_ok(a.group(1), a.group(2)):
                out.append(a.span(2))
                pos = a.end()
                if len(out) >= 64:
                    break
            continue
        if not _secret_name(name):
            continue
        v = _ASSIGN_VALUE.match(raw, right)
        if v is not None:
            group = 2 if v.group(2) is not None else 3
        elif left > 0 and raw[left - 1] in "\"'" and (v := _ARG_VALUE.match(raw, right)):
            if v.group(1) != raw[left - 1]:
                continue  # the name's quotes do not match
            if _ITEM_BEFORE.search(raw, max(0, left - 9), left - 1) and _ITEM_AFTER.match(raw, v.end()):
                continue  # a list of quoted words, not a name and its value
            group = 3
        elif (
            right < n and raw[right] == ">" and left > 0 and raw[left - 1] == "<" and (v := _XML_TEXT.match(raw, right))
        ):
            if not raw.startswith(name + ">", v.end()):
                continue  # <password>…</other>
            group = 1
        elif (
            left > 0
            and raw[left - 1] in "\"'"
            and raw.startswith(raw[left - 1], right)
            and (v := _XML_ATTR_VALUE.match(raw, right + 1))
        ):
            group = 2 if v.group(2) is not None else 3
        elif _SPACED_VALUE.match(raw, right) and (
            ((raw.startswith("--", left) or _setter_before(raw, left)) and (v := _OPTION_VALUE.match(raw, right)))
            or (v := _DIRECTIVE_VALUE.match(raw, right))
        ):
            group = 2  # --password …; secret "…";
        else:
            continue
        value = v.group(group)
        if name.lower().endswith("auth") and not _auth_pair_ok(value):
            continue  # _auth=dGVzdDp0ZXN0: base64 of test:test
        if _generated(value):
            out.append(v.span(group))
            pos = v.end()
            if len(out) >= 64:
                break
    return out


def _setter_before(raw: str, left: int) -> bool:
    """Does a setter (``_SETTER``) end right before the name at ``left``? (a substring test first: prose
    holds secret words without an operator all the time, and the regex costs ~3 us each)"""
    if left == 0 or raw[left - 1] not in " \t\"'/:":
        return False
    lo = max(0, left - 48)
    seg = raw[lo:left]
    if not (" set" in seg or "\tset" in seg or seg.startswith("set") or "config" in seg or "secrets " in seg):
        return False
    return _SETTER.search(raw, lo, left) is not None


def _password_name(name: str) -> bool:
    """A name for a password or client secret (not a token or key): in a query string or a form body it is
    still a secret (``?password=…``, ``&client_secret=…``), where ``?token=`` is a link to follow."""
    words = (w.lower() for w in _NAME_WORDS.findall(name))
    return any(w in ("password", "passwd", "pwd", "passphrase", "secret") for w in words)


def _auth_pair_ok(value: str) -> bool:
    """A value given to an ``auth`` name (``.npmrc``'s ``_auth``, Docker's ``auth``) that is base64 of
    ``user:password`` is judged by its password, as ``Basic`` is; any other value passes."""
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return True
    return ":" not in text or not text.isprintable() or _basic_ok(value)


def _auth_header_ok(scheme: str | None, value: str) -> bool:
    """``Authorization: Token 9f2c…``: a credential of a scheme the Basic and Bearer rules do not read."""
    if scheme is not None and scheme.lower() in _AUTH_SCHEMES_ELSEWHERE:
        return False
    return not value.startswith("eyJ") and _generated(value) and any(c.isdigit() for c in value)


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


def _jwt_ok(token: str) -> bool:
    """A JWT whose header decodes to a JSON object with ``alg``, ``typ`` or ``kid``, and whose payload decodes."""
    head, payload, _sig = token.split(".", 2)
    try:
        obj = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(obj, dict) and any(k in obj for k in ("alg", "typ", "kid"))


def _bearer_ok(value: str) -> bool:
    """An opaque bearer token (a JWT is the ``jwt`` rule's)."""
    return not value.startswith("eyJ") and _generated(value) and any(c.isdigit() for c in value)


def _mixed_case(value: str) -> bool:
    body = value[3:]
    return any(c.isupper() for c in body) and any(c.islower() for c in body)


def _filler(token: str) -> bool:
    """A documentation filler (glpat-xxxxxxxxxxxxxxxxxxxx): few distinct characters, or one that is half of it."""
    return len(set(token)) < 8 or 2 * Counter(token).most_common(1)[0][1] >= len(token)


def _curl_password_ok(user: str, pw: str) -> bool:
    """``curl -u user:password``: a password that is no placeholder; with none, a user name that is a
    generated key (``-u sk_live_…:``, ``-u 9f2c…:``, as Stripe's and Mailgun's documentation send one)."""
    if not pw:
        return len(user) >= 16 and _generated(user)
    low = pw.lower()
    if len(pw) < 4 or low in _PLACEHOLDER_PASSWORDS or len(set(low)) <= 2:
        return False
    if pw[0] in "$<`" or pw.startswith(("%(", "%s")) or (pw[0] == "%" and pw.endswith("%")):
        return False  # $PASS, $(cat f), <password>, %(pw)s, %API_PASSWORD%
    if (pw[0] == "[" and pw.endswith("]")) or ("{" in pw and _TEMPLATE.search(pw)):
        return False  # [password], {{ pw }}
    return _VALUE_PLACEHOLDERS.search(pw) is None and _PLACEHOLDER_WORDS.search(pw) is None


def _vendor_matches(raw: str, prefixes: tuple[str, ...]) -> list[re.Match[str]]:
    """``_VENDOR``'s matches, tried only where one of ``prefixes`` is (``str.find``: a regex alternation of
    37 prefixes costs ~35 us per KiB on every text holding one): at most 64."""
    out: list[re.Match[str]] = []
    for prefix in prefixes:
        i = raw.find(prefix)
        while i != -1 and len(out) < 64:
            at = i
            if prefix == "/api/webhooks/":  # the URL's start
                at = raw.rfind("https://", max(0, i - 40), i)
            m = _VENDOR.match(raw, at) if at != -1 else None
            if m is not None:
                out.append(m)
                i = raw.find(prefix, m.end())
            else:
                i = raw.find(prefix, i + 1)
    return sorted(out, key=lambda m: m.start())


def _line_start(raw: str, pos: int) -> int:
    """Where the command line holding ``pos`` starts: back over ``\\`` continuations, 600 characters at most."""
    lo = max(0, pos - 600)
    line_start = pos
    while True:
        nl = raw.rfind("\n", lo, line_start)
        if nl == -1 or nl == lo or raw[nl - 1] != "\\":
            break
        line_start = nl - 1
    return nl + 1 if nl != -1 else lo


def _curl_credentials(raw: str, m: re.Match[str]) -> tuple[int, int] | None:
    """The span to redact of a ``-u user:password`` that belongs to a ``curl`` command line, or None."""
    if not _curl_password_ok(m.group(2), m.group(3)):
        return None
    if _CURL.search(raw, _line_start(raw, m.start()), m.start()) is None:
        return None
    return m.span(3) if m.group(3) else m.span(2)


def _cli_password(raw: str, m: re.Match[str]) -> tuple[int, int] | None:
    """``mysql -pXXXX`` (attached: ``-p XXXX`` names a database), ``docker login -p XXXX``, ``sshpass -p XXXX``,
    ``redis-cli -a XXXX``: the password's span when the option belongs to such a command line, or None."""
    if not _curl_password_ok("-", m.group(4)):
        return None
    cmd = _REDIS_CLI if m.group(1) == "a" else _PASSWORD_LOGIN if m.group(2) else _MYSQL
    if cmd.search(raw, _line_start(raw, m.start()), m.start()) is None:
        return None
    return m.span(4)


def _webhook_ok(value: str) -> bool:
    """A Slack webhook whose secret part is not filler (T00000000/B00000000/XXXXXXXX...)."""
    return len(set(value.rsplit("/", 1)[-1])) >= 8


# the vendor formats whose documentation fillers (glpat-xxxx...) are not reported; the older
# rules keep reporting them (a placeholder token in a call is still a token-shaped value)
_FILLER_CHECKED = frozenset(
    {"vendor_token", "npm_token", "gitlab_token", "sendgrid_key", "huggingface_token", "pypi_token",
     "azure_storage_key", "telegram_bot_token", "digitalocean_token", "shopify_token", "azure_ad_client_secret",
     "vault_token"}
)  # fmt: skip
_VALUE_CHECKS = {
    "jwt": _jwt_ok,
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
        gate = _gate(raw)
        present: set[str] | None
        vendors: tuple[str, ...]
        if gate is None:
            present, vendors = None, _VENDOR_PREFIXES
        elif not gate:  # most texts: no rule's token
            present, vendors = _NO_RULES, ()
        else:
            present = {_GATED_RULES[i] for i in gate if i < _N_RULES}
            vendors = tuple(_VENDOR_PREFIXES[i - _N_RULES] for i in gate if i >= _N_RULES)
        for kind, rx in _RULES if present is None or present or vendors else ():
            if kind == "vendor_token":
                if not vendors:
                    continue
            elif present is not None:
                if kind not in present:
                    continue
            elif not any(tok in raw for tok in _TOKENS[kind]):
                continue
            for m in _vendor_matches(raw, vendors) if kind == "vendor_token" else rx.finditer(raw):
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
                elif kind in ("curl_user", "cli_password"):
                    span = _curl_credentials(raw, m) if kind == "curl_user" else _cli_password(raw, m)
                    if span is None:
                        continue
                    start, end = span
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
