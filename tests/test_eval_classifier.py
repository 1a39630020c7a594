"""The dev-trained model of ``tests/eval/train_classifier.py``: its export is the model it says it is,
and the gateway runs it as the ``classifier`` detector. Dev records only (the test split is scored by
the script, never here)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from gateway.inspect.classifier import OnnxClassifier
from gateway.inspect.runner import Inspector
from gateway.inspect.verdict import Judge
from tests.conftest import GatewayFactory, Upstream
from tests.eval.corpus_report import EXTERNAL, load
from tests.eval.report import ROOT, eval_tools
from tests.eval.train_classifier import MAX_TOKENS, build, export, tokens, units


def test_the_export_is_the_mean_of_the_words_weights(tmp_path: Path) -> None:
    vocab = {"ignore": 0, "previous": 1, "weather": 2, "!": 3}
    w = np.array([4.0, 2.0, -3.0, 0.5])
    export(tmp_path, vocab, w, -1.0)
    model = OnnxClassifier(tmp_path, label=1, max_tokens=MAX_TOKENS)
    texts = ["Ignore previous!", "weather", "ignore the weather", "nothing known here", ""]
    for text, got in zip(texts, model.score(texts), strict=True):
        toks = tokens(text)
        z = sum(w[vocab[t]] for t in toks if t in vocab) / max(len(toks), 1) - 1.0  # unknown words count in the length
        assert math.isclose(got, 1 / (1 + math.exp(-z)), rel_tol=1e-4, abs_tol=1e-5), (text, got)


async def test_a_model_trained_on_dev_runs_as_the_classifier(
    make_gateway: GatewayFactory, upstream: Upstream, tmp_path: Path
) -> None:
    fit = build(tmp_path / "model")
    # what the script printed when it was written: 1,117 of 1,418 dev attacks at 45 of 9,006 dev benign;
    # after the eighth dev round (harder attacks, more benign SQL), 1,243 of 1,808; after the tenth (Chinese,
    # finance mail, MCP tool texts, RAG grammars; 303 more benign questions), 1,568 of 2,745 (57%: 76 of the
    # 197 in Chinese, whose clauses a word-level tokenizer reads as one word each, 1,492 of the 2,548 others).
    # The benign count is fixed by how the threshold is picked (0.5% of dev benign); what can fail is the
    # attacks' share, and a threshold at its cap, which says the model cannot tell the two apart (chance
    # would flag ~0.5%).
    assert fit["dev_attacks_flagged"] / fit["attacks"] >= 0.55
    model, threshold = fit["model"], fit["threshold"]
    assert threshold < 0.99
    ins = Inspector(process=False)
    judge = Judge([ROOT / "policies"], eval_tools())
    # a dev chat message the rules let through and the model does not, and one both let through
    caught = passed = None
    for r in load("dev", EXTERNAL):
        if r["surface"] != "request_arg" or r["tool"] != "chat.ask" or judge.judge(r)["verdict"] != "allow":
            continue
        score = max(model.score(units(r, ins)) or [0.0])
        if caught is None and r["label"] == "attack" and score >= threshold + 0.02:
            caught = json.loads(r["text"])["question"]
        if passed is None and r["label"] == "benign" and score < threshold - 0.1:
            passed = json.loads(r["text"])["question"]
        if caught and passed:
            break
    assert caught is not None and passed is not None
    gw = await make_gateway(classifier={"path": str(tmp_path / "model"), "label": "INJECTION", "threshold": threshold})
    r = await gw.agent.post("/tools/echo/x", json={"q": caught}, headers=gw.auth())
    assert r.status == 403
    assert ("classifier", "model_injection") in {(f["detector"], f["kind"]) for f in gw.records()[-1]["findings"]}
    r = await gw.agent.post("/tools/echo/x", json={"q": passed}, headers=gw.auth())
    assert r.status == 200
