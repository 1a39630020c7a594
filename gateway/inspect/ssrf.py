"""SSRF: URL arguments that point at loopback, private, link-local or metadata
addresses in any spelling (decimal, octal, hex, short forms, IPv6-mapped, ``0``),
internal names, and non-HTTP schemes. OWASP LLM06 / ASI02 (tool misuse).

Name resolution is not done here (it would put DNS on the hot path); names are
judged by suffix (``localhost``, ``.internal``, metadata hosts, public names known to
resolve to loopback) and wildcard-DNS services that embed an IP (``nip.io``, ``sslip.io``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Severity, Target, excerpt, finding
from gateway.model import Finding

NAME = "ssrf"
OWASP = ("LLM06", "ASI02")

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_REST = re.compile(r"[^\s\"'<>]{1,2048}")


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """(start, end, scheme) of each ``scheme://rest``, found from each "://" (linear, no regex rescans)."""
    out: list[tuple[int, int, str]] = []
    i = text.find("://")
    while i != -1:
        j = i
        while j > 0 and i - j < 16 and text[j - 1] in _SCHEME_CHARS:
            j -= 1
        while j < i and not text[j].isalpha():  # a scheme starts with a letter
            j += 1
        m = _REST.match(text, i + 3)
        if j < i - 1 and m:
            out.append((j, m.end(), text[j:i].lower()))
            i = text.find("://", m.end())
        else:
            i = text.find("://", i + 3)
    return out


# Schemes that smuggle requests to any service (gopher://127.0.0.1:6379/_...) or read local
# files: flagged wherever they point. Transfer schemes to a public host are ordinary links
# (ftp://ftp.gnu.org/...): judged by their host, like http.
_BAD_SCHEMES = frozenset({"file", "gopher", "dict", "jar", "netdoc", "php", "expect", "phar"})
_HOST_SCHEMES = frozenset({"ftp", "sftp", "tftp", "ldap", "ldaps", "smb"})
_OK_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_NAMES = ("localhost", "metadata.google.internal", "metadata", "instance-data", "kubernetes.default")
_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".svc.cluster.local")
_LOOPBACK_DOMAINS = (".localtest.me", ".lvh.me", ".vcap.me")  # public names that resolve to 127.0.0.1
_LOOPBACK_NAMES = frozenset(d.lstrip(".") for d in _LOOPBACK_DOMAINS)
_WILDCARD_DNS = (".nip.io", ".sslip.io", ".xip.io", ".traefik.me")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


# Every character of an IP address in any spelling below (``ipaddress``'s dotted quads and
# IPv6 hex groups, ``inet_aton``'s hex/octal/short forms): a host with another is a name.
# (Trying ``ipaddress.ip_address`` on a name costs two raised ValueErrors, ~5 µs a URL.)
_IP_CHARS = frozenset("0123456789abcdefABCDEFxX.:")


def parse_host_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address in any spelling the OS resolver accepts without DNS, or None."""
    h = host.strip("[]").split("%")[0]
    if not _IP_CHARS.issuperset(h):
        return None
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]{1,64}", h):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(h))  # 2130706433, 0177.1, 0x7f.1, 127.1
        except OSError:
            return None
    return None


def internal_reason(host: str) -> str | None:
    host = unquote(host).lower().rstrip(".")
    if not host:
        return None
    ip = parse_host_ip(host)
    if ip is not None:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip in _METADATA:
            return "metadata_address"
        if ip.is_loopback:
            return "loopback_address"
        if ip.is_link_local:
            return "link_local_address"
        if ip.is_unspecified:
            return "unspecified_address"
        if ip.is_private or ip.is_reserved or ip.is_multicast:
            return "private_address"
        return None
    if host in _NAMES or host.endswith(_SUFFIXES):
        return "internal_name"
    if host.endswith(_LOOPBACK_DOMAINS) or host in _LOOPBACK_NAMES:
        return "loopback_name"
    for suffix in _WILDCARD_DNS:  # 169.254.169.254.nip.io, 10-0-0-1.sslip.io resolve to the embedded IP
        if host.endswith(suffix):
            label = host[: -len(suffix)]
            m = re.search(r"(\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3})$", label)
            if m:
                why = internal_reason(m.group(1).replace("-", "."))
                if why:
                    return why + "_via_wildcard_dns"
    return None


def _relative_file(url: str) -> bool:
    """``file://report.json``: no host, no absolute path, no drive, no parent segment."""
    rest = url[url.find("://") + 3 :]
    return (
        bool(rest)
        and not rest.startswith(("/", "\\", ".", "~", "%"))
        and "/" not in rest
        and "\\" not in rest
        and ":" not in rest
    )


