"""Optional model detector: a local ONNX text-classification model scores strings.

The operator points ``classifier.path`` at a directory in the usual Hugging Face export
layout (``model.onnx`` + ``tokenizer.json``), e.g. a prompt-injection model of their
choice exported with ``optimum``. Nothing is downloaded: the files are loaded once at
start-up with ``onnxruntime`` and ``tokenizers`` (the ``callgate[classifier]`` extra).

Per call the stage hands over the strings it inspects (arguments, or the output): they
are cut to ``max_chars``, batched (``batch_size``), tokenized (truncated to
``max_tokens``) and run in a worker thread, never on the event loop. The whole call
has a latency budget (``budget_ms``); a model that cannot answer in time, or fails,
gives one finding ``classifier_unavailable`` (high: the call is denied) when
``fail: closed``, or lets the call through when ``fail: open`` — counted in
``callgate_fail_open_calls{check="classifier"}`` and listed in the record's
``fail_open``. A string scoring at or above ``threshold`` for the configured label is
a finding ``detector: classifier, kind: model_injection``, which policy treats like
any other (high: deny an argument, block an output).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.errors import ConfigError
from gateway.inspect.base import Target, excerpt, finding
from gateway.model import Finding, Surface

if TYPE_CHECKING:
    from gateway.config import ClassifierConfig
    from gateway.metrics import Metrics

NAME = "classifier"
OWASP = ("LLM01", "ASI01")


class ClassifierError(RuntimeError):
    """The model could not be loaded (at start-up: a configuration error)."""


@dataclass(frozen=True, slots=True)
class Scored:
    path: str
    text: str
    score: float


class OnnxClassifier:
    """A loaded model: ``score(texts) -> [p(label)]``, synchronous (call it from a thread)."""

    def __init__(self, path: Path, *, label: int | str, max_tokens: int, threads: int = 1) -> None:
        try:
            import numpy as np
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:  # pragma: no cover - the extra is in dev, so tests have it
            raise ClassifierError(
                "the classifier detector needs the 'classifier' extra: pip install 'callgate[classifier]'"
            ) from e
        model, tok = path / "model.onnx", path / "tokenizer.json"
        for f in (model, tok):
            if not f.is_file():
                raise ClassifierError(f"classifier.path: {f} does not exist")
        self._np = np
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(model), sess_options=opts, providers=["CPUExecutionProvider"])
            self.tokenizer = Tokenizer.from_file(str(tok))
        except Exception as e:  # onnxruntime raises its own exception types
            raise ClassifierError(f"classifier.path: cannot load the model in {path}: {e}") from e
        self.tokenizer.enable_truncation(max_length=max_tokens)
        pad_id = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id)
        self.inputs = {i.name for i in self.session.get_inputs()}
        if "input_ids" not in self.inputs:
            raise ClassifierError(f"classifier.path: {model} has no 'input_ids' input (found {sorted(self.inputs)})")
        self.label_index = self._label_index(path, label)
        self._lock = threading.Lock()  # one run at a time per session: bounded CPU

    @staticmethod
    def _label_index(path: Path, label: int | str) -> int:
        if isinstance(label, int):
            return label
        import json

        cfg = path / "config.json"
        if cfg.is_file():
            id2label = json.loads(cfg.read_text(encoding="utf-8")).get("id2label", {})
            for k, v in id2label.items():
                if str(v).lower() == label.lower():
                    return int(k)
        raise ClassifierError(f"classifier.label: no label {label!r} in {cfg} (id2label)")

    def score(self, texts: Sequence[str]) -> list[float]:
        np = self._np
        encs = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        feed: dict[str, Any] = {"input_ids": ids}
        if "attention_mask" in self.inputs:
            feed["attention_mask"] = np.array([e.attention_mask for e in encs], dtype=np.int64)
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            out = self.session.run(None, feed)[0]
        arr = np.asarray(out, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] <= self.label_index:
            raise ClassifierError(f"model output has shape {arr.shape}; expected [batch, labels]")
        if not (np.all(arr >= 0) and np.allclose(arr.sum(axis=1), 1.0, atol=1e-3)):  # logits: softmax them
            arr = np.exp(arr - arr.max(axis=1, keepdims=True))
            arr = arr / arr.sum(axis=1, keepdims=True)
        return [float(x) for x in arr[:, self.label_index]]


class ClassifierDetector:
    """Async front: batches, a worker thread, the latency budget and the fail setting."""

    def __init__(
        self,
        model: OnnxClassifier,
        *,
        threshold: float,
        batch_size: int,
        max_chars: int,
        max_strings: int,
        budget_ms: float,
        fail: str,
        surfaces: Sequence[str],
        min_chars: int = 8,
    ) -> None:
        self.model = model
        self.threshold = threshold
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.max_strings = max_strings
        self.budget_s = budget_ms / 1000
        self.fail_closed = fail == "closed"
        self.surfaces = frozenset(surfaces)
        self.min_chars = min_chars
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="classifier")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, texts: list[str]) -> list[float]:
        scores: list[float] = []
        for i in range(0, len(texts), self.batch_size):
            scores.extend(self.model.score(texts[i : i + self.batch_size]))
        return scores

    async def findings(self, strings: Sequence[tuple[str, str]], surface: Surface) -> tuple[list[Finding], bool]:
        """Findings for ``(text, path)`` pairs, and whether the model could not answer
        (a fail-open pass the caller must record)."""
        if surface not in self.surfaces:
            return [], False
        todo = [(t[: self.max_chars], p) for t, p in strings if len(t.strip()) >= self.min_chars][: self.max_strings]
        if not todo:
            return [], False
        loop = asyncio.get_running_loop()
        try:
            fut = loop.run_in_executor(self._pool, self._run, [t for t, _ in todo])
            scores = await asyncio.wait_for(fut, self.budget_s)
        except Exception as e:  # timeout, model error: the check could not run
            if not self.fail_closed:
                return [], True
            t = Target("", "", surface, "")
            why = "timed out" if isinstance(e, TimeoutError) else type(e).__name__
            return [finding(NAME, t, "classifier_unavailable", "high", OWASP, why, 1.0)], False
        out: list[Finding] = []
        for (text, path), s in zip(todo, scores, strict=True):
            if s >= self.threshold:
                t = Target(text, None, surface, path)
                ev = f"score={s:.3f} " + excerpt(text, 0, len(text), width=40)
                out.append(finding(NAME, t, "model_injection", "high", OWASP, ev, round(s, 3)))
        return out, False


def build_classifier(cfg: ClassifierConfig | None, metrics: Metrics) -> ClassifierDetector | None:
    """The configured detector, loaded now (start-up), or None; a bad model is a ConfigError."""
    if cfg is None:
        return None
    try:
        model = OnnxClassifier(cfg.path, label=cfg.label, max_tokens=cfg.max_tokens, threads=cfg.threads)
    except ClassifierError as e:
        raise ConfigError([("classifier", str(e))]) from e
    metrics.fail_open.labels(NAME).set(1 if cfg.fail == "open" else 0)
    return ClassifierDetector(
        model,
        threshold=cfg.threshold,
        batch_size=cfg.batch_size,
        max_chars=cfg.max_chars,
        max_strings=cfg.max_strings,
        budget_ms=cfg.budget_ms,
        fail=cfg.fail,
        surfaces=cfg.surfaces,
    )


def windows(text: str, size: int, limit: int) -> list[tuple[str, str]]:
    """An output cut into ``size``-character windows (overlapping by a tenth), at most ``limit``."""
    step = max(1, size - size // 10)
    return [(text[i : i + size], "") for i in range(0, max(1, len(text)), step)][:limit]
