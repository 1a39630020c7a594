"""Thirteenth data round (issue 12, SQL injection in spellings the tuned lists held little of): a literal closed,
an expression, a literal reopened for the query to close (MySQL turns any expression into a condition); the same
commented out; constants compared in other spellings after a number; a column-count probe ordered by a conditional;
a T-SQL conditional stacked after a literal; UNION glued to a number, over the catalogue, after a literal and a
constant, with its select in parentheses; one character of a column read as a number; a function compared with
itself; server fingerprint functions. Attacks written here, not copied from the eval sets; benign look-alikes that
must stay clean (prose apostrophes, quoted symbols, song titles, cron lines, SQL sent to a report tool, documents
and ``sql`` tools); each new pattern or alternative bounded on 64 KiB of hostile text."""

from __future__ import annotations

import re

import pytest

from gateway.inspect import code
from gateway.inspect.prefilter import _split_top
from gateway.inspect.runner import InspectOptions, Inspector
from tests.timing import ratio, within

INS = Inspector()
SQL = frozenset({"sql"})


def found(args: dict[str, object], tags: frozenset[str] = frozenset()) -> list[str]:
    return [f"{f.detector}:{f.kind}" for f in INS.arguments(args, InspectOptions(tags=tags)) if f.severity == "high"]


def sql(args: dict[str, object], tags: frozenset[str] = frozenset()) -> list[str]:
    return [k for k in found(args, tags) if k.startswith("sql_injection:")]


# --- a literal closed, operators, a literal reopened (or the rest commented out)
REOPENED = [
    "bob' xor 'x",
    "qq' | ~'7",
    "nm'&'9",
    "zz' rlike '5",
    "k' mod 3 or '2",
    "t'/2 and '4",
    "p'^~'p",
    "r' * 3 != '8",
    'hh" ^ "2',
    'hh" && "2',
    "ab'<<2 or'6",
    "w9' div 4 xor '0",
    "mm' or 4 in (4) or '1",
    "cc' or 'z' regexp 'y",  # a literal of its own inside the expression
    "ref'*7 is 7 = '",  # reopened at the value's very end
    "n9'/2/2='",
    "q' div 2 <> '",
    "qq' rlike 0x1 #x",  # ... or the rest commented out
    "kk' in (4,5)#",
    "lo' or sku= 3-2 #",
    "nn'|(7) = 7 -- z",
    "jo' OR price > 10",  # a column compared with a number
    "jo' and qty IS NOT 3",
    "x' or level <= 2 --",
]


@pytest.mark.parametrize("value", REOPENED)
@pytest.mark.parametrize("key", ["customer_id", "query", "q"])
def test_a_literal_reopened_after_an_expression_is_caught(key: str, value: str) -> None:
    assert sql({key: value}), value


def test_a_reopened_literal_is_caught_among_other_strings() -> None:
    assert "sql_injection:literal_reopened" in sql({"note": "hello there", "q": "bob' xor 'x", "limit": "10"})


def test_a_sql_tools_parameter_is_judged_like_any_value() -> None:
    # not a statement: a parameter spliced into one
    assert sql({"name": "t'/2 and '4"}, SQL)


PROSE = [
    "Ben's or Jerry's",
    "rock 'n' roll",
    "Rockin' in the free world -- Neil Young",
    "the 'or' operator",
    'SMALL "&" SIGN',
    'press "+" twice',
    "boys' and girls' shoes",
    "5' - 6' tall",
    "about 5' or so -- rough guess",
    "schedule: '*/5 * * * *'",
    "cron='0 */2 * * *'",
    "sep = '-'",
    "O'Brien & O'Neil",
    "'Tis the season -- again",
    "don't or won't",
    "Mom's and Dad's",
    "select 'and'",
    "foo 'null' bar",
    'the "*" wildcard',
    "x = name || '-' || id",
    "WHERE name = 'x' OR name = 'y'",
    "Y'ALL COME BACK NOW",
    "goin' up -- 12 (live)",
]


@pytest.mark.parametrize("value", PROSE)
def test_prose_and_quoted_symbols_pass(value: str) -> None:
    assert sql({"query": value}) == [], value


# --- a number, then constants compared in other spellings, or ORDER BY a conditional
NUMBER_LED = ["7 OR+(3)=(3)", "12 and '4'<>'5'", "5 || -2=-2", "40 XOR !1 = !1 --", "3 ORDER BY IF(2>1,name,id)",
              "8 order by ifnull(null,col)", "4 ORDER BY COALESCE(NULL,b)"]  # fmt: skip


