"""Build ``code.jsonl``: whole source files as an agent's file tools carry them (benign look-alikes).

Source: the Python standard library of the interpreter that runs this (CPython, PSF licence),
its ``.py`` files outside ``site-packages``, less every file ``corpus.jsonl``'s ``source_code``
family already takes chunks from (those lie in its dev and test splits). ``FILES`` files are
drawn with a fixed seed from the rest in sorted order; each becomes two records: the file's
first ``MAX_CHARS`` characters (cut at a line end) as a ``files.read`` answer, and as the
``content`` of a ``code.write`` call (``{"path": "src/<file>", "content": ...}``). Test code,
encoders' character tables, HTML generators, URL parsers and shell helpers are all in it:
whole files, where ``source_code`` has 25-line chunks around a ``subprocess``/``eval``/SQL
line. Families ``source_file`` (read) and ``source_file_written``, all benign, all dev (their
false alarms were looked at).

Regenerate: ``python -m tests.eval.build_code`` (the same interpreter version gives the same set).
"""

from __future__ import annotations

import json
import random
import sys
import sysconfig
from pathlib import Path

from tests.eval.records import RecordSet

HERE = Path(__file__).resolve().parent
OUT = HERE / "code.jsonl"
FILES = 500
MAX_CHARS = 12_000
SEED = 11


def _head(text: str) -> str:
    """The first ``MAX_CHARS`` characters, cut back to a line end."""
    if len(text) <= MAX_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_CHARS)
    return text[: cut + 1 if cut > 0 else MAX_CHARS]


def main() -> None:
    lib = Path(sysconfig.get_paths()["stdlib"])
    version = sys.version.split()[0]
    taken = set()
    with (HERE / "corpus.jsonl").open() as f:
        for line in f:
            r = json.loads(line)
            if r["family"] == "source_code":
                taken.add(r["source"]["file"])
    files = sorted(
        p for p in lib.rglob("*.py") if "site-packages" not in p.parts and str(p.relative_to(lib)) not in taken
    )
    rs = RecordSet()
    for path in random.Random(SEED).sample(files, FILES):
        rel = str(path.relative_to(lib))
        text = _head(path.read_text(encoding="utf-8", errors="replace"))
        src = {"origin": f"python:{version}", "version": version, "file": rel, "line": 1}
        rs.add("tool_output", "files.read", text, "benign", "source_file", src, rel, "dev")
        args = json.dumps({"path": f"src/{rel}", "content": text})
        rs.add("request_arg", "code.write", args, "benign", "source_file_written", src, rel, "dev")
    rs.write(OUT)
    print(f"{len(rs.records)} records -> {OUT.name}")


if __name__ == "__main__":
    main()
