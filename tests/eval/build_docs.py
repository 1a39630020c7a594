"""Build ``docs.jsonl``: documents carried as data (benign hard negatives, issue 12's "other side of precision").

Legitimate tool traffic that looks like attacks, from public sources no other eval set takes:

- ``config``: configuration files as Debian packages ship them that name an address, a local host
  or a URL (``_ADDRESSY``): every unmodified conffile of the installed packages (redis, PostgreSQL, MariaDB,
  mosquitto, RabbitMQ, NATS, Prometheus, ...: the file's MD5 must equal the one dpkg recorded),
  ``/usr/share/doc/*/examples`` configs and PostgreSQL's ``*.sample`` files, and the ``/etc`` of
  ``nginx-common`` and ``apache2`` (``apt-get download``, ``dpkg-deb -x`` into ``DEBDIR``);
- ``shell_script``: bash-completion scripts, init scripts (conffiles, and nginx's and apache2's);
- ``sql_script``: PostgreSQL's share SQL (``/usr/share/postgresql/<v>/**/*.sql``) and MariaDB's
  (``/usr/share/mysql/*.sql``);
- ``html_template``: the Jinja templates (``*.html``, ``*.jinja2``) of pdoc 16.0.0, flask-admin 2.2.1
  and mkdocs-material 9.8.1 (wheels), Prometheus's example consoles;
- ``security_doc``: documentation that quotes attacks: bandit 1.8.6's README, docs and the
  docstrings of its plugins and blacklists (sdist), defusedxml 0.7.1's README and SECURITY.md,
  bleach 6.4.0's README and docs (sdists).

Each file is cut into sections of at most ``CHUNK`` characters (at a line end, a blank line
where there is one), at most ``CHUNKS`` per file. Each section becomes a ``files.read`` answer
(family ``<kind>_read``) and the ``content`` of a ``files.write`` call (``<kind>_written``);
SQL sections also the ``query`` of ``db.query`` (tagged ``sql``; psql's backslash commands left
out: ``sql_script_query``), HTML ones the ``html`` of ``pdf.render`` (``html_rendered``),
security documentation the ``body`` of ``docs.publish`` (``security_doc_published``); up to
``LINES`` simple command lines of each shell script the ``command`` of ``shell.run`` (tagged
``shell``: ``shell_line_run``). All benign. Split by source file (a hash of origin and path):
a third ``test`` (scored only, never read), the rest ``dev``.

Regenerate: ``pip download --no-deps pdoc==16.0.0 flask-admin==2.2.1 mkdocs-material==9.8.1``
(wheels unpacked into ``DIR/pdoc``, ``DIR/flask_admin``, ``DIR/mkdocs_material``),
``pip download --no-deps --no-binary :all: bandit==1.8.6 defusedxml==0.7.1 bleach==6.4.0``
(sdists unpacked into ``DIR``), ``apt-get download nginx-common apache2`` and ``dpkg-deb -x`` both
into ``DEBDIR``; then ``python -m tests.eval.build_docs DIR DEBDIR`` on a machine with the same
Debian packages installed (``dpkg -l`` versions are in each record).
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.eval.records import RecordSet

HERE = Path(__file__).resolve().parent
OUT = HERE / "docs.jsonl"
CHUNK = 6000
CHUNKS = 4
LINES = 12
SEED = 12
# files drawn per kind (sorted, then a seeded sample), so the set stays a few thousand records
MOST = {"config": 160, "shell_script": 80, "sql_script": 60, "html_template": 120, "security_doc": 200}

RECORDS = RecordSet()
_PKG_CACHE: dict[str, tuple[str, str]] = {}


def _owner(path: Path) -> tuple[str, str]:
    """(package, version) owning an installed file."""
    key = str(path)
    if key not in _PKG_CACHE:
        out = subprocess.run(["dpkg", "-S", key], capture_output=True, text=True, check=False).stdout
        owned = [x for x in out.splitlines() if not x.startswith("diversion ") and ": " in x]
        pkg = owned[0].split(":", 1)[0].split(",")[0].strip() if owned else "?"
        ver = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, check=False
        ).stdout.strip()
        _PKG_CACHE[key] = (pkg, ver or "?")
    return _PKG_CACHE[key]


def _text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data or len(data) < 120:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _sections(text: str) -> list[tuple[int, str]]:
    """(first line, text) of at most ``CHUNKS`` sections of at most ``CHUNK`` characters."""
    out: list[tuple[int, str]] = []
    pos, line = 0, 1
    while pos < len(text) and len(out) < CHUNKS:
        end = min(len(text), pos + CHUNK)
        if end < len(text):
            cut = text.rfind("\n\n", pos, end)
            if cut <= pos + CHUNK // 3:
                cut = text.rfind("\n", pos, end)
            end = cut + 1 if cut > pos else end
        piece = text[pos:end]
        if piece.strip():
            out.append((line, piece))
        line += piece.count("\n")
        pos = end
    return out


_KEYWORD_ONLY = re.compile(r"^(?:fi|done|esac|then|else|do|\{|\}|;;|\)|.*\)$|.*\(\)\s*\{?|\w+\(\)\s*\{?)$")


def _command_lines(text: str) -> list[tuple[int, str]]:
    """Simple command lines of a shell script: not a comment, a continuation, a keyword alone, a
    case label or a function header, outside here-documents."""
    out: list[tuple[int, str]] = []
    heredoc: str | None = None
    prev_cont = False
    for n, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if heredoc is not None:
            if s == heredoc:
                heredoc = None
            continue
        cont = prev_cont
        prev_cont = s.endswith("\\")
        if cont or prev_cont or not s or s.startswith("#") or _KEYWORD_ONLY.match(s):
            continue
        m = re.search(r"<<-?\s*['\"]?(\w+)", s)
        if m:
            heredoc = m.group(1)
            continue
        if s.count("'") % 2 or s.count('"') % 2 or len(s) < 8:
            continue
        out.append((n, s))
    return out


def _split(origin: str, file: str) -> str:
    h = int(hashlib.sha256(f"{origin}\x00{file}".encode()).hexdigest()[:8], 16)
    return "test" if h % 3 == 0 else "dev"


def add_file(kind: str, origin: str, version: str, file: str, text: str, first_line: int = 1) -> None:
    split = _split(origin, file)
    group = f"{origin}:{file}"
    name = file.rsplit("/", 1)[-1]
    for line, piece in _sections(text):
        src = {"origin": origin, "version": version, "file": file, "line": first_line + line - 1}
        RECORDS.add("tool_output", "files.read", piece, "benign", f"{kind}_read", src, group, split)
        args = json.dumps({"path": f"docs/{name}", "content": piece})
        RECORDS.add("request_arg", "files.write", args, "benign", f"{kind}_written", src, group, split)
        if kind == "sql_script":
            sql = "\n".join(x for x in piece.splitlines() if not x.lstrip().startswith("\\"))
            RECORDS.add("request_arg", "db.query", json.dumps({"query": sql}), "benign", "sql_script_query", src,
                        group, split)  # fmt: skip
        elif kind == "html_template":
            RECORDS.add("request_arg", "pdf.render", json.dumps({"html": piece, "filename": f"{name}.pdf"}),
                        "benign", "html_rendered", src, group, split)  # fmt: skip
        elif kind == "security_doc":
            RECORDS.add("request_arg", "docs.publish", json.dumps({"title": name, "body": piece}), "benign",
                        "security_doc_published", src, group, split)  # fmt: skip
    if kind == "shell_script":
        for n, cmd in _command_lines(text)[:LINES]:
            src = {"origin": origin, "version": version, "file": file, "line": first_line + n - 1}
            RECORDS.add("request_arg", "shell.run", json.dumps({"command": cmd}), "benign", "shell_line_run", src,
                        group, split)  # fmt: skip


def _conffiles() -> Iterator[tuple[str, str, Path]]:
    """(package, version, path) of every installed conffile whose content dpkg would call unmodified."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${binary:Package}\t${Version}\n${Conffiles}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pkg = ver = ""
    for line in out.splitlines():
        if not line.startswith(" ") and "\t" in line:
            pkg, ver = line.split("\t", 1)
            pkg = pkg.split(":", 1)[0]
            continue
        parts = line.split()
        if len(parts) < 2 or parts[-1] == "obsolete":
            continue
        path = Path(parts[0])
        try:
            if hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() != parts[1]:
                continue
        except OSError:
            continue
        yield pkg, ver, path