@pytest.mark.parametrize("value", NUMBER_LED)
def test_number_led_probes_are_caught(value: str) -> None:
    assert sql({"id": value, "note": "x"}), value


@pytest.mark.parametrize("value", ["7 or 8 = 15 apples", "1 OR 2 people", "sort 3 order by name", "2 and 2 is 4",
                                   "12 or (3) more"])  # fmt: skip
def test_numbers_in_prose_pass(value: str) -> None:
    assert sql({"q": value}) == [], value


# --- a T-SQL conditional stacked after a literal
@pytest.mark.parametrize("value", ["x'; IF 2=2 DROP TABLE logs--", "q'; WHILE 5>4 DROP TABLE t--",
                                   "a\"; if 3<>4 truncate table logs"])  # fmt: skip
def test_a_stacked_conditional_is_caught(value: str) -> None:
    assert sql({"q": value}), value


def test_a_script_with_a_conditional_passes_on_a_sql_tool() -> None:
    script = "UPDATE t SET note = 'x';\nIF 1=1 SELECT 1;\nSELECT * FROM t;"
    assert sql({"sql": script}, SQL) == []


# --- UNION in evasive spellings
UNIONS = [
    "ab1.UNION SELECT name FROM t",
    "x\\1UNION SELECT a, b",
    "code}UNION SELECT name, 2",
    "1 AND 1=0.e1UNION SELECT a, b FROM t",
    "-5 HAVING 1 UNION SELECT column_name FROM information_schema.columns",
    "9 procedure x() union select name from sysobjects",
    "abc union all select usename from pg_user",
    "q'xor 7 union all select",
    "z') or !9 union distinct",
    "z' && !3 UNION ALL select a",
    "r' union distinct(select a from b)",
]


@pytest.mark.parametrize("value", UNIONS)
def test_evasive_unions_are_caught(value: str) -> None:
    assert sql({"q": value}), value


def test_a_catalogue_union_in_a_sql_tools_statement_passes() -> None:
    stmt = "SELECT name FROM users UNION SELECT table_name FROM information_schema.tables"
    assert sql({"sql": stmt}, SQL) == []


def test_a_document_that_mentions_a_catalogue_union_passes() -> None:
    lines = ["# Listing tables", "To see every table, combine the two lists:", "",
             "    SELECT name FROM users UNION SELECT table_name FROM information_schema.tables;", "",
             "The second half reads the catalogue; see the manual for the columns it has.",
             "Each row names one table of the current database.", "Views are listed too, marked as such.",
             "Version 2 adds examples for the other engines."]  # fmt: skip
    doc = "\n".join(lines)
    assert sql({"path": "docs/tables.md", "content": doc}) == []


@pytest.mark.parametrize("value", ["Credit union selection guide", "1950 UNION MADE", "the union selected from members",
                                   "2 union members selected", "Credit Union Select Account"])  # fmt: skip
def test_unions_in_prose_pass(value: str) -> None:
    assert sql({"q": value}) == [], value


# --- one character of a column read as a number; a function compared with itself; server fingerprints
INFERENCE = ["77 + ASCII(SUBSTR(pw,3,1))-60", "ORD(MID(secret,2,1))>64", "x' + (1 / UNICODE(SUBSTRING(tok,5,1))-9)--",
             "zz and last_insert_id()=last_insert_id()", "q or pi()=pi()", "COERCIBILITY(SYSTEM_USER())",
             "CHARSET(VERSION())", "COLLATION(DATABASE())"]  # fmt: skip


@pytest.mark.parametrize("value", INFERENCE)
def test_inference_and_fingerprint_probes_are_caught(value: str) -> None:
    assert sql({"q": value}), value


@pytest.mark.parametrize(
    "value",
    ["SELECT ASCII(SUBSTRING(name,1,1)) AS initial FROM people", "python -c 'import sys; print(sys.version())'",
     "user(): returns the current user", "now() and later"],
)  # fmt: skip
def test_ordinary_function_calls_pass(value: str) -> None:
    assert sql({"query": value}) == [], value


def test_a_sql_tool_reads_one_character_of_a_column() -> None:
    stmt = "SELECT id FROM people WHERE ASCII(SUBSTRING(name,1,1)) > 64"
    assert sql({"sql": stmt}, SQL) == []


