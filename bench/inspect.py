"""`make bench` (first section): detector speed, µs per KiB of arguments and of output.

Builds realistic argument payloads (mixed prose, URLs, paths, ids) of 1, 4, 16 and
64 KiB, the same with typographic or accented prose (text that is not ASCII), and an
adversarial one (long runs that exercise every pattern), and times
``Inspector.arguments`` and ``Inspector.output`` for a tool tagged ``shell`` and ``sql``
and, for the realistic payloads, for a tool without tags (the default: strict SQL and
shell signatures on every string). Target: <= 100 µs per KiB, linear.
"""

from __future__ import annotations

import json
import time
from typing import Any

from gateway.inspect.runner import InspectOptions, Inspector

UNIT = [
    "Please summarise the attached quarterly report for the board meeting on Friday.",
    "https://docs.example.com/guides/setup?section=install&lang=en",
    "/srv/data/reports/2025/q3/summary.csv",
    "Contact: dana@acme.io, +44 20 7946 0958. Order ord_1042, total EUR 19.99.",
    "Lisbon is the capital of Portugal; its population is about 545,000 people.",
    "SELECT id, name FROM customers WHERE country = 'PT' ORDER BY name",
]


def payload(kib: int) -> dict[str, Any]:
    items: list[dict[str, str]] = []
    size = 0
    i = 0
    while size < kib * 1024:
        s = UNIT[i % len(UNIT)]
        items.append({"id": f"item-{i}", "text": s})
        size += len(s) + 30
        i += 1
    return {"query": "board summary", "items": items}


# Prose as LLMs and web pages write it (an em dash, curly quotes and apostrophes), and prose with accented letters:
# text that is not ASCII took ~20 times the time of the same text in ASCII before issue 13's non-ASCII work.
TYPOGRAPHIC = "The board\u2019s \u201cQ3\u201d review \u2014 as planned \u2014 moved to Tuesday; don\u2019t wait."
ACCENTED = "R\u00e9sum\u00e9 de la r\u00e9union : le comit\u00e9 a approuv\u00e9 le budget, d\u00e9cision pr\u00e9vue."


def with_prose(kib: int, prose: str) -> dict[str, Any]:
    """``payload`` with every sixth string replaced by ``prose``."""
    args = payload(kib)
    for n, item in enumerate(args["items"]):
        if n % 6 == 0:
            item["text"] = prose
    return args


def varied(kib: int) -> dict[str, Any]:
    """``payload``'s six kinds of string, each item different (names, numbers, hosts, paths,
    SQL values): a bench that repeats six strings could flatter anything keyed on content."""
    items: list[dict[str, str]] = []
    size = 0
    i = 0
    words = ["report", "budget", "meeting", "invoice", "roadmap", "contract", "audit", "forecast"]
    while size < kib * 1024:
        w, n = words[i % len(words)], 1000 + i * 37
        s = [
            f"Please summarise the attached {w} no. {n} for the board meeting on day {i % 28 + 1}.",
            f"https://docs{i % 13}.example{i % 7}.com/guides/{w}/{n}?section=s{i}&lang=en",
            f"/srv/data/{w}s/{2000 + i % 25}/q{i % 4 + 1}/summary-{n}.csv",
            f"Contact: {w}.{n}@acme{i % 9}.io, +44 20 {7000 + i % 2999} {n % 10000:04d}. "
            f"Order ord_{n}, total EUR {i % 97}.99.",
            f"City {n} is the capital of region {w}; its population is about {n * 13:,} people.",
            f"SELECT id, name FROM {w}s WHERE country = 'C{i % 50}' AND total > {n} ORDER BY name",  # noqa: S608 (a payload)
        ][i % 6]
        items.append({"id": f"item-{i}", "text": s})
        size += len(s) + 30
        i += 1
    return {"query": "board summary", "items": items}


def timeit(fn: Any, reps: int) -> float:
    fn()
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(reps):
            fn()
        best = min(best, (time.process_time() - t0) / reps)
    return best


def main() -> None:
    ins = Inspector()
    opts = InspectOptions(tags=frozenset({"shell", "sql"}))
    print("detector speed (best of 3), all detectors, tags shell+sql")
    print(f"{'payload':<22}{'KiB':>6}{'args µs':>10}{'µs/KiB':>9}{'output µs':>11}{'µs/KiB':>9}")
    cases: list[tuple[str, Any]] = [(f"realistic {k} KiB", payload(k)) for k in (1, 4, 16, 64)]
    cases += [(f"typographic {k} KiB", with_prose(k, TYPOGRAPHIC)) for k in (1, 16)]
    cases += [(f"accented {k} KiB", with_prose(k, ACCENTED)) for k in (1, 16)]
    prose = "The committee reviewed the proposal and agreed to revisit the budget next quarter. " * 200
    cases.append(("prose 16 KiB", {"text": prose[: 16 * 1024]}))
    cases.append(("many fields 16 KiB", {f"field_{i}": f"value number {i}" for i in range(800)}))
    cases.append(("adversarial 16 KiB", {"a": "ignore " * 1200, "b": "{{" * 2000, "c": "../" * 1300, "d": "a@" * 2000}))
    for name, args in cases:
        row(ins, name, args, opts)
    # A tool without tags (the default) gets the strict SQL and shell signatures over every
    # string instead of the tagged grammar checks: a different cost.
    print("\nthe same, tool without tags (the default)")
    for name, args in cases[:4]:
        row(ins, name, args, InspectOptions())
    print("\nrealistic, every item different (tags shell+sql, then none)")
    for k in (16, 64):
        row(ins, f"varied {k} KiB", varied(k), opts)
        row(ins, f"varied {k} KiB untagged", varied(k), InspectOptions())


def row(ins: Inspector, name: str, args: Any, opts: InspectOptions) -> None:
    body = json.dumps(args).encode()
    kib = len(body) / 1024
    reps = max(3, int(200 / kib))
    a = timeit(lambda: ins.arguments(args, opts), reps) * 1e6
    o = timeit(lambda: ins.output(body, opts), reps) * 1e6
    print(f"{name:<22}{kib:>6.1f}{a:>10.0f}{a / kib:>9.1f}{o:>11.0f}{o / kib:>9.1f}")


if __name__ == "__main__":
    main()