_SHELLY = re.compile(r"^#!\s*/(?:usr/)?bin/(?:env\s+)?(?:ba|da)?sh\b")


# what makes a configuration file a hard negative: it names an address, a local host or a URL
_ADDRESSY = re.compile(r"localhost|127\.0\.0\.1|\[?::1\]?|0\.0\.0\.0|://|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")


def _kind_of_etc(path: Path, text: str) -> str | None:
    if "/init.d/" in str(path) or "/cron." in str(path) or _SHELLY.match(text):
        return "shell_script"
    return "config" if _ADDRESSY.search(text) else None


def _sample(kind: str, items: list[Any]) -> list[Any]:
    items = sorted(items, key=lambda x: str(x))
    if len(items) <= MOST[kind]:
        return items
    rng = random.Random(f"{SEED}:{kind}")
    chosen = set(rng.sample(range(len(items)), MOST[kind]))
    return [x for i, x in enumerate(items) if i in chosen]


def debian(deb: Path | None) -> None:
    by: dict[str, list[tuple[str, str, str, str]]] = {"config": [], "shell_script": [], "sql_script": []}
    for pkg, ver, path in _conffiles():
        text = _text(path)
        kind = _kind_of_etc(path, text) if text is not None else None
        if text is not None and kind is not None:
            by[kind].append((f"debian:{pkg}", ver, str(path), text))
    extra: list[Path] = [
        *Path("/usr/share/doc").glob("*/examples/**/*.conf"),
        *Path("/usr/share/doc").glob("*/examples/**/*.cfg"),
        *Path("/usr/share/doc").glob("*/examples/**/*.ini"),
        *Path("/usr/share/doc").glob("*/examples/**/*.yml"),
        *Path("/usr/share/postgresql").glob("*/*.sample"),
    ]
    for path in extra:
        text = _text(path)
        if text is not None and _ADDRESSY.search(text):
            pkg, ver = _owner(path)
            by["config"].append((f"debian:{pkg}", ver, str(path), text))
    for path in Path("/usr/share/bash-completion/completions").glob("*"):
        text = _text(path) if path.is_file() and not path.is_symlink() else None
        if text is not None:
            pkg, ver = _owner(path)
            by["shell_script"].append((f"debian:{pkg}", ver, str(path), text))
    for path in [*Path("/usr/share/postgresql").glob("*/**/*.sql"), *Path("/usr/share/mysql").glob("*.sql")]:
        text = _text(path)
        if text is not None:
            pkg, ver = _owner(path)
            by["sql_script"].append((f"debian:{pkg}", ver, str(path), text))
    if deb is not None:
        versions = {"nginx": ("nginx-common", "1.22.1-9+deb12u11"), "apache2": ("apache2", "2.4.71-1~deb12u1")}
        for path in sorted((deb / "etc").rglob("*")):
            text = _text(path) if path.is_file() else None
            if text is None:
                continue
            rel = "/" + str(path.relative_to(deb))
            pkg, ver = versions["nginx"] if "nginx" in rel else versions["apache2"]
            kind = _kind_of_etc(Path(rel), text)
            if kind is not None:
                by[kind].append((f"debian:{pkg}", ver, rel, text))
    for kind, items in by.items():
        for origin, ver, file, text in _sample(kind, items):
            add_file(kind, origin, ver, file, text)


