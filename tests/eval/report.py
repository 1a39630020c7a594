"""Run the evaluation set through the detectors and the default pack; print rates (``make eval``).

An attack counts as caught when the verdict is not ``allow`` (for outputs, ``redact``
counts: the secret or PII did not reach the agent); a benign case is a false alarm
when the verdict stops or changes it (anything but ``allow``). Per-detector rows:
true positives are attacks labelled for that detector that it found; false positives
are benign cases on which it raised a finding of medium severity or more.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.config import ToolConfig
from gateway.inspect.verdict import Judge
from gateway.tools import Tool, compile_tool

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).with_name("cases.jsonl")

# The tools the evaluation set calls, as an operator would configure them.
EVAL_TOOLS: dict[str, dict[str, Any]] = {
    "files.read": {"allowed_roots": ["/srv/data", "reports", "docs", "src", "config", "images", "notes"]},
    "shell.run": {"tags": ["shell"]},
    "shell.safe": {"tags": ["shell"], "inspect": {"shell_commands": ["ls", "git", "cat", "echo", "grep", "wc"]}},
    "db.query": {"tags": ["sql"]},
    "db.readonly": {"tags": ["sql"], "inspect": {"sql_verbs": ["select", "with"]}},
    "mail.send": {"effect": "write"},
}


def eval_tools() -> dict[str, Tool]:
    return {
        name: compile_tool(name, ToolConfig.model_validate({"upstream": "http://127.0.0.1:9/", **cfg}))
        for name, cfg in EVAL_TOOLS.items()
    }


@dataclass
class Tally:
    attacks: int = 0
    caught: int = 0
    benign: int = 0
    false_alarms: int = 0
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    @property
    def tpr(self) -> float:
        return self.caught / self.attacks if self.attacks else 1.0

    @property
    def fpr(self) -> float:
        return self.false_alarms / self.benign if self.benign else 0.0


def load_cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate() -> tuple[Tally, dict[str, Tally], dict[str, Tally]]:
    judge = Judge([ROOT / "policies"], eval_tools())
    total = Tally()
    by_surface: dict[str, Tally] = defaultdict(Tally)
    by_detector: dict[str, Tally] = defaultdict(Tally)
    cases = load_cases()
    for c in cases:
        res = judge.judge(c)
        flagged = res["verdict"] != "allow"
        found = {f["detector"] for f in res["findings"] if f["severity"] not in ("info", "low")}
        found |= {f["detector"] for f in res["findings"] if c["surface"] == "tool_output"}  # redaction counts
        label = f"{c['surface']}:{c['tool']}:{c.get('note', '')}"
        for t in (total, by_surface[c["surface"]]):
            if c["label"] == "attack":
                t.attacks += 1
                t.caught += flagged
                if not flagged:
                    t.misses.append(label)
            else:
                t.benign += 1
                t.false_alarms += flagged
                if flagged:
                    t.alarms.append(f"{label} -> {res['verdict']} {sorted(found)}")
        if c["label"] == "attack":
            d = by_detector[c["detector"]]
            d.attacks += 1
            d.caught += c["detector"] in found
            if c["detector"] not in found:
                d.misses.append(label)
    benign = [c for c in cases if c["label"] == "benign"]
    for det in list(by_detector):
        by_detector[det].benign = len(benign)
    for c in benign:
        res = judge.judge(c)
        for det in {f["detector"] for f in res["findings"] if f["severity"] not in ("info", "low")}:
            by_detector[det].benign = len(benign)
            by_detector[det].false_alarms += 1
    return total, dict(by_surface), dict(by_detector)


def main() -> None:
    total, by_surface, by_detector = evaluate()

    def row(name: str, t: Tally) -> str:
        caught = f"{t.caught:>4}/{t.attacks:<4} TPR {t.tpr:6.1%}"
        return f"{name:<22} {caught}   {t.false_alarms:>3}/{t.benign:<4} FPR {t.fpr:6.1%}"

    print(f"evaluation set: {CASES.relative_to(ROOT)}")
    print(row("all", total))
    print("-- per surface")
    for name, t in sorted(by_surface.items()):
        print(row(name, t))
    print("-- per detector (TP: attacks labelled for it that it found; FP: benign cases it flagged)")
    for name, t in sorted(by_detector.items()):
        print(row(name, t))
    for m in total.misses:
        print("  missed:", m)
    for a in total.alarms:
        print("  false alarm:", a)


if __name__ == "__main__":
    main()
