"""Encoded text, decoded so every detector sees what an encoding hides.

``variants(raw)`` finds the encoded spans of a string (base64 / base64url, base32,
base16 in runs or spaced pairs, ascii85 between ``<~ ~>``, percent-encoding including
``%uXXXX`` and overlong UTF-8, HTML character references, ``\\uXXXX``/``\\xXX``
escapes, rot13, and spellings a model reads but a pattern does not: quoted-printable,
uuencode, Morse, the NATO alphabet, Braille, combining-mark noise, reversed and upside-down
text, binary digits, character codes in decimal or octal, ascii85 without its fence, Caesar shifts
and Atbash) and returns their decoded forms.
``DecodedDetector`` runs every other detector on each variant; its findings carry the encoding in their kind
(``<kind>_via_<encoding>``) and have no span (they cannot be redacted in place, so an
output policy that asks to strip them blocks the output instead).

Bounded: at most ``MAX_VARIANTS`` decoded texts per string, each at most
``MAX_DECODED`` characters, decoded at most ``MAX_DEPTH`` levels deep (base64 of
percent-encoding, ...). Every pattern is a flat run of one character class.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import itertools
import math
import quopri
import re
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from urllib.parse import unquote

from gateway.inspect.base import JOINED_SEP, PLAIN, Detector, Hit, Target
from gateway.inspect.normalize import escaped_breaks, strip_invisible
from gateway.inspect.prefilter import ARG_GATES, PatternGate, shadow_bytes

MAX_VARIANTS = 8
MAX_DECODED = 64 * 1024
MAX_DEPTH = 2
MAX_INPUT = 256 * 1024  # longer strings are decoded up to this length

_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,}={0,2}")  # from a run's start only: linear
_HEX_SPACED = re.compile(r"(?:[2-7][0-9A-Fa-f][ :]){11,}[2-7][0-9A-Fa-f]")  # spaced hex of ASCII text
_HEXCHARS = frozenset("0123456789abcdefABCDEF")
_B32CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_A85 = re.compile(r"<~([!-u\s]{10,}?)~>")
_PCT = re.compile(r"%(?:[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z]{2,10};)")
_ESCAPE = re.compile(r"\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2})")
_PCT_U = re.compile(r"%u([0-9A-Fa-f]{4})")
# Overlong UTF-8 spellings of "." "/" "\" that servers used to accept.
_OVERLONG = {
    "%c0%ae": ".",
    "%e0%80%ae": ".",
    "%c0%2e": ".",
    "%c1%8e": ".",
    "%c0%af": "/",
    "%e0%80%af": "/",
    "%c1%9c": "\\",
    "%c1%1c": "\\",
    "%c0%5c": "\\",
    "%c1%af": "/",
}
_OVERLONG_RX = re.compile("|".join(re.escape(k) for k in _OVERLONG), re.I)
# Words that show a text is English once rot13 is undone (and not before).
_ROT_WORDS = re.compile(r"\b(?:the|you|and|ignore|previous|instructions|send|system|prompt|password|all|your)\b")

PATTERNS = {
    "b64": _B64,
    "hex_spaced": _HEX_SPACED,
    "a85": _A85,
    "pct": _PCT,
    "entity": _ENTITY,
    "escape": _ESCAPE,
    "rot_words": _ROT_WORDS,
}


def _printable(s: str) -> bool:
    if len(s) < 6:
        return False
    good = sum(1 for c in s if c.isprintable() or c in "\n\r\t")
    return good >= 0.95 * len(s) and sum(c.isalpha() for c in s) >= 0.3 * len(s)


def _text(b: bytes) -> str | None:
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return s if _printable(s) else None


def _unpct(s: str) -> str:
    s = _OVERLONG_RX.sub(lambda m: _OVERLONG[m.group(0).lower()], s)
    s = _PCT_U.sub(lambda m: chr(int(m.group(1), 16)), s)
    return unquote(s)


def _url_all(s: str) -> str:
    for _ in range(3):  # %252e -> %2e -> .
        nxt = _unpct(s)
        if nxt == s:
            break
        s = nxt
    return s


def _html_all(s: str) -> str:
    s = html.unescape(s)
    return html.unescape(s) if "&" in s else s


def _esc_all(s: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(0)[2:], 16)), s)


_CONTEXT = 200  # characters of context kept around an encoded run
_MAX_RUNS = 64


def _windows(raw: str, rx: re.Pattern[str], dec: Callable[[str], str]) -> str | None:
    """``raw`` with its encoded runs decoded: the whole text when the encoding is dense,
    else only windows of ``_CONTEXT`` characters around each run (a few escapes in a long
    text should not make every detector rescan all of it)."""
    spans: list[list[int]] = []
    covered = 0
    for m in rx.finditer(raw):
        covered += m.end() - m.start()
        if spans and m.start() - spans[-1][1] <= 2 * _CONTEXT:
            spans[-1][1] = m.end()
        else:
            if len(spans) >= _MAX_RUNS:
                break
            spans.append([m.start(), m.end()])
    if not spans:
        return None
    if covered * 5 >= len(raw) or len(raw) <= 4 * _CONTEXT:
        return dec(raw)
    parts = [dec(raw[max(0, a - _CONTEXT) : b + _CONTEXT]) for a, b in spans]
    return JOINED_SEP.join(parts)


def _one_level(raw: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if len(raw) > MAX_INPUT:
        raw = raw[:MAX_INPUT]

    def push(via: str, s: str | None) -> bool:
        if s and s != raw and len(out) < MAX_VARIANTS:
            out.append((via, s[:MAX_DECODED]))
        return len(out) >= MAX_VARIANTS

    for rx, via, dec in (
        (_PCT, "url", _url_all),
        (_ENTITY, "html_entities", _html_all),
        (_ESCAPE, "escapes", _esc_all),
    ):
        if (via == "url" and "%" not in raw) or (via == "html_entities" and "&" not in raw):
            continue
        if via == "escapes" and "\\" not in raw:
            continue
        s = _windows(raw, rx, dec)
        if s is not None and push(via, s):
            return out
    if "<~" in raw:
        for m in _A85.finditer(raw):
            try:
                b = base64.a85decode(m.group(1).encode(), ignorechars=b" \t\n\r")
            except (ValueError, binascii.Error):
                continue
            if push("ascii85", _text(b)):
                return out
    # spaced hex of text has spaces (20) and common letters (e: 65, t: 74, o: 6f)
    gate = _GATE.possible(raw)  # one Hyperscan pass for the spaced-hex, rot13 and spelled-out gates
    for m in _HEX_SPACED.finditer(raw) if _spaced_hex(raw, gate) else ():
        try:
            b = bytes.fromhex(m.group(0).replace(":", " "))
        except ValueError:
            continue
        if push("base16", _text(b)):
            return out
    for m in _b64_runs(raw):  # one pass: hex and base32 runs are base64-alphabet runs too
        chunk = m.group(0)
        if (chunk.isalpha() and not chunk.isupper()) or chunk.isdigit():  # a long word or number
            continue
        if chunk[0] == "/" or chunk.count("/") >= 4:  # a path, not base64
            continue
        body = chunk.rstrip("=")
        decoded: str | None = None
        if len(body) >= 24 and _HEXCHARS.issuperset(body):
            try:
                decoded = _text(bytes.fromhex(body[: len(body) // 2 * 2]))
            except ValueError:
                decoded = None
            if push("base16", decoded):
                return out
            continue
        if len(body) >= 24 and _B32CHARS.issuperset(body):
            try:
                decoded = _text(base64.b32decode(body + "=" * (-len(body) % 8)))
            except (ValueError, binascii.Error):
                decoded = None
            if decoded is not None:
                if push("base32", decoded):
                    return out
                continue
        try:
            if "-" in body or "_" in body:
                b = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            else:
                b = base64.b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, binascii.Error):
            continue
        if push("base64", _text(b)):
            return out
    # rot13, judged per string of a joined scan (a separator splits them). A hint (no
    # separator in it) is in some string's lower-cased text only if it is in the whole
    # text's: one look there first, not a lower() and nine ``in`` per string (~15 µs/KiB).
    if _rot_hint(raw, gate):
        for seg in raw.split(JOINED_SEP)[:_MAX_RUNS]:
            if not 24 <= len(seg) <= _ROT_MAX:
                continue
            low = seg.lower()
            if not any(h in low for h in _ROT_HINTS):
                continue
            rot = codecs.decode(low, "rot13")
            if len(_ROT_WORDS.findall(rot)) >= 3 + 2 * len(_ROT_WORDS.findall(low)) and push("rot13", rot):
                return out
    for via, s in _spelled(raw, gate):
        if push(via, s):
            return out
    return out


_B64_CLASS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
# a byte of the base64 alphabet (both) -> "a", any other -> " "
_B64_MAP = bytes(0x61 if b in _B64_CLASS else 0x20 for b in range(256))
_B64_MIN = b"a" * 20


# Spellings a model reads but a pattern does not: quoted-printable, uuencode, Morse code,
# the NATO alphabet, Braille, combining-mark noise ("zalgo"), reversed text. Each has a
# cheap gate (a literal, a count or a character range) before any regex runs.
_QP = re.compile(r"(?:=[0-9A-Fa-f]{2}|[^=\s]){1,64}(?:=[0-9A-Fa-f]{2}[^=\s]{0,64}){2,4096}")
_UU = re.compile(r"begin [0-7]{3} [^\n]{1,255}\n((?:[!-`]{1,61}\n){1,4096})")
_MORSE_RUN = re.compile(r"(?:[.-]{1,7}(?: / | |/)){10,4096}[.-]{1,7}")
_MORSE = {
    ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g", "....": "h", "..": "i",
    ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n", "---": "o", ".--.": "p", "--.-": "q", ".-.": "r",
    "...": "s", "-": "t", "..-": "u", "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z",
    "-----": "0", ".----": "1", "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6",
    "--...": "7", "---..": "8", "----.": "9", ".-.-.-": ".", "--..--": ",", "..--..": "?", "-..-.": "/",
}  # fmt: skip
_NATO_WORDS = ["alfa", "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
               "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
               "uniform", "victor", "whiskey", "xray", "x-ray", "yankee", "zulu"]  # fmt: skip
# A word gap is a separator run or a spelled-out "space" / "stop" / "break".
_NATO_RUN = re.compile(
    r"\b(?:(?:" + "|".join(_NATO_WORDS) + r"|space|stop|break)\b[\s,.;/()\[\]-]{1,12}){6,4096}", re.I
)
_NATO_WORD = re.compile(r"[a-z]+(?:-ray)?")
_NATO_GAP = frozenset({"space", "stop", "break"})
_NATO_HINTS = ("echo", "india", "oscar", "romeo", "sierra", "tango", "alfa", "alpha", "charlie")
# Grade 1 Braille (U+2800 block): letters and the blank cell.
_BRAILLE = str.maketrans("⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚⠅⠇⠍⠝⠕⠏⠟⠗⠎⠞⠥⠧⠺⠭⠽⠵⠀", "abcdefghijklmnopqrstuvwxyz ")
_BRAILLE_RUN = re.compile(r"[\u2800-\u28ff][\u2800-\u28ff ]{7,4096}")
_MARKS = re.compile(r"[\u0300-\u036f\u0483-\u0489\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_MARKS_DENSE = re.compile(r"[\u0300-\u036f\u0483-\u0489\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{3}")
# Reversed common words of injections and markup ("snoitcurtsni", "erongi", ">tpircs<").
_REV_HINTS = ("snoitcurtsni", "erongi", "tpmorp", "drowssap", "tpircs<", "metsys", "suoiverp")
# Word order reversed ("prompt system the reveal and instructions previous all ignore"): pairs of an
# injection's words that English does not write in that order.
_ORDER_HINTS = ("instructions previous", "instructions prior", "instructions earlier", "prompt system",
                "rules previous", "rules prior", "password secret")  # fmt: skip
_REVERSAL_HINTS = (*_REV_HINTS, *_ORDER_HINTS)  # either kind: the gate in front of both


# Shift ciphers (Caesar, any shift but rot13's, which has its own hints; Atbash, the mirrored
# alphabet). The gate: "the", "you" or "and" enciphered, between spaces. Then the letter counts say
# which decoding reads most like English, and the common words decide, as for rot13.
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UNSHIFT = {k: str.maketrans(_LOWER, _LOWER[-k:] + _LOWER[:-k]) for k in range(1, 26) if k != 13}
_ATBASH = str.maketrans(_LOWER, _LOWER[::-1])
_SHIFT_WORDS = sorted(
    {w.translate(str.maketrans(_LOWER, _LOWER[k:] + _LOWER[:k])) for w in ("the", "you", "and") for k in _UNSHIFT}
    | {w.translate(_ATBASH) for w in ("the", "you", "and")}
)
# (between two spaces: as a ``\b`` word, or followed by a mark, Hyperscan's pass takes 4-5x as long)
_SHIFT_HINT = re.compile(r" (?:" + "|".join(_SHIFT_WORDS) + r") ", re.I)
# English letter frequencies (per mille), for the log-likelihood of a decoding.
_EN = (82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20, 1)  # a..z
_LOG_EN = [math.log(f) for f in _EN]


def _unshift(low: str) -> tuple[str, str] | None:
    """("caesar" or "atbash", the decoded text) when a shift or the mirror makes ``low`` (lower
    case) read more like English than it does, and brings at least three common words more."""
    counts = [low.count(c) for c in _LOWER]
    if sum(counts) < 20:
        return None
    seen = [(i, n) for i, n in enumerate(counts) if n]

    def score(shift: int) -> float:  # cipher letter i is plain letter i - shift
        return sum(n * _LOG_EN[(i - shift) % 26] for i, n in seen)

    best, best_via, best_table = score(0), "", None
    for k, table in _UNSHIFT.items():
        if (sc := score(k)) > best:
            best, best_via, best_table = sc, "caesar", table
    if sum(n * _LOG_EN[25 - i] for i, n in seen) > best:
        best_via, best_table = "atbash", _ATBASH
    if best_table is None:
        return None
    dec = low.translate(best_table)
    if len(_ROT_WORDS.findall(dec)) >= 3 + 2 * len(_ROT_WORDS.findall(low)):
        return best_via, dec
    return None


# Upside-down text: the string reversed, letters turned (IPA and Latin look-alikes; b/q, d/p
# and n/u swap). Gated by three or more turned letters that no alphabet writes as text.
_TURNED = str.maketrans(
    {"\u0250": "a", "\u0254": "c", "\u01dd": "e", "\u025f": "f", "\u0183": "g", "\u0265": "h", "\u1d09": "i",
     "\u027e": "j", "\u029e": "k", "\u026f": "m", "\u0279": "r", "\u0287": "t", "\u028c": "v", "\u028d": "w",
     "\u028e": "y", "b": "q", "q": "b", "d": "p", "p": "d", "n": "u", "u": "n"}
)  # fmt: skip
_TURNED_ONLY = re.compile("[\u0250\u01dd\u0265\u1d09\u0279\u0287\u028c\u028d\u028e\u029e\u026f]")

# Bytes written as groups of eight binary digits ("01001001 01100111 ...").
_BINARY_RUN = re.compile(r"(?:[01]{8}[ ,;]?){8,8192}")
_BINARY_GATE = re.compile(r"[01]{8}[ ,;]?[01]{8}")
# Character codes written out: decimal ("105 103 110 ...", "105,103,110"), octal ("151 147 156") or
# octal escapes ("\\151\\147"); twelve or more in a row.
_CODES_RUN = re.compile(r"(?<![\d.])(?:\d{2,3}(?:, ?|[ ;]|\\(?=\d))){11,8192}\d{2,3}(?![\d.])|(?:\\[0-7]{3}){12,8192}")
# gate: the code of a space, "(" or "<" between separators (decimal 32, 40, 60; octal 40, 50, 74): a
# sentence or a script spelt in codes holds one, and the literals cost Hyperscan next to nothing
_CODES_GATE = re.compile(r"[ ,;](?:32|40|50|60|74)[ ,;]|\\0[4-7][0-7]")
_CODES_START = re.compile(r"(?:\d{2,3}(?:, ?|[ ;])){5}\d{2,3}|(?:\\[0-7]{3}){6}")
# ascii85 without its "<~ ~>" fence: a run of its alphabet ("!" to "u") with no space, five groups or
# more (``_bare_a85``), holding characters base64 has not (so neither a base64 run nor a word)
# gate: four groups of ASCII text in a row (each fifth character "!" to "J"); a plain run of the
# alphabet ("[!-u]{25}") is in every URL tail and path, and finding runs in Python then cost ~8 µs/KiB
_A85_GATE = re.compile(r"[!-J][!-u]{4}[!-J][!-u]{4}[!-J][!-u]{4}[!-J]")
_A85_MAP = bytes(0x61 if 0x21 <= b <= 0x75 else 0x20 for b in range(256))  # its alphabet -> "a", else " "
_A85_MIN = b"a" * 25
_A85_BEFORE = frozenset(" \t\r\n\x00\"'=:([{,")  # a token starts after these
_TAG = re.compile(r"</?[a-z][a-z0-9]{0,9}>")
_NOT_B64 = frozenset("!\"#$%&'(),.:;<>?@[\\]^`")


def _bare_a85(raw: str) -> Iterator[tuple[str, str]]:
    """ascii85 runs without the fence that decode to text (``raw`` is ASCII). A run of its alphabet
    starts at a token's start (not inside a word: "ex|ample.com/..."), markup in it ("<p>...</p>")
    splits it, and a piece is tried only where a group of ASCII text can start: each fifth character
    "!" to "J" (a group < 2**31). A piece that is base64's alphabet only or a URL is not tried, nor
    one whose first five groups do not decode to text; random bytes are rarely 95% printable, so
    ``_text`` is the test."""
    mapped = raw.encode("ascii").translate(_A85_MAP)
    pos = mapped.find(_A85_MIN)
    for _ in range(4 * _MAX_RUNS):
        if pos < 0:
            return
        start = mapped.rfind(b" ", 0, pos) + 1
        end = mapped.find(b" ", pos)
        end = len(raw) if end < 0 else end
        pos = mapped.find(_A85_MIN, end)
        if raw[start] > "J" and raw[start] != "<":
            continue  # a lower-case word or URL tail, no markup in front: no group starts there
        inside_word = start > 0 and raw[start - 1] not in _A85_BEFORE
        for i, piece in enumerate(_TAG.split(raw[start:end])[:_MAX_RUNS]):
            if i == 0 and inside_word:  # the pieces after a tag start a token
                continue
            if len(piece) < 25 or max(piece[::5]) > "J" or _NOT_B64.isdisjoint(piece) or "://" in piece:
                continue
            try:  # the first five groups first: the whole piece only if they are text (~0.4 µs a character)
                if _text(base64.a85decode(piece[:25].encode())) is None:
                    continue
                b = base64.a85decode(piece.encode())
            except (ValueError, binascii.Error):
                continue
            if (text := _text(b)) is not None:
                yield "ascii85", text
                return


def _binary(raw: str) -> str | None:
    """The text the first run of eight-bit groups in ``raw`` spells, if it is text."""
    m = _BINARY_RUN.search(raw)
    if m is None:
        return None
    bits = re.sub(r"[ ,;]", "", m.group(0))
    return _text(bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits) - 7, 8)))


def _codes(run: str) -> str | None:
    """The text a run of character codes spells: decimal if every code is printable ASCII that way,
    else octal (text or markup: a script spelt in codes is ``String.fromCharCode``'s classic)."""
    nums = re.findall(r"\d{2,3}", run)
    for base in (10, 8):
        try:
            codes = [int(n, base) for n in nums]
        except ValueError:
            continue
        if all(32 <= c <= 126 for c in codes):
            return _text("".join(map(chr, codes)).encode())
    return None


_QP_GATE = re.compile(r"=3[Cc]|=20")
_UU_GATE = re.compile(r"begin [0-7]{3} ")
_MORSE_GATE = re.compile(r"(?:\.-|-\.)")


def _spelled(raw: str, gate: AbstractSet[int] | None) -> Iterator[tuple[str, str]]:
    """Decoded spelled-out forms. ``gate``: ``_GATE``'s answer on ``raw`` (None: not ASCII or
    no engine; the literal tests decide)."""
    qp = 2 in gate if gate is not None else ("=3C" in raw or "=3c" in raw or "=20" in raw)
    if qp and (m := _QP.search(raw)) is not None:
        yield "quoted_printable", quopri.decodestring(m.group(0).encode()).decode("utf-8", "replace")
    if (3 in gate if gate is not None else "begin " in raw) and (m := _UU.search(raw)) is not None:
        try:
            data = b"".join(binascii.a2b_uu(line) for line in m.group(1).split("\n") if line)
        except binascii.Error:
            data = b""
        if (text := _text(data)) is not None:
            yield "uuencode", text
    morse = 4 in gate if gate is not None else True
    if morse and raw.count(".-") + raw.count("-.") >= 8 and (m := _MORSE_RUN.search(raw)) is not None:
        words = m.group(0).replace(" / ", "/").split("/")
        yield "morse", " ".join("".join(_MORSE.get(c, "") for c in w.split()) for w in words)
    if raw.isascii():
        if (8 in gate if gate is not None else _BINARY_GATE.search(raw) is not None) and (
            text := _binary(raw)
        ) is not None:
            yield "binary", text
        if (9 in gate and 11 in gate) if gate is not None else _CODES_GATE.search(raw) is not None:
            # from where six codes stand in a row (a search from every digit of a text costs ms per 16 KiB;
            # ``_CODES_START``'s own search ~50 µs/KiB of text with numbers: the gate asks first)
            for g in itertools.islice(_CODES_START.finditer(raw), _MAX_RUNS):
                m = _CODES_RUN.match(raw, g.start())
                if m is not None and (text := _codes(m.group(0))) is not None:
                    yield "char_codes", text
                    break
        if "<~" not in raw and (10 in gate if gate is not None else _A85_GATE.search(raw) is not None):
            yield from _bare_a85(raw)
        # A hint holds no separator: it is in some string's lower-cased text only if it is in
        # the whole text's, so the gate (then one lower() and a few ``in``) decides whether to
        # look per string.
        nato = 5 in gate if gate is not None else True
        rev = 6 in gate if gate is not None else True
        shift = 7 in gate if gate is not None else _SHIFT_HINT.search(raw) is not None
        if nato or rev:
            whole = raw.lower()
            nato = nato and sum(h in whole for h in _NATO_HINTS) >= 2
            rev = rev and any(h in whole for h in _REVERSAL_HINTS)
        for seg in raw.split(JOINED_SEP)[:_MAX_RUNS] if nato or rev or shift else ():
            if not 24 <= len(seg) <= _ROT_MAX:
                continue
            low = seg.lower()
            if nato and sum(h in low for h in _NATO_HINTS) >= 2 and (m := _NATO_RUN.search(low)) is not None:
                words = _NATO_WORD.findall(m.group(0))
                yield "nato", "".join(" " if w in _NATO_GAP else w[0] for w in words)
                nato = False
            if rev and any(h in low for h in _REV_HINTS):
                # the whole string reversed, or each word ("erongi lla suoiverp snoitcurtsni")
                yield "reversed", seg[::-1]
                yield "reversed_words", " ".join(w[::-1] for w in seg.split(" "))
                rev = False
            elif rev and any(h in low for h in _ORDER_HINTS):
                yield "reversed_order", " ".join(w.strip(".,;:!?") for w in reversed(seg.split()))
                rev = False
            if shift and low.count(" ") >= 4 and _SHIFT_HINT.search(low) and (found := _unshift(low)) is not None:
                yield found
                shift = False
    else:
        # binary digits next to look-alike letters (Cyrillic "a" and "e" in "answer: 01001001 ...") or with
        # invisible characters between them ("0\u200c1\u200c0..."): the same run once those are taken out
        plain = strip_invisible(raw) if "0" in raw and "1" in raw else ""
        if _BINARY_GATE.search(plain) is not None and (text := _binary(plain)) is not None:
            yield "binary", text
        if (m := _BRAILLE_RUN.search(raw)) is not None:
            yield "braille", m.group(0).translate(_BRAILLE)
        if _MARKS_DENSE.search(raw) is not None:
            yield "combining_marks", _MARKS.sub("", raw)
        m = _TURNED_ONLY.search(raw)
        if m is not None and len(_TURNED_ONLY.findall(raw, m.start(), m.start() + 400)) >= 3:
            yield "upside_down", raw[::-1].translate(_TURNED)


def _b64_runs(raw: str) -> Iterator[re.Match[str]]:
    """``_B64.finditer(raw)``, the same matches, found faster in ASCII text.

    ``_B64`` matches each maximal run of at least 20 base64-alphabet characters, from its
    start (the look-behind), with up to two ``=`` after it. ``re`` tries the pattern at
    every position of the text (30 µs per KiB of prose); here the text's bytes are mapped
    to ``a`` (alphabet) or space in one ``bytes.translate``, a run of 20 ``a`` is found
    with ``bytes.find``, and ``_B64`` is matched only at such a run's start (which is
    where its first 20 ``a`` begin: the search starts past the previous run). A text that is
    not ASCII is mapped from its shadow (``prefilter.shadow_bytes``: a byte a character)."""
    # A text that is not ASCII as its shadow (one byte a character, 0x80 for each non-ASCII one, outside the
    # alphabet as those characters are): the same offsets, the same runs.
    mapped = shadow_bytes(raw).translate(_B64_MAP)
    pos = mapped.find(_B64_MIN)
    while pos >= 0:
        m = _B64.match(raw, pos)
        if m is None:  # pragma: no cover - a run of 20 from its start always matches
            return
        yield m
        pos = mapped.find(_B64_MIN, m.end())


def variants(raw: str) -> list[tuple[str, str]]:
    """Decoded forms of ``raw``: (encoding path, text), at most ``MAX_VARIANTS``."""
    out: list[tuple[str, str]] = []
    frontier = [("", raw)]
    for _ in range(MAX_DEPTH):
        nxt: list[tuple[str, str]] = []
        for via, text in frontier:
            for v2, s in _one_level(text):
                name = f"{via}_{v2}" if via else v2
                if len(out) >= MAX_VARIANTS:
                    return out
                out.append((name, s))
                nxt.append((name, s))
        frontier = nxt
        if not frontier:
            break
    return out


_ROT_MAX = 4096
# rot13 of common words ("the", "you", "and", "ignore", "previous", "instructions", "system", "prompt"):
# a cheap test before decoding a string.
_ROT_HINTS = ("gur ", " lbh", "naq ", "vtaber", "cerivbhf", "vafgehpgvbaf", "flfgrz", "cebzcg", "frperg")


def _rot_hint(raw: str, gate: AbstractSet[int] | None) -> bool:
    """Is one of ``_ROT_HINTS`` in some ASCII string of ``raw`` (lower-cased)? A hint holds no
    separator, so it is in a string's lower-cased text only if it is in the whole text's."""
    if not raw.isascii():
        return False
    return 1 in gate if gate is not None else any(h in raw.lower() for h in _ROT_HINTS)


def _spaced_hex(raw: str, gate: AbstractSet[int] | None) -> bool:
    """May ``_HEX_SPACED`` match? (The gate's pass, then the literal test.)"""
    if gate is not None and 0 not in gate:
        return False
    return (" 20 " in raw or ":20:" in raw) and any(x in raw for x in (" 65", " 74", " 6f", " 6F", ":65", ":74"))


# One Hyperscan pass over ASCII text: may spaced hex be there, is a rot13 hint there (ignoring
# case: on ASCII text that is ``in raw.lower()``), may a spelled-out form (``_spelled``) be.
# A short ``in`` over a text of common letters costs ~1 µs per KiB; these were fifteen of
# them on every text with a "20" in it, and the spelled-out forms' gates six more.
_GATE = PatternGate(
    [
        _HEX_SPACED,
        re.compile("|".join(re.escape(h) for h in _ROT_HINTS), re.I),
        _QP_GATE,
        _UU_GATE,
        _MORSE_GATE,
        re.compile("|".join(re.escape(h) for h in _NATO_HINTS), re.I),
        re.compile("|".join(re.escape(h) for h in _REVERSAL_HINTS), re.I),
        _SHIFT_HINT,
        _BINARY_GATE,
        _CODES_GATE,
        _A85_GATE,
        _CODES_START,
    ],
    ARG_GATES,
    shadow=True,  # each caller tests the very pattern or its literals (text that is not ASCII: ``_possible_shadow``)
)


class DecodedDetector:
    """Every other detector, run again on each decoded form of a string."""

    name = "decoded"
    traits = PLAIN

    def __init__(self, inner: Sequence[Detector]) -> None:
        self.inner = list(inner)

    def scan(self, t: Target) -> list[Hit]:
        hits: list[Hit] = []
        # a JSON-escaped newline before an encoded run is no part of it ("\\nSGVsbG8..."): read as whitespace
        for via, text in variants(escaped_breaks(t.raw)):
            # Decoded windows of a joined scan keep the runner's separator: each part is
            # judged on its own, as the string it came from would be.
            for part in text.split(JOINED_SEP)[: 2 * _MAX_RUNS]:
                if not part:
                    continue
                inner_t = Target(part, None, t.surface, t.path, t.key, t.tags, t.allowed_roots, t.commands, t.verbs)
                for d in self.inner:
                    for h in d.scan(inner_t):
                        h.finding.kind = f"{h.finding.kind}_via_{via}"
                        h.span = None
                        hits.append(h)
            if len(hits) >= 20:
                break
        return hits[:20]
