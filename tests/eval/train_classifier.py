"""Train a small prompt-injection model on the dev split and score it, with the rules, on the test split.

An experiment for issue 12's question "would a model generalise where the rules do not?", and an
end-to-end check that the ``classifier`` detector runs a model nobody hand-wrote: a bag-of-words
logistic regression (numpy, no other learning library), exported in the layout the detector loads
(``model.onnx`` + ``tokenizer.json`` + ``config.json``: a WordLevel tokenizer, lower-cased, each CJK
ideograph a token of its own (``BertNormalizer``'s ``handle_chinese_chars``, as BERT reads Chinese), split
like ``pre_tokenizers.Whitespace``; mean of the tokens' weights, a bias, softmax over two labels). The
training reads text through that same normalizer and pre-tokenizer (``tokens``), so what it learns is
what the gateway's runtime tokenizer hands the model.

Trained on the **dev** records of ``corpus.jsonl`` and ``external.jsonl`` only: prompt injection and
jailbreak attacks against every dev benign record (``TRAIN_POSITIVE``; other attack families are left
out, AgentDojo's and BIPIA's are only scored). The threshold is the lowest that alters at most
``--max-fp`` of the dev benign records.
Then the **test** records are scored, never read: a record counts as flagged when the rules' verdict
is not ``allow`` or the model scores one of its units (an argument's strings, an output's windows,
as ``gateway/inspect/classifier.py`` cuts them) at or above the threshold.

``python -m tests.eval.train_classifier [--out var/classifier-dev] [--max-fp 0.005]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from gateway.inspect.classifier import OnnxClassifier, windows
from gateway.inspect.runner import Inspector
from gateway.inspect.verdict import Judge
from tests.eval.corpus_report import CORPUS, EXTERNAL, load, wilson
from tests.eval.report import ROOT, eval_tools

POSITIVE = ("prompt_injection", "jailbreak", "agentdojo_injection", "bipia_text", "bipia_code")
# Trained on: attacks that are mostly attack text. AgentDojo's and BIPIA's are a tool's whole output with
# the attack a small part of it: as positives they teach the model the environment's words (a first run
# altered 59 of AgentDojo's 148 clean test outputs), so they are scored, not trained on.
TRAIN_POSITIVE = ("prompt_injection", "jailbreak")
MAX_TOKENS = 512
MAX_CHARS = 4000
MAX_STRINGS = 64


def units(rec: dict[str, Any], ins: Inspector) -> list[str]:
    """What the classifier stage would score for this record."""
    if rec["surface"] == "request_arg":
        try:
            args = json.loads(rec["text"])
        except ValueError:
            args = rec["text"]
        return [s[:MAX_CHARS] for s, _ in ins.strings(args)][:MAX_STRINGS]
    return [w for w, _ in windows(rec["text"], MAX_CHARS, MAX_STRINGS)]


def _normalizer() -> normalizers.Normalizer:
    """Lower-cased, a space either side of each CJK ideograph (BERT's ``handle_chinese_chars``: Chinese,
    and the kanji of Japanese, are written without spaces, so a clause would otherwise be one word);
    kana and hangul are left in runs (katakana words, Korean's spaced words). No accent stripping and no
    control-character cleaning: only the split."""
    return normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=True)


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Whitespace()  # \w+|[^\w\s]+, with the tokenizers library's (Rust's) \w


def tokenizer(vocab: dict[str, int]) -> Tokenizer:
    """The tokenizer the export writes (``tokenizer.json``): WordLevel over ``vocab``, unknown words ``[UNK]``."""
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = _normalizer()
    tok.pre_tokenizer = _pre_tokenizer()
    return tok


_NORMALIZER, _PRE_TOKENIZER = _normalizer(), _pre_tokenizer()


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the exported tokenizer splits them (the same normalizer and pre-tokenizer,
    not a copy of their rules: Python's ``\\w`` and ``str.lower`` are not Rust's), cut at ``MAX_TOKENS``."""
    return [t for t, _ in _PRE_TOKENIZER.pre_tokenize_str(_NORMALIZER.normalize_str(text))][:MAX_TOKENS]


def train(docs: list[list[str]], y: np.ndarray, vocab: dict[str, int], epochs: int = 30) -> tuple[np.ndarray, float]:
    """Logistic regression on term frequencies (tokens / length), class-balanced, L2, Adam."""
    rows = [np.array([vocab[t] for t in d if t in vocab], dtype=np.int64) for d in docs]
    n, v = len(rows), len(vocab)
    w, b = np.zeros(v, dtype=np.float64), 0.0
    pos = y.sum()
    cw = np.where(y == 1, n / (2 * pos), n / (2 * (n - pos)))
    m_w, v_w, m_b, v_b = np.zeros(v), np.zeros(v), 0.0, 0.0
    lr, l2, batch, step = 0.05, 1e-5, 64, 0
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(n)
        for s in range(0, n, batch):
            idx = order[s : s + batch]
            g_w, g_b = np.zeros(v), 0.0
            for i in idx:
                r = rows[i]
                if len(r) == 0:
                    continue
                z = w[r].sum() / len(r) + b
                p = 1 / (1 + np.exp(-z))
                g = (p - y[i]) * cw[i]
                np.add.at(g_w, r, g / len(r))
                g_b += g
            g_w = g_w / len(idx) + l2 * w
            g_b /= len(idx)
            step += 1
            m_w = 0.9 * m_w + 0.1 * g_w
            v_w = 0.999 * v_w + 0.001 * g_w * g_w
            m_b = 0.9 * m_b + 0.1 * g_b
            v_b = 0.999 * v_b + 0.001 * g_b * g_b
            c1, c2 = 1 - 0.9**step, 1 - 0.999**step
            w -= lr * (m_w / c1) / (np.sqrt(v_w / c2) + 1e-8)
            b -= lr * (m_b / c1) / (np.sqrt(v_b / c2) + 1e-8)
    return w, b


def write_bow_model(
    out: Path, vocab: dict[str, int], emb: np.ndarray, bias: np.ndarray, *, mean: bool = True, softmax: bool = True
) -> Path:
    """A bag-of-words model in the layout the classifier detector loads: ``tokenizer.json`` (``tokenizer``:
    WordLevel over ``vocab``, lower-cased, CJK ideographs apart, ``Whitespace``-split), ``model.onnx`` (the rows of
    ``emb`` [V, 2] of a text's tokens summed, or averaged when ``mean``, plus ``bias``; softmaxed unless
    ``softmax`` is false, when the logits are the output) and ``config.json`` (labels SAFE, INJECTION)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out.mkdir(parents=True, exist_ok=True)
    tokenizer(vocab).save(str(out / "tokenizer.json"))
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["e"]),  # [B, T, 2]
        helper.make_node("Cast", ["attention_mask"], ["m"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["m", "axis2"], ["m3"]),
        helper.make_node("Mul", ["e", "m3"], ["em"]),
        helper.make_node("ReduceSum", ["em", "axis1"], ["bag"], keepdims=0),  # [B, 2]
    ]
    pooled = "bag"
    if mean:  # every token counts in the length, unknown ones too
        nodes += [
            helper.make_node("ReduceSum", ["m", "axis1"], ["count"], keepdims=1),
            helper.make_node("Max", ["count", "one"], ["count1"]),
            helper.make_node("Div", ["bag", "count1"], ["mean"]),
        ]
        pooled = "mean"
    nodes.append(helper.make_node("Add", [pooled, "b"], ["z"]))
    output = "z"
    if softmax:
        nodes.append(helper.make_node("Softmax", ["z"], ["probs"], axis=1))
        output = "probs"
    graph = helper.make_graph(
        nodes,
        "callgate-bag-of-words",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", 2])],
        initializer=[
            numpy_helper.from_array(emb.astype(np.float32), "emb"),
            numpy_helper.from_array(bias.astype(np.float32), "b"),
            numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(out / "model.onnx"))
    (out / "config.json").write_text(json.dumps({"id2label": {"0": "SAFE", "1": "INJECTION"}}))
    return out


def export(out: Path, vocab: dict[str, int], w: np.ndarray, b: float) -> None:
    """The trained weights ``w`` (over ``vocab``) and bias ``b`` as a model: the mean of the tokens' weights
    plus ``b`` is the logit of INJECTION (SAFE's is 0); padding and unknown words weigh nothing."""
    full = {"[PAD]": 0, "[UNK]": 1, **{t: i + 2 for t, i in vocab.items()}}
    emb = np.zeros((len(full), 2), dtype=np.float32)
    emb[2:, 1] = w
    write_bow_model(out, full, emb, np.array([0.0, b]))


def build(out: Path, max_fp: float = 0.005, vocab_size: int = 30000) -> dict[str, Any]:
    """Train on the dev split, export to ``out``, pick the threshold; the dev figures."""
    t0 = time.perf_counter()
    ins = Inspector(process=False)
    dev = [
        r
        for r in load("dev", CORPUS) + load("dev", EXTERNAL)
        if r["label"] == "benign" or r["family"] in TRAIN_POSITIVE
    ]
    docs = [tokens(" ".join(units(r, ins))) for r in dev]
    y = np.array([1 if r["label"] == "attack" else 0 for r in dev], dtype=np.float64)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    vocab = {t: i for i, (t, c) in enumerate(df.most_common(vocab_size)) if c >= 2}
    w, b = train(docs, y, vocab)
    export(out, vocab, w, b)
    model = OnnxClassifier(out, label=1, max_tokens=MAX_TOKENS)
    scores = [max(model.score(us)) if (us := units(r, ins)) else 0.0 for r in dev]
    benign = sorted((sc for sc, r in zip(scores, dev, strict=True) if r["label"] == "benign"), reverse=True)
    threshold = min(0.999, benign[int(max_fp * len(benign))] + 1e-6)
    return {
        "model": model,
        "threshold": threshold,
        "records": len(dev),
        "attacks": int(y.sum()),
        "vocabulary": len(vocab),
        "dev_attacks_flagged": sum(
            sc >= threshold for sc, r in zip(scores, dev, strict=True) if r["label"] == "attack"
        ),
        "dev_benign_flagged": sum(sc >= threshold for sc in benign),
        "dev_benign": len(benign),
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "classifier-dev")
    ap.add_argument("--max-fp", type=float, default=0.005, help="dev benign altered by the model at most")
    ap.add_argument("--vocab", type=int, default=30000)
    a = ap.parse_args()
    fit = build(a.out, a.max_fp, a.vocab)
    model, threshold = fit["model"], fit["threshold"]
    ins = Inspector(process=False)

    def best(r: dict[str, Any]) -> float:
        us = units(r, ins)
        return max(model.score(us)) if us else 0.0

    print(f"trained on {fit['records']} dev records ({fit['attacks']} attacks), vocabulary {fit['vocabulary']}, "
          f"{fit['seconds']:.0f}s; threshold {threshold:.3f} (dev benign altered by the model "
          f"{fit['dev_benign_flagged']}/{fit['dev_benign']}; "
          f"dev attacks {fit['dev_attacks_flagged']}/{fit['attacks']}); "
          f"model in {a.out}")  # fmt: skip

    judge = Judge([ROOT / "policies"], eval_tools())
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # n, rules, rules or model
    for r in load("test", CORPUS) + load("test", EXTERNAL):
        if r["label"] == "attack" and r["family"] not in POSITIVE:
            continue
        origin = r["source"].get("origin", "") if isinstance(r.get("source"), dict) else ""
        key = f"{r['label']} {r['family']} @ {origin or 'corpus'}"
        ruled = judge.judge(r)["verdict"] != "allow"
        row = rows[key]
        row[0] += 1
        row[1] += ruled
        row[2] += ruled or best(r) >= threshold
    print(f"{'test split (scored only)':<58} {'n':>5} {'rules':>13} {'rules + model':>15}")
    for key in sorted(rows):
        n, ru, both = rows[key]
        lo, hi = wilson(both, n)
        print(f"  {key:<56} {n:>5} {ru:>6} {ru / n:6.1%} {both:>6} {both / n:6.1%} [{lo:.1%}, {hi:.1%}]")
    for label in ("attack", "benign"):
        n = sum(v[0] for k, v in rows.items() if k.startswith(label))
        ru = sum(v[1] for k, v in rows.items() if k.startswith(label))
        both = sum(v[2] for k, v in rows.items() if k.startswith(label))
        print(f"  == {label:<53} {n:>5} {ru:>6} {ru / max(n, 1):6.1%} {both:>6} {both / max(n, 1):6.1%}")


if __name__ == "__main__":
    main()
