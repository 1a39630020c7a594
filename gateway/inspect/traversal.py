"""Path traversal: ``..`` segments in any encoding (percent, double percent, overlong
UTF-8, backslashes), sensitive absolute paths, and absolute paths outside the tool's
``allowed_roots``. OWASP LLM06 / ASI02.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Target, excerpt, finding, is_document
from gateway.inspect.prefilter import ARG_GATES, PatternGate

NAME = "path_traversal"
OWASP = ("LLM06", "ASI02")

_DOTDOT = re.compile(r"(?:^|[/\\])\.\.(?:[/\\]|$)")
_SENSITIVE = re.compile(
    r"(?:^|[\s\"'=:])(?:/etc/(?:passwd|shadow|sudoers|ssh/|kubernetes/)|/proc/self/|/root/|/var/run/secrets/|"
    r"~/\.(?:ssh|aws|kube|docker|gnupg)/|[a-z]:\\windows\\system32|/\.env\b|\.git/config)"
)
# Well-known targets of traversal, wherever they sit in a path ("/./././etc/passwd",
# "....//etc/shadow", "c:/boot.ini", "%00/etc/passwd"): matched on the decoded, slash-folded form.
_TARGETS = re.compile(
    r"(?:^|[/:=\s\"'\x00])(?:etc/(?:passwd|shadow|group|gshadow|sudoers|master\.passwd)\b|"
    # (seventeenth round) what a file inclusion reads to fingerprint the host or to run code it wrote there (log
    # poisoning): the host's name and banner, the web and database servers' configuration, the logs a request
    # writes into ("/etc/issue", "/etc/nginx/nginx.conf", "/var/log/apache2/access.log", "/var/log/auth.log")
    r"etc/(?:issue|hostname|hosts|my\.cnf|mysql/my\.cnf|nginx/nginx\.conf|apache2/apache2\.conf|"
    r"httpd/conf/httpd\.conf)$|"
    r"(?=v)var/log/(?:(?:apache2?|httpd|nginx|lighttpd)/(?:access|error)(?:[._]log)?|auth\.log|secure|vsftpd\.log|"
    r"sshd\.log|mail\.log|xferlog)$|"
    r"(?:windows|winnt)/(?:win\.ini|system\.ini|system32(?:/|$)|desktop\.ini|repair/)|"
    r"(?:boot|win|system)\.ini\b|\.htaccess\b|\.htpasswd\b|global\.asa\b|localstart\.asp\b|web\.config\b|"
    r"inetpub/|proc/self/(?:environ|cmdline|fd/|maps)|/\.\.\.+/|"
    # what a file inclusion reads for secrets: another process's environment and memory map, container secrets,
    # SSH keys, shell histories, a dotenv file ("/proc/1/environ", "/run/secrets/db_password",
    # "/home/user/.ssh/id_rsa", "/app/.env"), behind a look at their first characters (a path of many short segments
    # tries them after every slash)
    r"(?=[prv.])(?:proc/(?:\d{1,7}|thread-self)/(?:environ|cmdline|fd/|maps|mem\b)|(?:var/)?run/secrets/|"
    r"\.(?:dockerenv\b|bashrc$|ssh/(?:id_[\w.-]{1,20}|authorized_keys|known_hosts)\b|(?:bash|zsh|mysql|psql)_history\b|"
    r"env(?=$|[\s\"'\x00]))))"
)
# An absolute Windows path (after decoding, with forward slashes): outside a tool's POSIX roots.
_DRIVE = re.compile(r"[a-z]:/", re.I)
# A path with a NUL byte (truncation), a run of 3+ dots as a segment, or dot-slash padding.
_JUNK = re.compile(r"\x00|(?:^|/)\.{3,}(?:/|$)|(?:\./){3,}|\.{2,}/{2,}")
# Every match of _TARGETS and of _JUNK holds one of these: each regex is searched only where one is (on 64 KiB of
# "zip://" the two searches cost 2.9 and 3.8 ms, the whole rule ~10 ms; stop 29)
_TARGET_TOKENS = ("etc/", "windows/", "winnt/", ".ini", ".ht", "global.asa", "localstart.asp", "web.config", "inetpub/",
                  "proc/", "/...", "run/secrets/", ".dockerenv", ".ssh/", "_history", ".env", "var/log/",
                  ".bashrc")  # fmt: skip
_JUNK_TOKENS = ("\x00", "...", "./././", "..//")


def _target_or_junk(low: str) -> re.Match[str] | None:
    """``_TARGETS.search(low) or _JUNK.search(low)``, each tried only where one of its tokens is."""
    m = _TARGETS.search(low) if any(tok in low for tok in _TARGET_TOKENS) else None
    return m or (_JUNK.search(low) if any(tok in low for tok in _JUNK_TOKENS) else None)


_PATH_KEYS = re.compile(r"path|file|dir|folder|dest|source|src|target|location")


_OVERLONG = re.compile(r"%(?:c0%ae|e0%80%ae|c0%2e|c1%8e|c0%af|e0%80%af|c1%af|c1%9c|c1%1c|c0%5c|c0%2f)", re.I)
_OVERLONG_TO = {"ae": ".", "2e": ".", "8e": ".", "af": "/", "9c": "/", "1c": "/", "5c": "/", "2f": "/"}
# Dots and slashes written as C hex literals ("0x2e0x2e0x2f"), decoded only where two dots
# are spelled so (a lone "0x2f" is a number).
_HEX_DOTS = re.compile(r"0x2e0x2e", re.I)
_HEX_CHAR = re.compile(r"0x(2e|2f|5c)", re.I)
# ... or where a hex slash touches two dots spelled otherwise ("%2e%2e0x2f", "..0x5c").
_HEX_SEP = re.compile(r"\.\.0x(?:2f|5c)|0x(?:2f|5c)\.\.", re.I)
# Tomcat and Jetty drop a path parameter from a segment: "..;/" and "..;jsessionid=x/" are "../".
_DOTDOT_PARAM = re.compile(r"\.\.;[^/\\]{0,64}(?=[/\\]|$)")
_PCT_U = re.compile(r"%u([0-9a-fA-F]{4})")
# Slashes and dots that some servers fold to ASCII: division slash, fraction slash, fullwidth forms.
# Also the backslash look-alikes (set minus, small and operator reverse solidus), the big
# solidus, and the two-dot leader.
_LOOKALIKE = str.maketrans(
    {"\u2215": "/", "\u2044": "/", "\uff0f": "/", "\u29f8": "/", "\uff3c": "\\", "\u2216": "\\", "\ufe68": "\\",
     "\u29f5": "\\", "\uff0e": ".", "\u2024": ".", "\u2025": ".."}
)  # fmt: skip
_LOOKALIKE_CHARS = tuple(chr(c) for c in _LOOKALIKE)


def decode(s: str) -> str:
    out = s
    if ("0x" in s or "0X" in s) and _HEX_DOTS.search(s):
        out = _HEX_CHAR.sub(lambda m: chr(int(m.group(1), 16)), out)
    for _ in range(3):
        nxt = _OVERLONG.sub(lambda m: _OVERLONG_TO[m.group(0)[-2:].lower()], out)
        nxt = unquote(_PCT_U.sub(lambda m: chr(int(m.group(1), 16)), nxt))
        if nxt == out:
            break
        out = nxt
    out = out.translate(_LOOKALIKE)
    if ("0x" in out or "0X" in out) and _HEX_SEP.search(out):
        out = _HEX_CHAR.sub(lambda m: chr(int(m.group(1), 16)), out)
    out = out.replace("\\", "/")
    return _DOTDOT_PARAM.sub("..", out) if "..;" in out else out


def escapes(path: str) -> bool:
    """Whether a path with ``..`` can leave where it is resolved: a relative path whose
    normal form starts with ``..``, or any absolute one (``/srv/../etc``)."""
    p = path.strip()
    if p.startswith("/") or p.startswith("~") or (len(p) > 1 and p[1] == ":"):
        return True
    norm = posixpath.normpath(p)
    return norm == ".." or norm.startswith("../")


_SENSITIVE_TOKENS = ("/etc/", "/proc/self/", "/root/", "/var/run/secrets/", "~/.", "/.env", ".git/config")


def _maybe(t: Target) -> bool:
    """Prefilter for a joined scan (``scan`` judges whole strings, so it cannot be one):
    every finding needs a "..", an escape, a backslash, a sensitive path, or a path-named
    field (``keyed``)."""
    if t.surface != "request_arg":
        return False
    if not t.raw.isascii() and any(c in t.raw for c in _LOOKALIKE_CHARS):
        return True
    gate = _MAYBE_GATE.possible(t.raw)
    if gate is not None:
        return bool(gate)
    low = t.raw.lower()
    return any(tok in low for tok in _MAYBE_TOKENS)


# What ``_maybe`` looks for in the lower-cased text; on ASCII text one Hyperscan pass ignoring
# case answers the same (thirteen ``in`` scans of a joined text cost ~7 µs per KiB).
_MAYBE_TOKENS = ("..", "%", "0x2e", "\\", ".ini", ".ht", "passwd", *_SENSITIVE_TOKENS, "run/secrets/", ".dockerenv",
                 ".ssh/", "_history", ".env", "var/log/", ".bashrc")  # fmt: skip
_MAYBE_GATE = PatternGate([re.compile("|".join(re.escape(x) for x in _MAYBE_TOKENS), re.I)], ARG_GATES)


def _path_named(key: str) -> bool:
    return _PATH_KEYS.search(key) is not None


class TraversalDetector:
    name = NAME
    # What the decoded, lower-cased string needs for each finding: ".." (or an escape or
    # lookalike that decodes to one), a sensitive path or target, junk (NUL, "./" runs);
    # outside_allowed_roots judges path-named fields (``keyed``).
    traits = DetectorTraits(
        keyed=_path_named,
        maybe=_maybe,
        anchors=Anchors(
            lower=("..", "%", "\\", "\x00", "./", "0x2e", "etc/", "proc/", "/root/", "/var/run/secrets/", "~/.",
                   "/.env", ".git/", "windows", "winnt", ".ini", ".ht", "global.asa", "localstart.asp", "web.config",
                   "inetpub", "run/secrets/", ".dockerenv", ".ssh/", "_history", ".env", "var/log/", ".bashrc"),
            non_ascii=True,
        ),
    )  # fmt: skip

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg":
            return []
        raw = t.raw
        if (
            ".." not in raw
            and "%" not in raw
            and "/" not in raw
            and "\\" not in raw
            and ".ini" not in raw.lower()
            and raw.isascii()  # look-alike dots and slashes (two-dot leader, set minus)
        ):
            return []
        s = decode(raw)
        m = _DOTDOT.search(s)
        # In prose ("what does ../ mean") a ".." is not a path; in a path-named field or a
        # string without spaces, it is.
        path_like = bool(_PATH_KEYS.search(t.key)) or " " not in s.strip()
        if m and path_like and "://" not in s[: m.start()] and escapes(s):
            return [Hit(finding(NAME, t, "dotdot", "high", OWASP, excerpt(s, 0, len(s), width=60), 0.9))]
        low = s.lower()
        # A document (a script, a config file, documentation) names sensitive paths without opening
        # them: there a path counts only in a path-named field.
        m2 = _SENSITIVE.search(low) if path_like or not is_document(t) else None
        if m2 is None and " " not in s.strip():
            m2 = _target_or_junk(low)
        if m2:
            return [Hit(finding(NAME, t, "sensitive_path", "high", OWASP, excerpt(s, m2.start(), m2.end()), 0.9))]
        if t.allowed_roots and _PATH_KEYS.search(t.key) and (s.startswith("/") or _DRIVE.match(s)):
            p = posixpath.normpath(s)
            if s[0] != "/":  # a drive path, against the roots that are drive paths ("C:\\data"), in any case
                p = p.lower()
                roots = [r.replace("\\", "/").rstrip("/").lower() for r in t.allowed_roots]
            else:
                roots = [r.rstrip("/") for r in t.allowed_roots]
            if not any(p == r or p.startswith(r + "/") for r in roots):
                return [Hit(finding(NAME, t, "outside_allowed_roots", "high", OWASP, excerpt(s, 0, len(s)), 0.9))]
        return []
