"""Payment cards by shape: numbers printed as cards are (one run of 13-19 digits, or groups of
4-4-4-4(-3), 4-6-5, 4-6-4) are found; spaced runs of short digit groups that happen to pass Luhn
(phone numbers, table columns, version lists) are not, nor are columns of four-digit numbers.

Both sides come from generators of our own; each look-alike is one the former rule (any 13-19
digits with optional single separators, Luhn-valid) did flag, so the test fails if the shape check
goes."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from gateway.inspect import pii
from gateway.inspect.runner import InspectOptions, Inspector

INS = Inspector()
_FORMER = re.compile(r"[3-6](?:[ -]?\d){12,18}(?![\d-])")


def cards(args: Any) -> list[str]:
    return [f.evidence for f in INS.arguments(args, InspectOptions()) if f.kind == "payment_card"]


def out_cards(text: str) -> list[str]:
    found, _ = INS.output(text.encode(), InspectOptions())
    return [f.evidence for f in found if f.kind == "payment_card"]


def former_flags(text: str) -> bool:
    """The rule before card shapes: any such run, with the same token boundaries, Luhn-valid."""
    for m in _FORMER.finditer(text):
        if not pii._left_ok(text, m.start(), "-.") or (
            m.end() < len(text) and (text[m.end()].isalnum() or text[m.end()] in "_.")
        ):
            continue
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and pii.luhn(digits):
            return True
    return False


def _luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return next(body + d for d in "0123456789" if pii.luhn(body + d))


def _group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(digits[i : i + n])
        i += n
    return sep.join(out)


# (issuer prefix, length, grouping)
_CARD_FORMS = [
    ("4", 16, (4, 4, 4, 4)),
    ("51", 16, (4, 4, 4, 4)),
    ("55", 16, (4, 4, 4, 4)),
    ("6011", 16, (4, 4, 4, 4)),
    ("4", 19, (4, 4, 4, 4, 3)),
    ("34", 15, (4, 6, 5)),
    ("37", 15, (4, 6, 5)),
    ("36", 14, (4, 6, 4)),
    ("4", 13, ()),
    ("4", 16, ()),
    ("37", 15, ()),
    ("6", 19, ()),
]
_CARD_FRAMES = [
    "card {}",
    "Card number: {} exp 12/29",
    "please charge {} for the renewal",
    "My card is {}.",
    "{}",
    "visa={}, cvv on file",
    "paid with ({}) yesterday",
    "number {} 123",  # a CVV after it
]


def real_cards(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        prefix, length, sizes = _CARD_FORMS[i % len(_CARD_FORMS)]
        digits = _luhn_complete(rng, prefix, length)
        number = _group(digits, sizes, rng.choice(" -")) if sizes else digits
        out.append(rng.choice(_CARD_FRAMES).format(number))
    return out


def _run(rng: random.Random, sizes: list[int], sep: str) -> str:
    return sep.join("".join(rng.choice("0123456789") for _ in range(n)) for n in sizes)


def lookalikes(n: int, seed: int = 11) -> list[str]:
    """Spaced digit runs the former rule flagged: phone numbers, table rows, version lists, columns."""
    rng = random.Random(seed)
    makers = [
        # phone numbers spaced in twos and threes
        lambda: f"call {rng.choice('3456')}{_run(rng, [2, 3, 2, 2, 3, 2], ' ')} after six",
        lambda: f"tel: {rng.choice('3456')}{_run(rng, [2, 3, 3, 2, 2], '-')} (office)",
        # a table row of small counts
        lambda: "| " + " ".join(str(rng.randint(30, 699)) for _ in range(rng.randint(5, 8))) + " |",
        lambda: "totals " + " ".join(str(rng.randint(30, 99)) for _ in range(rng.randint(7, 9))),
        # a list of versions or ports
        lambda: "supported: " + " ".join(str(rng.randint(3, 6)) + str(rng.randint(0, 99)) for _ in range(7)),
        lambda: "ports " + " ".join(str(rng.randint(300, 699)) for _ in range(rng.randint(5, 6))),
        # a column of four-digit numbers, five or more of them
        lambda: "years " + " ".join(str(rng.randint(3000, 6999)) for _ in range(rng.randint(5, 7))),
        # grouped but not as a card: 3-3-3-3-3, 2-4-4-4, 4-4-4-2-2
        lambda: f"ref {rng.choice('3456')}{_run(rng, [2, 3, 3, 3, 3], ' ')}",
        lambda: f"code {rng.choice('3456')}{_run(rng, [1, 4, 4, 4], ' ')}",
        lambda: f"batch {rng.choice('3456')}{_run(rng, [3, 4, 4, 2, 2], ' ')}",
    ]
    out: list[str] = []
    for i, make in enumerate(makers):
        want = n * (i + 1) // len(makers)
        for _ in range(20_000):  # each maker makes its share (about one text in ten passes Luhn)
            if len(out) == want:
                break
            if former_flags(text := make()):
                out.append(text)
    return out


def test_the_generators_make_what_they_claim() -> None:
    real = real_cards(240)
    fake = lookalikes(330)
    assert len(fake) == 330 and len(set(fake)) > 300
    # the former rule found these too, but for a number at a sentence's end (or before a CVV)
    assert all(former_flags(t) for t in real if not t.endswith((" 123", ".")))
    assert not any(former_flags(t) for t in real if t.endswith("."))
    assert {len(re.sub(r"\D", "", t)) for t in real} >= {13, 14, 15, 16, 19}


def test_real_card_formats_are_found() -> None:
    missed = [t for t in real_cards(240) if not cards({"v": t})]
    assert not missed, missed[:5]
    missed = [t for t in real_cards(60, seed=8) if not out_cards(f"<p>Order notes: {t}</p>")]
    assert not missed, missed[:5]


def test_spaced_digit_runs_that_pass_luhn_are_not_cards() -> None:
    flagged = [t for t in lookalikes(330) if cards({"v": t})]
    assert not flagged, flagged[:5]
    flagged = [t for t in lookalikes(60, seed=12) if out_cards(t)]
    assert not flagged, flagged[:5]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("card 4111 1111 1111 1111 123", True),  # the CVV is not part of it
        ("My card is 4111 1111 1111 1111.", True),
        ("4111-1111-1111-1111 123", True),
        ("4111 1111-1111 1111", False),  # two separators
        ("3000 4111 1111 1111 1111", False),  # the tail of a column
        ("4111 1111 1111 1111 2222", False),  # the head of one
        ("trace 4111111111111111.7", False),
        ("41 11 11 11 11 11 11 11", False),
    ],
)
def test_card_shapes_and_boundaries(text: str, want: bool) -> None:
    assert bool(cards({"v": text})) is want