class SsrfDetector:
    name = NAME
    traits = DetectorTraits(spans_raw=True, anchors=Anchors(raw=("://",)))  # every hit carries its span in the raw text

    def scan(self, t: Target) -> list[Hit]:
        raw = t.raw
        if "://" not in raw:
            return []
        hits: list[Hit] = []
        for start, end, scheme in find_urls(raw):
            url = raw[start:end]
            if scheme == "file" and _relative_file(url):
                continue  # file://name.json: a relative name some APIs take, not a host or an absolute path
            if scheme in _BAD_SCHEMES:
                ev = excerpt(raw, start, end, width=80)
                hits.append(Hit(finding(NAME, t, f"scheme_{scheme}", "high", OWASP, ev, 0.9), (start, end)))
                continue
            if scheme not in _OK_SCHEMES and scheme not in _HOST_SCHEMES:
                continue
            try:
                host = urlsplit(url).hostname or ""
            except ValueError:
                ev = excerpt(raw, start, end, width=80)
                hits.append(Hit(finding(NAME, t, "unparsable_url", "medium", OWASP, ev, 0.6), (start, end)))
                continue
            why = internal_reason(host)
            if why and scheme in _HOST_SCHEMES:
                why = f"scheme_{scheme}_{why}"
            if why:
                ev = excerpt(raw, start, end, width=80)
                hits.append(Hit(finding(NAME, t, why, "high", OWASP, ev, 0.95), (start, end)))
        return hits


async def resolved_findings(strings: Iterable[tuple[str, str]], per_name_s: float) -> list[Finding]:
    """Findings for http(s) URL host names (in ``(text, path)`` pairs) that resolve to an
    internal address (DNS rebinding-style names, internal zones). Opt-in per tool
    (``ssrf.resolve``): it puts DNS on the call's path. A name that does not resolve in
    time is a medium finding (fail closed to an approval, not to an allow).
    """
    loop = asyncio.get_running_loop()
    todo: dict[str, list[tuple[str, str]]] = {}
    for text, path in strings:
        for start, end, scheme in find_urls(text):
            if scheme not in _OK_SCHEMES:
                continue
            try:
                host = (urlsplit(text[start:end]).hostname or "").rstrip(".")
            except ValueError:
                continue
            if host and parse_host_ip(host) is None and internal_reason(host) is None:
                todo.setdefault(host, []).append((path, text[start:end]))

    async def one(host: str) -> tuple[str, str | None]:
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), per_name_s)
        except (OSError, TimeoutError):
            return host, "unresolvable_name"
        for info in infos:
            why = internal_reason(str(info[4][0]))
            if why:
                return host, why + "_via_dns"
        return host, None

    out: list[Finding] = []
    for host, why in await asyncio.gather(*(one(h) for h in todo)):
        if why is None:
            continue
        for path, url in todo[host]:
            sev: Severity = "medium" if why == "unresolvable_name" else "high"
            t = Target(url, url, "request_arg", path)
            out.append(finding(NAME, t, why, sev, OWASP, excerpt(url, 0, len(url), width=80), 0.8))
    return out
