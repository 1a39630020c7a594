"""Per-record digest of every evaluation set: verdict and finding kinds, to tell exactly which records
a detector change moved.

``python -m tests.eval.digest OUT.json`` writes {set:id: "verdict detector:kind,..."} for
``corpus.jsonl``, ``external.jsonl`` (both splits; AgentDojo and BIPIA are in the corpus),
``ssrf.jsonl``, ``cloud.jsonl``, ``code.jsonl`` and ``cases.jsonl`` (no ids there: its line
number and a hash of its text), and prints one hash of it all.
``python -m tests.eval.digest --diff BEFORE.json AFTER.json`` lists the records whose verdict or
kinds changed: id, set, split, label, family, before and after; the text only of a dev record (a
test record's text is never shown).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.inspect.verdict import Judge
from tests.eval.corpus_report import CLOUD, CODE, CORPUS, EXTERNAL, SSRF
from tests.eval.report import CASES, ROOT, eval_tools

SETS = {"corpus": CORPUS, "external": EXTERNAL, "ssrf": SSRF, "cloud": CLOUD, "code": CODE, "cases": CASES}


def records() -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, record) of every set; ``cases`` records get an id of line and text."""
    for name, path in SETS.items():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            r = json.loads(line)
            rid = r.get("id") or f"{n}-{hashlib.sha256(r['text'].encode()).hexdigest()[:8]}"
            yield f"{name}:{rid}", r


def digest() -> dict[str, str]:
    judge = Judge([ROOT / "policies"], eval_tools())
    out = {}
    for key, r in records():
        res = judge.judge(r)
        kinds = ",".join(sorted({f"{f['detector']}:{f['kind']}" for f in res["findings"]}))
        out[key] = f"{res['verdict']} {kinds}"
    return out


def diff(before: dict[str, str], after: dict[str, str]) -> None:
    recs = dict(records())
    changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    print(f"{len(changed)} of {len(after)} records changed")
    for k in changed:
        r = recs.get(k, {})
        split = r.get("split", "dev") or "dev"
        head = f"{k} split={split} label={r.get('label')} family={r.get('family')}"
        print(f"{head}\n  before: {before.get(k)}\n  after:  {after.get(k)}")
        if split != "test" and r:
            print(f"  text: {r['text'][:300]!r}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--diff":
        diff(*(json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[2:]))
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = digest()
    Path(sys.argv[1]).write_text(json.dumps(d, indent=0, sort_keys=True), encoding="utf-8")
    h = hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
    print(f"{len(d)} records, digest {h}")


if __name__ == "__main__":
    main()