# --- bounded cost, 64 KiB of hostile text per new pattern (as the detector runs it: from its candidates)
HOSTILE = [
    "' or '" * 11000,
    "a'|" * 21000,
    "'" * 65536,
    "1'/" * 21000,
    "a' or (1" * 8000,
    "x' = " + "1 " * 32000,
    "x' or " + "(" * 65000,
    "aa'" + " or x" * 13000 + " #",
    "x'/" + "1 " * 32000 + "'",
    "union " * 10000,
    "1union select " * 4500,
    "union select " * 5000,
    "union select " + "a " * 32000,
    "union select from " * 3600,
    "'and 1 union" * 5400,
    "ascii(substr(" * 5000,
    "1 or+(1)=" * 7000,
    " " * 65536,
]
FAST = {"reopened": code._FAST_REOPENED, "union_evasion": code._FAST_UNION_EVASION}


@pytest.mark.parametrize("name", FAST)
@pytest.mark.parametrize("text", HOSTILE)
def test_the_new_patterns_are_bounded_on_64_kib(name: str, text: str) -> None:
    assert within(lambda: FAST[name].search(text), 0.01) < 0.01


# Many short values joined as the runner joins them: the value-start patterns are tried once per value. The older
# value-start pattern (_SQL_VALUE_THEN_QUERY) costs 30-80 ms on such 64 KiB texts; the new one is held to it.
JOINED = ["\x00 1' or x " * 6000, "\x00 x'/1 '" * 7000, "\x00 a' | '" * 7000, "\x00 1 " * 16000]


@pytest.mark.parametrize("text", JOINED)
def test_the_reopened_literal_costs_no_more_than_the_older_value_patterns_on_joined_values(text: str) -> None:
    got = ratio(lambda: code._FAST_REOPENED.search(text), lambda: code._FAST_VALUE_THEN_QUERY.search(text), 1.5)
    assert got < 1.5


# The alternatives this round added to older patterns, held alone (the older patterns as a whole, from their
# candidates, cost 10-35 ms on some dense runs before this round as after it).
_NEW_ALTS = {
    "value_then_query": (code._SQL_VALUE_THEN_QUERY, ("ifnull", "(?:\\s{1,3}|\\s{0,3}\\+\\s{0,3})", "\\(\\s{0,3}select",
                                                      "[-+!~(]{0,3}\\d{1,12}\\)?")),
    "quote_end": (code._SQL_QUOTE_END, ("(?:if|while)",)),
    "inference": (code._SQL_INFERENCE, ("(?:ascii|ord|unicode)",)),
    "tautology": (code._SQL_TAUTOLOGY, ("[a-z_]{2,30}",)),
}  # fmt: skip


# The bound per pattern: value_then_query's new alternatives open with a value's start, which every position of a
# dense 64 KiB run offers (searched alone, as here, from every position: 9.6-18.3 ms on an idle machine, linear; the
# detector tries them only at value starts, and texts over 2 KiB are inspected off the event loop). The others: 10 ms.
_ALT_LIMIT = {"value_then_query": 0.04}


@pytest.mark.parametrize("name", _NEW_ALTS)
@pytest.mark.parametrize("text", HOSTILE)
def test_the_new_alternatives_are_bounded_on_64_kib(name: str, text: str) -> None:
    rx, markers = _NEW_ALTS[name]
    alts = [a for a in _split_top(rx.pattern) if any(m in a for m in markers)]
    assert len(alts) >= len(markers)
    one = re.compile("|".join(_own_groups(a) for a in alts), re.I)
    limit = _ALT_LIMIT.get(name, 0.01)
    assert within(lambda: one.search(text), limit) < limit


def _own_groups(alt: str) -> str:
    """An alternative whose back-references point into itself, renumbered from 1 (the tautology's ``\\6``)."""
    first = min((int(n) for n in re.findall(r"\\(\d)", alt)), default=1)
    return re.sub(r"\\(\d)", lambda m: f"\\{int(m.group(1)) - first + 1}", alt) if first > 1 else alt


@pytest.mark.parametrize("text", ["ascii(" * 10900, "ord(" * 16300, "ascii(substr(" * 5000])
def test_the_inference_candidates_stay_at_the_new_words(text: str) -> None:
    # the new words open their alternative themselves: not the 30 positions before each that a subquery takes
    assert within(lambda: code._FAST_INFERENCE.search(text), 0.01) < 0.01


@pytest.mark.parametrize("text", ["a'|" * 21000, "' or '" * 11000, "1union select " * 4500, "union select " * 5000])
def test_the_detector_is_bounded_on_64_kib(text: str) -> None:
    from gateway.inspect.base import Target

    det = code.SqlDetector()
    t = Target(text, None, "request_arg", "/q", "q")
    assert within(lambda: det.scan(t), 0.05) < 0.05
