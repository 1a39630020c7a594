"""Per-record digest of every evaluation set: verdict and finding kinds, to compare detector changes.

``python -m tests.eval.digest OUT.json`` writes {set: {id: "verdict detector:kind,..."}} over
corpus (AgentDojo and BIPIA included), external, ssrf, cloud, code, secrets, docs and cases (cases
have no id: their index). ``python -m tests.eval.digest --diff BEFORE.json AFTER.json`` prints
each record whose digest changed, with its label and split; a text only for dev records (test
texts are not read).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gateway.inspect.verdict import Judge
from tests.eval.corpus_report import CLOUD, CODE, CORPUS, DOCS, EXTERNAL, SECRETS, SSRF, load
from tests.eval.report import ROOT, eval_tools, load_cases

SETS = {
    "corpus": CORPUS,
    "external": EXTERNAL,
    "ssrf": SSRF,
    "cloud": CLOUD,
    "code": CODE,
    "secrets": SECRETS,
    "docs": DOCS,
}


def records() -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, path in SETS.items():
        out[name] = {r["id"]: r for r in load("all", path)}
    out["cases"] = {str(i): {**c, "split": "dev"} for i, c in enumerate(load_cases())}
    return out


def digest() -> dict[str, dict[str, str]]:
    judge = Judge([ROOT / "policies"], eval_tools())
    out: dict[str, dict[str, str]] = {}
    for name, recs in records().items():
        out[name] = {}
        for rid, r in recs.items():
            res = judge.judge(r)
            kinds = ",".join(sorted({f"{f['detector']}:{f['kind']}" for f in res["findings"]}))
            out[name][rid] = f"{res['verdict']} {kinds}"
    return out


def diff(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> int:
    recs = records()
    changed = 0
    for name, now in after.items():
        was = before.get(name, {})
        for rid in sorted(set(now) | set(was)):
            if now.get(rid) == was.get(rid):
                continue
            changed += 1
            r = recs[name].get(rid, {})
            text = repr(r.get("text", "")[:160]) if r.get("split") == "dev" else "(test: text not shown)"
            print(f"{name} {rid} {r.get('label')} {r.get('split')}: {was.get(rid)!r} -> {now.get(rid)!r} {text}")
    print(f"{changed} records changed")
    return changed


def main() -> None:
    if sys.argv[1] == "--diff":
        diff(json.loads(Path(sys.argv[2]).read_text()), json.loads(Path(sys.argv[3]).read_text()))
        return
    d = digest()
    Path(sys.argv[1]).write_text(json.dumps(d, sort_keys=True))
    print({k: len(v) for k, v in d.items()})


if __name__ == "__main__":
    main()
