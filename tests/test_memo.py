"""``gateway.memo.Memo``: bounded, oldest first out, a known key replaced in place."""

from __future__ import annotations

from gateway.memo import Memo


def test_a_memo_holds_at_most_its_size_and_drops_the_oldest() -> None:
    m: Memo[int, str] = Memo(3)
    for i in range(5):
        assert m.put(i, str(i)) == str(i)
    assert list(m.items()) == [(2, "2"), (3, "3"), (4, "4")]
    m.put(3, "three")  # known: replaced, nothing dropped
    assert list(m) == [2, 3, 4] and m[3] == "three"
    m.put(5, "5")
    assert list(m) == [3, 4, 5] and m.get(2) is None