def _docstrings(path: Path) -> list[tuple[int, str]]:
    """The module's, classes' and functions' docstrings of a Python file, with their lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc and len(doc) >= 200 and node.body:
                out.append((node.body[0].lineno, doc))
    return out


def pypi(root: Path) -> None:
    html: list[tuple[str, str, str, str]] = []
    for pkg, ver, base in (("pdoc", "16.0.0", "pdoc"), ("flask-admin", "2.2.1", "flask_admin"),
                           ("mkdocs-material", "9.8.1", "mkdocs_material")):  # fmt: skip
        for path in [*(root / base).rglob("*.html"), *(root / base).rglob("*.jinja2")]:
            text = _text(path)
            if text is not None:
                html.append((f"pypi:{pkg}", ver, str(path.relative_to(root / base)), text))
    for path in Path("/usr/share/doc/prometheus/examples/consoles").glob("*.html"):
        text = _text(path)
        if text is not None:
            pkg, ver = _owner(path)
            html.append((f"debian:{pkg}", ver, str(path), text))
    for origin, ver, file, text in _sample("html_template", html):
        add_file("html_template", origin, ver, file, text)
    docs: list[tuple[str, str, str, str, int]] = []
    for pkg, ver in (("bandit", "1.8.6"), ("defusedxml", "0.7.1"), ("bleach", "6.4.0")):
        base = root / f"{pkg}-{ver}"
        files = [*base.glob("README*"), *base.glob("SECURITY.md"), *base.glob("doc*/**/*.rst")]
        for path in files:
            if path.suffix in (".html",):
                continue
            text = _text(path)
            if text is not None:
                docs.append((f"pypi:{pkg}", ver, str(path.relative_to(base)), text, 1))
        if pkg == "bandit":
            for path in [*(base / "bandit" / "plugins").glob("*.py"), *(base / "bandit" / "blacklists").glob("*.py")]:
                for line, doc in _docstrings(path):
                    docs.append((f"pypi:{pkg}", ver, f"{path.relative_to(base)}#L{line}", doc, line))
    for origin, ver, file, text, line in _sample("security_doc", docs):
        add_file("security_doc", origin, ver, file.split("#", 1)[0] if "#" in file else file, text, line)


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    root = Path(sys.argv[1])
    debian(Path(sys.argv[2]) if len(sys.argv) == 3 else None)
    pypi(root)
    RECORDS.write(OUT)
    by = RECORDS.counts(lambda r: f"{r['split']}:{r['family']}")
    print(f"{len(RECORDS.records)} records -> {OUT.name}")
    for k in sorted(by):
        print(f"  {k}: {by[k]}")


if __name__ == "__main__":
    main()
