"""The evaluation set holds floors: >= 90% of attacks caught, <= 2% false alarms, per surface."""

from __future__ import annotations

from tests.eval.report import evaluate, load_cases


def test_eval_set_is_labelled_and_balanced() -> None:
    cases = load_cases()
    assert {c["label"] for c in cases} == {"attack", "benign"}
    for surface in ("request_arg", "tool_output"):
        assert sum(c["surface"] == surface and c["label"] == "benign" for c in cases) >= 20
        assert sum(c["surface"] == surface and c["label"] == "attack" for c in cases) >= 20
    assert all(c["detector"] for c in cases if c["label"] == "attack")


def test_detection_and_false_alarm_floors() -> None:
    total, by_surface, by_detector = evaluate()
    assert total.tpr >= 0.90, total.misses
    assert total.fpr <= 0.02, total.alarms
    for name, t in by_surface.items():
        assert t.tpr >= 0.90, (name, t.misses)
        assert t.fpr <= 0.02, (name, t.alarms)
    for name, t in by_detector.items():
        assert t.tpr >= 0.75, (name, t.misses)
        assert t.fpr <= 0.02, name
