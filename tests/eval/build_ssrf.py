"""Build ``ssrf.jsonl``: SSRF payloads and public URLs sent to URL-taking tools.

Sources (every record names its own):

- PayloadsAllTheThings (github swisskyrepo/PayloadsAllTheThings, MIT): the payloads of the
  code blocks of ``Server Side Request Forgery/README.md``, quoted in
  ``sources/patt/ssrf_examples.txt`` (its first line names the upstream commit; the record's
  ``line`` is the payload's line in that file). Each payload is the ``url`` of ``web.fetch``
  and the ``callback_url`` of ``webhooks.create``. Attacks, family ``ssrf``.
- The Python standard library of the interpreter that builds the set (``Lib/**/*.py``,
  sorted): the first ``MAX_URLS`` distinct http(s) URLs in its comments and docstrings
  whose host is a dotted name ending in an alphabetic top-level label (a shape rule: IP
  literals, ``localhost`` and one-label hosts are left out, as they name no public site),
  each as ``web.fetch``'s ``url``, and its host as ``net.lookup``'s ``host``. Benign,
  family ``public_url``.

All of it is dev: the payloads were read while the SSRF detector was tuned (2026-11-29),
so this set measures what the detector covers, not how it generalises. No package the
maintainers measure with (levo-ssrfmap and its upstream SSRFmap among them) is used.

``python -m tests.eval.build_ssrf`` (no downloads: the payloads are stored, the stdlib is local).
"""

from __future__ import annotations

import json
import re
import sys
import sysconfig
from pathlib import Path

from tests.eval.records import RecordSet

HERE = Path(__file__).resolve().parent
OUT = HERE / "ssrf.jsonl"
PATT = HERE / "sources" / "patt" / "ssrf_examples.txt"
PATT_FILE = "Server Side Request Forgery/README.md"
MAX_URLS = 600
_URL = re.compile(r"https?://[^\s\"'<>()\[\]{}`\\]{1,300}")
_PUBLIC_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}")


def payloads(rs: RecordSet) -> None:
    lines = PATT.read_text(encoding="utf-8").split("\n")
    commit = re.search(r"@ ([0-9a-f]{40})", lines[0])
    assert commit is not None, "the first line names the upstream commit"
    for i, p in enumerate(lines[1:], 2):
        if not p.strip():
            continue
        src = {"origin": "github:swisskyrepo/PayloadsAllTheThings", "version": commit.group(1), "file": PATT_FILE,
               "quoted_in": "tests/eval/sources/patt/ssrf_examples.txt", "line": i}  # fmt: skip
        group = f"{src['origin']}|{PATT_FILE}"
        rs.add(
            "request_arg", "web.fetch", json.dumps({"url": p}, ensure_ascii=False), "attack", "ssrf", src, group, "dev"
        )
        rs.add("request_arg", "webhooks.create", json.dumps({"callback_url": p}, ensure_ascii=False), "attack", "ssrf",
               src, group, "dev")  # fmt: skip


def public_urls(rs: RecordSet) -> None:
    lib = Path(sysconfig.get_paths()["stdlib"])
    version = ".".join(map(str, sys.version_info[:3]))
    seen: set[str] = set()
    for path in sorted(lib.rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts or "idlelib" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.split("\n"), 1):
            for m in _URL.finditer(line):
                url = m.group(0).rstrip(".,;:")
                host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].lower()
                if url in seen or not _PUBLIC_HOST.fullmatch(host):
                    continue
                seen.add(url)
                src = {"origin": "python:stdlib", "version": version, "file": str(path.relative_to(lib)), "line": n}
                group = f"python:stdlib|{src['file']}"
                rs.add("request_arg", "web.fetch", json.dumps({"url": url}), "benign", "public_url", src, group, "dev")
                rs.add(
                    "request_arg", "net.lookup", json.dumps({"host": host}), "benign", "public_url", src, group, "dev"
                )
                if len(seen) >= MAX_URLS:
                    return


def main() -> None:
    rs = RecordSet()
    payloads(rs)
    public_urls(rs)
    rs.write(OUT)
    print(f"{len(rs.records)} records -> {OUT.name}: {rs.counts(lambda r: r['label'] + ':' + r['family'])}")


if __name__ == "__main__":
    main()
