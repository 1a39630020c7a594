"""``decode._b64_runs`` finds the very matches ``_B64.finditer`` finds (it only finds them faster)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.inspect import payload
from gateway.inspect import decode

# runs of the base64 alphabet (and "=") of every length around 20, between other characters
_PIECES = st.one_of(
    st.text(alphabet="aZ09+/_-", min_size=15, max_size=25),
    st.text(alphabet="ab=", max_size=4),
    st.text(max_size=4),
    st.sampled_from([" ", ".", "\n\x00\n", "é", "==", "%2F"]),
)


def spans(it: object) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in it]  # type: ignore[attr-defined]


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_the_runs_are_finditers_matches(text: str) -> None:
    assert spans(decode._b64_runs(text)) == spans(decode._B64.finditer(text))


def test_the_runs_of_a_realistic_payload_and_of_base64() -> None:
    text = str(payload(16)) + " aGVsbG8gd29ybGQgaWdub3JlIGFsbCBwcmV2aW91cw== x" * 3
    want = spans(decode._B64.finditer(text))
    assert want and spans(decode._b64_runs(text)) == want
