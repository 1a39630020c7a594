"""Rates on ``corpus.jsonl`` (public sources, see ``build_corpus.py``), with 95% Wilson intervals.

An attack is *flagged* when the verdict is not ``allow`` (deny, approval, block or
redaction); a benign record is *altered* on the same condition. Rows: per family, then
AgentDojo alone, BIPIA alone, security documentation that quotes attacks (untagged hard
negatives), then the hard negatives of the ``sql``/``shell`` tools (tags on, as ``EVAL_TOOLS``
configures them). ``--split dev|test|all`` (default test: tune on dev).

The split is source-disjoint (``build_corpus.assign_splits``): each source file, AgentDojo suite
and attack template lies whole in dev or test; an AgentDojo record whose suite and template fall
in different splits is ``cross`` and counted in neither (only in ``all``).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.inspect.verdict import Judge
from tests.eval.report import ROOT, eval_tools

CORPUS = Path(__file__).with_name("corpus.jsonl")
# the second held-out set (build_external.py): split by package, dev = tuned on, test = untouched
EXTERNAL = Path(__file__).with_name("external.jsonl")
# SSRF payloads and public URLs (build_ssrf.py), all dev
SSRF = Path(__file__).with_name("ssrf.jsonl")
# cloud API calls from moto's tests (build_cloud.py), benign, all dev
CLOUD = Path(__file__).with_name("cloud.jsonl")
# whole stdlib source files read and written (build_code.py), benign, all dev
CODE = Path(__file__).with_name("code.jsonl")
# documents carried as data (build_docs.py), benign hard negatives, split by source file
DOCS = Path(__file__).with_name("docs.jsonl")
# secret scanners' test vectors (build_secrets.py), split by source file: dev tuned on, test scored only
SECRETS = Path(__file__).with_name("secrets.jsonl")
TAGGED_FAMILIES = ("sql_statement", "sql_script", "orm_sql", "shell_line")
# reported in their own blocks, outside the non-AgentDojo aggregates
BENCHMARKS = ("agentdojo_injection", "agentdojo_clean", "bipia_text", "bipia_code")
HARD_NEGATIVES = ("security_doc",)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = p + z * z / (2 * n)
    r = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (c - r) / d), min(1.0, (c + r) / d)


@dataclass
class Row:
    n: int = 0
    hit: int = 0
    examples: list[str] = field(default_factory=list)

    def fmt(self) -> str:
        lo, hi = wilson(self.hit, self.n)
        rate = self.hit / self.n if self.n else 0.0
        return f"{self.hit:>5}/{self.n:<5} {rate:7.1%}  [{lo:6.1%}, {hi:6.1%}]"


def load(split: str, corpus: Path = CORPUS) -> list[dict[str, Any]]:
    recs = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    return recs if split == "all" else [r for r in recs if r["split"] == split]


def evaluate(
    split: str, corpus: Path = CORPUS, by_source: bool = False
) -> tuple[dict[str, Row], dict[str, Row], float]:
    """Rows per family (and ``ALL``); with ``by_source``, also per ``family @ origin``."""
    judge = Judge([ROOT / "policies"], eval_tools())
    attacks: dict[str, Row] = defaultdict(Row)
    benign: dict[str, Row] = defaultdict(Row)
    t0 = time.perf_counter()
    for r in load(split, corpus):
        res = judge.judge(r)
        changed = res["verdict"] != "allow"
        fam = r["family"]
        rows = attacks if r["label"] == "attack" else benign
        keys = [fam, "ALL"] + ([f"{fam} @ {r['source']['origin']}"] if by_source else [])
        for key in keys:
            row = rows[key]
            row.n += 1
            row.hit += changed
            if key == fam and len(row.examples) < 400 and changed != (r["label"] == "attack"):
                kinds = sorted({f"{f['detector']}:{f['kind']}" for f in res["findings"]})
                row.examples.append(f"{r['id']} {res['verdict']} {kinds} {r['text'][:160]!r}")
    return dict(attacks), dict(benign), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=("dev", "test", "all"), default="test")
    ap.add_argument("--show", action="store_true", help="list misses and false alarms")
    ap.add_argument("--external", action="store_true", help="external.jsonl (build_external.py), per source")
    ap.add_argument("--ssrf", action="store_true", help="ssrf.jsonl (build_ssrf.py), per source; all dev")
    ap.add_argument("--cloud", action="store_true", help="cloud.jsonl (build_cloud.py), per source; all dev")
    ap.add_argument("--code", action="store_true", help="code.jsonl (build_code.py), per surface; all dev")
    ap.add_argument("--secrets", action="store_true", help="secrets.jsonl (build_secrets.py), per family and source")
    ap.add_argument("--docs", action="store_true", help="docs.jsonl (build_docs.py), per family and surface")
    args = ap.parse_args()
    if args.docs:
        docs(args.split, args.show)
        return
    if args.external or args.ssrf or args.cloud or args.code or args.secrets:
        chosen = (
            SSRF if args.ssrf else CLOUD if args.cloud else CODE if args.code else SECRETS if args.secrets else EXTERNAL
        )
        external(args.split, args.show, chosen)
        return
    attacks, benign, dt = evaluate(args.split)
    print(f"corpus: {CORPUS.relative_to(ROOT)} split={args.split}  ({dt:.1f}s)")
    print(f"{'attacks flagged (recall)':<34} {'k/n':>11} {'rate':>7}  95% Wilson")
    for fam in sorted(k for k in attacks if k != "ALL" and k not in BENCHMARKS):
        print(f"  {fam:<32} {attacks[fam].fmt()}")
    print(f"{'benign altered (false alarms)':<34}")
    for fam in sorted(
        k for k in benign if k != "ALL" and k not in BENCHMARKS and k not in TAGGED_FAMILIES + HARD_NEGATIVES
    ):
        print(f"  {fam:<32} {benign[fam].fmt()}")
    nonad = Row()
    for k, r in attacks.items():
        if k not in ("ALL", *BENCHMARKS):
            nonad.n += r.n
            nonad.hit += r.hit
    nb = Row()
    for k, r in benign.items():
        if k not in ("ALL", *BENCHMARKS, *TAGGED_FAMILIES, *HARD_NEGATIVES):
            nb.n += r.n
            nb.hit += r.hit
    print(f"  {'== attacks (non-AgentDojo)':<32} {nonad.fmt()}")
    print(f"  {'== benign  (non-AgentDojo, untagged)':<32} {nb.fmt()}")
    print("AgentDojo 0.1.35")
    for fam, rows in (("agentdojo_injection", attacks), ("agentdojo_clean", benign)):
        if fam in rows:
            label = "injection vectors flagged" if fam == "agentdojo_injection" else "clean outputs altered"
            print(f"  {label:<32} {rows[fam].fmt()}")
    print("BIPIA (github microsoft/BIPIA 5a48626): attacks placed in e-mails and answer pages")
    for fam, label in (("bipia_text", "text attacks flagged"), ("bipia_code", "code attacks flagged")):
        if fam in attacks:
            print(f"  {label:<32} {attacks[fam].fmt()}")
    print("hard negatives, untagged (security documentation quoting attacks)")
    for fam in HARD_NEGATIVES:
        if fam in benign:
            print(f"  {fam:<32} {benign[fam].fmt()}")
    print("hard negatives with tags on (db.query: sql, shell.run: shell)")
    tagged = Row()
    for fam in TAGGED_FAMILIES:
        if fam in benign:
            print(f"  {fam:<32} {benign[fam].fmt()}")
            tagged.n += benign[fam].n
            tagged.hit += benign[fam].hit
    print(f"  {'== tagged hard negatives':<32} {tagged.fmt()}")
    if args.show:
        for name, rows in (("MISS", attacks), ("ALARM", benign)):
            for fam, row in sorted(rows.items()):
                for ex in row.examples:
                    print(f"{name} {fam} {ex}")


def docs(split: str, show: bool) -> None:
    """docs.jsonl: documents as data, each read (``files.read``), written (``files.write``) and, per
    kind, queried (``db.query``, tag sql), run (``shell.run``, tag shell), rendered (``pdf.render``)
    or published (``docs.publish``). All benign: every row counts records altered."""
    _, benign, dt = evaluate(split, DOCS)
    print(f"corpus: {DOCS.relative_to(ROOT)} split={split}  ({dt:.1f}s)")
    print(f"{'benign altered (false alarms)':<34} {'k/n':>11} {'rate':>7}  95% Wilson")
    for fam in sorted(k for k in benign if k != "ALL"):
        print(f"  {fam:<32} {benign[fam].fmt()}")
    args = Row()
    for fam, row in benign.items():
        if fam != "ALL" and not fam.endswith("_read"):
            args.n += row.n
            args.hit += row.hit
    print(f"  {'== documents in arguments':<32} {args.fmt()}")
    if "ALL" in benign:
        print(f"  {'== all (tags on)':<32} {benign['ALL'].fmt()}")
    if show:
        for fam, row in sorted(benign.items()):
            for ex in row.examples:
                print(f"ALARM {fam} {ex}")


def external(split: str, show: bool, corpus: Path = EXTERNAL) -> None:
    """external.jsonl (or ssrf.jsonl) per family and package: dev packages were looked at
    while tuning, test packages never were (their rows are the out-of-sample numbers)."""
    attacks, benign, dt = evaluate(split, corpus, by_source=True)
    print(f"corpus: {corpus.relative_to(ROOT)} split={split}  ({dt:.1f}s)")
    print(f"{'attacks flagged (recall)':<50} {'k/n':>11} {'rate':>7}  95% Wilson")
    for k in sorted(x for x in attacks if "@" in x):
        print(f"  {k:<48} {attacks[k].fmt()}")
    print("benign altered (false alarms; sql_statement: db.query tagged sql)")
    for k in sorted(x for x in benign if "@" in x):
        print(f"  {k:<48} {benign[k].fmt()}")
    if "ALL" in attacks:
        print(f"  {'== attacks':<48} {attacks['ALL'].fmt()}")
    if "ALL" in benign:
        print(f"  {'== benign':<48} {benign['ALL'].fmt()}")
    if show:
        for name, rows in (("MISS", attacks), ("ALARM", benign)):
            for fam, row in sorted(rows.items()):
                if "@" not in fam and fam != "ALL":
                    for ex in row.examples:
                        print(f"{name} {fam} {ex}")


if __name__ == "__main__":
    main()
