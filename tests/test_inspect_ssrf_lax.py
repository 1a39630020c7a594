"""URLs that parsers read differently, in a fetched field (``url``, ``callback_url``, ``webhook``).

A field a tool fetches holds one URL. Lax parsers (curl, old urllib, PHP's ``parse_url``, the
fetcher behind a tool) disagree on where its host is when the authority runs on past whitespace
(``http://a.com &@127.0.0.1# @b.com/``), when its first scheme is no scheme
(``0://127.0.0.1:80;http://b.com/``), or when the value has no scheme at all but names a host as
a URL does (``//10.0.0.5/x``, ``\\\\10.0.0.5\\share``). A generator of our own writes each shape
around internal hosts and public decoys, and the look-alikes that share the surface: URLs with
spaces in their path or query, scheme-relative links to public hosts, addresses in a query, and
the same shapes in fields that are not fetched. Also the host spellings a resolver reads as dots
(``127。0。0。1``). Every attack must raise an ``ssrf`` finding above low; no look-alike may.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from gateway.inspect.runner import InspectOptions, Inspector

INS = Inspector()

INTERNAL = ["127.0.0.1", "169.254.169.254", "localhost", "10.0.0.5", "[::1]", "metadata.google.internal", "192.168.1.1"]
DECOYS = ["good.example.com", "93.184.216.34", "api.github.com"]
FETCH_KEYS = ["url", "callback_url", "webhook", "redirect_uri", "image_link"]


def ssrf(args: Any) -> set[str]:
    return {f.kind for f in INS.arguments(args, InspectOptions()) if f.detector == "ssrf" and f.severity != "low"}


def attacks() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    shapes = [
        "http://{p} &@{h}# @{p}/",
        "http://{p} @{h}/",
        "https://{p}\t&@{h}/latest",
        "http://{p} &@{p}# @{h}/",
        "0://{h}:80;http://{p}:80/",
        "1://{h};https://{p}/",
        "//{h}/admin",
        "\\\\{h}\\c$\\x",
    ]
    for (i, shape), h in itertools.product(enumerate(shapes), INTERNAL):
        p = DECOYS[i % len(DECOYS)]
        key = FETCH_KEYS[(i + len(h)) % len(FETCH_KEYS)]
        out.append((key, shape.format(h=h, p=p)))
    return out


@pytest.mark.parametrize(("key", "value"), attacks())
def test_a_lax_url_to_an_internal_host_is_flagged(key: str, value: str) -> None:
    assert ssrf({key: value}), (key, value)


@pytest.mark.parametrize(
    "value",
    ["http://1.1.1.1 &@2.2.2.2# @3.3.3.3/", "0://evil.example:80;http://google.com:80/", "2://a.example/"],
)
def test_an_ambiguous_url_to_public_hosts_asks(value: str) -> None:
    """Only evasion writes such a URL: the ambiguity itself is medium (an approval)."""
    assert ssrf({"url": value}) == {"ambiguous_authority"}


@pytest.mark.parametrize(
    "args",
    [
        {"url": "https://example.com/search?q=hello world"},
        {"url": "https://example.com/a b/c.html"},
        {"url": "https://example.com/ @someone"},
        {"url": "https://example.com/?to=ana@example.org&cc=bo@example.org"},
        {"url": "//cdn.jsdelivr.net/npm/htmx.org/dist/htmx.min.js"},
        {"url": "\\\\fileserver.example.com\\share\\report.pdf"},
        {"callback_url": "https://hooks.example.com/cb?user=a@b.example"},
        {"redirect_uri": "https://app.example.com/oauth/callback"},
        {"url": "ftp://anonymous@ftp.example.org/pub/"},
        {"url": "mailto:someone@example.com"},
        {"url": "https://example.com and some words"},
        {"webhook": "https://hooks.slack.com/services/T000/B000/XXXX"},
        # the same shapes where nothing is fetched: a note, a message body
        {"note": "http://good.example.com &@127.0.0.1# @b.example/"},
        {"body": "see //10.0.0.5/admin and 0://x"},
        {"url": "https://\u4f8b\u3048\u3002\u30c6\u30b9\u30c8/"},  # an IDN name with an ideographic full stop
    ],
)
def test_lookalikes_pass(args: dict[str, str]) -> None:
    assert not ssrf(args), args


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("http://127\u30020\u30020\u30021/", "loopback_address_via_unicode"),
        ("http://169\uff61254\uff61169\uff61254/latest/", "metadata_address_via_unicode"),
        ("http://10\uff0e0\uff0e0\uff0e5/", "private_address_via_unicode"),
    ],
)
def test_ideographic_full_stops_are_dots(value: str, kind: str) -> None:
    assert kind in ssrf({"url": value})
    assert kind in ssrf({"text": f"fetch {value} now"})  # in free text too


def test_a_long_value_is_judged_in_bounds() -> None:
    """A fetched field's value is judged whole up to 2,048 characters, at most 16 hosts."""
    many = "http://good.example.com " + " ".join(f"&@h{i}.example" for i in range(5000))
    assert len(many) > 2048 and not ssrf({"url": many})
    sixteen = "http://a.example " + " ".join(f"&@h{i}.example" for i in range(15)) + " &@127.0.0.1/"
    assert len(sixteen) < 2048
    assert ssrf({"url": sixteen}) == {"ambiguous_authority"}  # the 17th host is past the bound
    fifteen = "http://a.example " + " ".join(f"&@h{i}.example" for i in range(14)) + " &@127.0.0.1/"
    assert ssrf({"url": fifteen}) == {"loopback_address"}
