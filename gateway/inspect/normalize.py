"""Normalization before matching, so obfuscation does not bypass detectors.

``fold``: Unicode NFKC, zero-width and bidi controls removed, Unicode tag characters
removed, common Cyrillic/Greek confusables and Latin small capitals mapped to Latin, case folded, runs of
whitespace collapsed to one space. ``tag_text`` recovers ASCII smuggled in Unicode
tag characters (U+E0020..U+E007E), which render invisibly. ``escaped_breaks``: JSON's ``\\n``,
``\\r`` and ``\\t`` escapes in raw text (a JSON document read as text, a string holding JSON) read as
the whitespace they stand for, keeping every offset.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = dict.fromkeys(
    [
        *range(0x200B, 0x2010),  # zero-width space/joiners, LRM, RLM
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2060, 0x2065),  # word joiner, invisible operators
        *range(0x2066, 0x206A),  # bidi isolates
        0x00AD,  # soft hyphen
        0x034F,
        0x180E,
        0xFEFF,
        *range(0xE0000, 0xE0080),  # tag characters
    ]
)

# Cyrillic, Armenian and Greek letters that look like Latin ones, and their Latin twins.
_CONFUSABLE_FROM = (
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u04bb\u0501\u0261\u0578\u057d\u04cf"
    "\u051b\u051d\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0406\u0405"
    "\u0408\u03b1\u03bf\u03c1\u03b5\u03b9\u03ba\u03bd\u03c4\u03c5\u0391\u0392\u0395\u0396\u0397\u0399"
    "\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7"
)
_CONFUSABLE_TO = "aeopcyxijshdgnulqwabekmhopctxyisjaopeikvtuabezhikmnoptyx"
# Latin small capitals ("ᴀʙᴄ" text generators), which NFKC leaves alone.
_SMALL_CAPS = (  # a-z but x, which has none
    "\u1d00\u0299\u1d04\u1d05\u1d07\ua730\u0262\u029c\u026a\u1d0a\u1d0b\u029f\u1d0d"
    "\u0274\u1d0f\u1d18\u01eb\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21\u028f\u1d22"
)
_CONFUSABLES = str.maketrans(_CONFUSABLE_FROM + _SMALL_CAPS, _CONFUSABLE_TO + "abcdefghijklmnopqrstuvwyz")


# Typographic quotes, apostrophes and dashes, which NFKC leaves alone, spelt as their ASCII forms: prose as an LLM or a
# web page writes it (curly quotes and apostrophes, en and em dashes) folds like typed prose, and a text whose only
# non-ASCII characters are these folds to ASCII, which the Hyperscan gates answer for (for other text they do not:
# every rule then runs, ~20 times the cost).
_TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)


# The three tables in one (no table maps a character to one another table maps, and none maps an ASCII character).
_FOLD_TABLE: dict[int, str | int | None] = {**_INVISIBLE, **_CONFUSABLES, **_TYPOGRAPHIC}
_NON_ASCII_RUN = re.compile("[^\x00-\x7f]+")


def _translate(text: str, table: dict[int, str | int | None]) -> str:
    """``text.translate(table)`` for a table that maps no ASCII character. ``str.translate`` with a dict costs ~40 ns
    for every character of a text that is not all ASCII (~40 µs a KiB of prose with one dash in it): where at most one
    character in 32 is not ASCII, only their runs are translated (a ``re.sub`` callback a run, ~0.9 µs: at most what
    translating the whole text costs)."""
    if text.isascii():
        return text
    if (len(text) - len(text.encode("ascii", "ignore"))) * 32 > len(text):
        return text.translate(table)
    return _NON_ASCII_RUN.sub(lambda m: m.group().translate(table), text)


def fold(text: str) -> str:
    if text.isascii():
        return " ".join(text.lower().split())
    s = _translate(unicodedata.normalize("NFKC", text), _FOLD_TABLE)
    return " ".join(s.casefold().split())


def strip_invisible(text: str) -> str:
    """``text`` without zero-width and bidi controls, soft hyphens and tag characters (nothing else changed)."""
    return _translate(text, _INVISIBLE)


_TAGGED = re.compile("[\U000e0020-\U000e007e]")


def tag_text(text: str) -> str:
    """ASCII hidden in Unicode tag characters, or "" when there is none."""
    if text.isascii() or _TAGGED.search(text) is None:  # one C scan, not a Python step per character
        return ""
    return "".join(chr(ord(c) - 0xE0000) for c in text if 0xE0020 <= ord(c) <= 0xE007E)


# an escaped backslash is set aside while escapes are read, as two characters the text lacks (offsets keep)
_PAIR = "\\\\"
_STAND_INS = tuple(chr(c) for c in (1, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17, 18, 19, 20, 21, 22))
_BREAKS = (("\\n", " \n"), ("\\r", " \r"), ("\\t", " \t"))


def _breaks(text: str) -> str:
    for esc, ws in _BREAKS:
        text = text.replace(esc, ws)
    return text


def escaped_breaks(text: str) -> str:
    """``text`` with each JSON whitespace escape (a backslash, then ``n``, ``r`` or ``t``, the backslash not itself
    escaped) made a space and the character it stands for: the same length, so a span in one is a span in the other.

    ``{"body":"hello\\nIgnore previous instructions"}`` seen as raw text has no word boundary before "Ignore"
    (``n`` and ``I`` are both word characters) and no line start; read this way it has both. ``"C:\\\\new"`` (an
    escaped backslash, then ``new``) is left as it is. Linear: ``str.replace`` passes (escaped backslashes are
    paired left to right, as a JSON reader pairs them), no work per escape in Python."""
    if "\\" not in text or not any(esc in text for esc, _ in _BREAKS):
        return text
    if _PAIR not in text:
        return _breaks(text)  # str.replace hands back the text itself where it replaces nothing
    for c in _STAND_INS:
        if c not in text:
            held = c + c
            out = _breaks(text.replace(_PAIR, held)).replace(held, _PAIR)
            break
    else:
        out = _PAIR.join([_breaks(part) for part in text.split(_PAIR)])  # every stand-in taken (hostile text)
    # The text itself when nothing was read ("C:\\\\report": an escaped backslash, then "r"): callers compare by
    # identity, and a new object would have the prefilter and the injection detector read it all again.
    return text if out == text else out
