"""Build ``cloud.jsonl``: cloud API calls as an agent's tool would send them (benign look-alikes).

Source: moto 5.1.18 (PyPI sdist, Apache-2.0), its test suite (``tests/test_<service>/*.py``):
every call ``<client>.<operation>(Name=value, ...)`` whose receiver's name holds ``client``
and whose keyword arguments are all literals (``ast.literal_eval``) becomes one record: tool
``aws.<service>.<operation>``, the keywords as the JSON arguments. These are the parameters
real AWS calls take (ARNs, CIDR blocks, private addresses, IAM policy documents, user-data
scripts, template bodies, S3 keys, ``file://``-free URLs), written by moto's authors, not
by whoever tunes the detectors. At most ``PER_FILE`` records per test file and ``MAX`` in
all, files in sorted order. Family ``cloud_api_call``, all benign, all dev (false alarms
found here were looked at). No package the maintainers measure with is used (botocore's
own examples are theirs; moto's tests are moto's).

Regenerate: ``pip download --no-deps --no-binary :all: moto==5.1.18``, unpack, then
``python -m tests.eval.build_cloud moto-5.1.18``.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

from tests.eval.records import RecordSet

HERE = Path(__file__).resolve().parent
OUT = HERE / "cloud.jsonl"
VERSION = "5.1.18"
PER_FILE = 4
MAX = 800


def _literal_kwargs(call: ast.Call) -> dict[str, Any] | None:
    if call.args or not call.keywords or any(k.arg is None for k in call.keywords):
        return None
    out: dict[str, Any] = {}
    for k in call.keywords:
        try:
            v = ast.literal_eval(k.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
        out[str(k.arg)] = v
    try:
        json.dumps(out)
    except (TypeError, ValueError):  # bytes, sets, datetimes
        return None
    return out


def main() -> None:
    root = Path(sys.argv[1])
    rs = RecordSet()
    for path in sorted((root / "tests").rglob("test_*.py")):
        service = path.relative_to(root / "tests").parts[0].removeprefix("test_")
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        n = 0
        for node in ast.walk(tree):
            if n >= PER_FILE or len(rs.records) >= MAX:
                break
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            recv = node.func.value
            if not (isinstance(recv, ast.Name) and "client" in recv.id.lower()):
                continue
            args = _literal_kwargs(node)
            if args is None or len(json.dumps(args)) < 40:  # a bare id or name says nothing
                continue
            src = {"origin": "pypi:moto", "version": VERSION, "file": str(path.relative_to(root)), "line": node.lineno}
            tool = f"aws.{service}.{node.func.attr}"
            if rs.add("request_arg", tool, json.dumps(args), "benign", "cloud_api_call", src, src["file"], "dev"):
                n += 1
    rs.write(OUT)
    print(f"{len(rs.records)} records -> {OUT.name}")


if __name__ == "__main__":
    main()
