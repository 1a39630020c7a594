"""SQL injection fragments as fuzzing word lists hold them, and the benign texts that share their surface.

Issue 12, seventh SQL round. A fuzz list holds short fragments rather than whole requests: a quote
closed and a tautology ("' or 'x'='x", "') or ('a'='a"), a login bypass ("admin'--"), a group or
column probe ("' having 1=1--"), a stacked statement ("'; drop table users--"), a delay ("waitfor
delay '0:0:5'"), a UNION, MySQL's versioned comments ("/*!32302 1/0, */"), each spelled with other
spaces ("/**/", "%20", "+", tabs), other cases, "||"/"&&" for OR/AND, and encoded (percent, double
percent, ``%uXXXX``, ``\\xNN``, HTML references). The generator below is this file's own: shapes
times spellings times encodings, and look-alikes (names with apostrophes, prose with "--" and "#",
URLs with "%20", markdown, real SQL a ``sql``-tagged tool takes).

Encoded forms are found by ``decode.DecodedDetector`` (every detector rescans each decoded form):
the test holds that an encoded fragment is flagged whenever its plain form is.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from gateway.inspect.normalize import fold
from gateway.inspect.runner import InspectOptions, Inspector

INS = Inspector()
SQL = frozenset({"sql"})


def sql_kinds(value: str, tags: frozenset[str] = frozenset()) -> set[str]:
    """The high SQL findings on ``value`` sent as a tool's only argument."""
    found = INS.arguments({"customer_id": value}, InspectOptions(tags=tags))
    return {f.kind for f in found if f.detector == "sql_injection" and f.severity == "high"}


# ------------------------------------------------------------------ the generator
# A quote closed (or none), a boolean operator, a truthy condition, a comment that cuts off the rest.
LEADS = ("'", '"', "')", '")', "1'", "admin'", "x'", "hi'", "a'", "1')", "%'", "'))  ", '1"', "")
OPS = ("or", "OR", "Or", "oR", "||")
CONDS = ("1=1", "0=0", "'1'='1", "'x'='x", "'a'='a", "''='", "x=x", "a=a", "'one'='one", "1 like 1", "2>1", "1",
         "true", "'1'='1'", '"a"="a', "(1=1)", "not 1=2", "'z' like 'z")  # fmt: skip
TAILS = ("", "--", "-- -", "#", "/*", ";--", " --", "--+", ";#", "; --")

# Shapes other than the tautology product, written plainly (a space where a list spells it otherwise).
SHAPES = (
    # login bypass: the rest of the query commented out
    "admin'--", "admin' --", "admin' #", "admin'/*", "admin')--", 'admin"--', "root'-- -", "' --", "'--", '"--',
    "') --", "admin'#", "user'/*", "') #", "x'--+",
    # group and column probes
    "' having 1=1--", "' HAVING 1=1 --", '" having 1=1--', "') having 1=1--", "1' having 1=1#",
    "' group by users.id having 1=1--", "' group by userid having 1=1--", "' GROUP BY password HAVING 1=1--",
    "' group by 1--", "' order by 1--", "' ORDER BY 10#",
    # stacked statements, procedures
    "'; exec xp_cmdshell 'dir'--", "; exec xp_cmdshell 'ping 10.0.0.2'", "'; exec master..xp_cmdshell 'net user'--",
    "; exec master..xp_cmdshell", "exec xp_cmdshell 'whoami'", "1; exec sp_addlogin 'x','y'",
    "'; drop table users--", "'; DROP TABLE users; --", "x'; drop table members;--", "1; drop table users",
    "'; delete from users--", "'; shutdown--", "'; shutdown with nowait--", "'; truncate table logs--",
    "'; insert into users values('x','y')--", "'; update users set pw='x'--", "--sp_password", "'; exec xp_regread",
    "'; declare @q varchar(99) set @q='x' exec(@q)--", "';select * from users--",
    # delays
    "waitfor delay '0:0:5'", "'; waitfor delay '0:0:5'--", "1; waitfor delay '00:00:10'--",
    "; waitfor delay '0:0:5'--", "\"; waitfor delay '0:0:5'--", "') waitfor delay '0:0:5'--",
    "benchmark(10000000,MD5(1))", "1 and benchmark(5000000,sha1('x'))", "' or benchmark(10000000,MD5(1))#",
    "'; select pg_sleep(5)--", "1 or pg_sleep(5)", "' or pg_sleep(5)--", "1) or pg_sleep(5)--",
    "' or sleep(5)#", "1 or sleep(5)", "\" or sleep(5)=\"", "'; select sleep(5)--",
    # UNION
    "' union select 1,2,3--", "' union all select null,null--", "' UNION SELECT", "' union select *",
    "' UNION ALL SELECT", "1 union select 1", "' union select * from users--", "'UNION SELECT",
    "' union select username, password from users--", '" union select null--', "') union select 1--",
    "-1 union select 1,2,3", "' union select @@version--", "' and 1=2 union select 1,2--",
    "' union all select table_name from information_schema.tables--", "1 and 1=2 union select 1,2",
    # subqueries and server variables after a quote
    "' and 1=(select count(*) from users); --", "1' and 1=(select count(*) from tablenames); --",
    "' or 1 in (select @@version)--", "' or 1 in (@@version)--", "' and 1=convert(int,@@version)--",
    "' or exists(select * from users)--", "' or (exists)", "' and not (exists(select 1))--",
    "' (select top 1 name from sysobjects)", "'or select *", "' or select top 1 password from users",
    "' (select null,null--", "1 and (select count(*) from users) > 0", "' and substring(@@version,1,1)=5--",
    "1 and ascii(substring((select top 1 name from sysobjects),1,1))>0",
    "' and extractvalue(1,concat(0x7e,version()))--", "' or updatexml(1,concat(0x7e,user()),1)--",
    # MySQL versioned comments
    "/*!32302 1/0, */", "/*!50000 1=1*/", "1/*!50000union*/select 1", "' /*!union*/ select 1--", "x/*'*/",
    "2/*!50000'*/", "abc/*!\"*/",
    "1 /*!UNION*/ /*!SELECT*/ 1,2", "' /*!50000or*/ 1=1--", "1'/*!and*/'1'='1",
    # a column tested after a quote: NULL, LIKE and its wildcard
    "x' AND userid IS NULL; --", "x' AND email IS NULL; --", "x' or full_name like '%bob%", "' or name is not null#",
    "' or username like '%", "' or uid like '%", "' or user like '%", "%' or '0'='0", "' OR 'something' like 'some%'",
    # tautologies spelled tight, glued, or with other values
    "'or''='", "' or ''='", "'or'1'='1", '"or""="', "or 1=1--", "or 1=1#", "or 1=1/*", "or 0=0 --", "or 0=0 #",
    "and 1=1--", "' or 'x'='x", '" or "x"="x', "') or ('x'='x", '") or ("a"="a', "hi' or 'a'='a", 'hi" or 1=1 --',
    "' or a=a--", "1 or 1=1", "1' or '1'='1", "1or1=1", "1and1=1", "1'or'1'='1", "fake@ema'or'il.nl'='il.nl",
    "x' or 'a.b@c'='a.b@c", "' or 1=1 or ''='", '" or 1=1 or ""="', "1' and '1'='1--", "1') and ('1'='1",
    "' and 'one'='one", "' or 1=1 limit 1 -- -+", "' or 1=1 limit 1;#", "x' or 1=1 or 'x'='y", "0 or 1=1",
    "'hi' or 'x'='x';", "' OR 1=1-- ", "'OR 1=1--", "' oR 1=1 /*", "' || 1=1--", "' && 1=1--", "1 || 1=1",
    "1 && 1=1", "' or true--", "' or true#", "') or true--", '" or true--', "' or not false--", "' or 1--",
    "' or 1 --'", "or 1--", "OR true#", "or not 1=2;--", "admin' or 1", "1') || true", "' or 1;--",
    # a byte a multi-byte charset joins to the escaping backslash ("%bf%27", "%bf%5c%27")
    "1%bf%27-- -", "x%bf%27 or 1=1--", "admin%bf%5c%27--", "%a1%27 union select 1--",
    # a literal closed and concatenated
    "'||'6", "x'||'abc", "'||(elt(-3+5,bin(15),ord(10),hex(char(45))))", "'||(select user from dual)||'",
    "'||UTL_HTTP.REQUEST('http://x')", "1'||'asd'||'",
    # form-encoded spaces
    "'+or+1=1--", "'+union+select+1--", "admin'+--+", "1+or+1=1", "'+or+'1'='1",
)  # fmt: skip
# conditions that hold without a tail only in a whole value: "or 1" alone is a word pair too
_BARE = ("1", "true", "not 1=2", "2>1")


def tautologies() -> Iterator[str]:
    for lead, op, cond, tail in itertools.product(LEADS, OPS, CONDS, TAILS):
        if not lead and not tail and cond in _BARE:
            continue  # "or 1", "|| true": a value of two words, nothing closed or cut off
        yield f"{lead} {op} {cond}{tail}".strip() if lead else f"{op} {cond}{tail}"


def spaced(s: str) -> Iterator[str]:
    """``s`` and ``s`` with its spaces spelled as a list spells them."""
    yield s
    if " " in s:
        for sp in ("/**/", "%20", "+", "\t", "  "):
            yield s.replace(" ", sp)


def encoded(s: str) -> Iterator[str]:
    """``s`` encoded: every special character or some of them percent-encoded, twice, ``%uXXXX``,
    ``\\xNN`` escapes, HTML character references."""
    yield quote(s, safe="")
    yield quote(s, safe="=*/,()")
    yield quote(quote(s, safe=""), safe="")
    yield s.replace("'", "%27").replace(" ", "%20").replace("#", "%23").replace("-", "%2D")
    yield s.replace("'", "%2527").replace(" ", "%2520")
    yield "".join(f"\\x{ord(c):02x}" if c in "' \"#=" else c for c in s)
    yield "".join(f"\\x{ord(c):02x}" for c in s)
    yield s.replace("'", "%u0027").replace(" ", "%u0020")
    yield s.replace("'", "&#39;").replace(" ", "&#32;")
    yield s.replace("'", "&#x27;")


def attacks(sample: int = 400, encode: int = 120) -> list[str]:
    """Every shape, a sample of the tautology product, each spaced every way; encoded forms of a sample."""
    rnd = random.Random(12)
    base = [*SHAPES, *rnd.sample(list(tautologies()), sample)]
    out = dict.fromkeys(s for b in base for s in spaced(b))
    out.update(dict.fromkeys(e for b in rnd.sample(base, encode) for e in encoded(b)))
    return list(out)


# Benign texts with the same surface: apostrophes, quotes, "--", "#", ";", "||", "%20", SQL words in prose.
NAMES = ("O'Brien", "O'Neil", "D'Angelo", "L'Oréal", "d'Artagnan", "Chris'", "Ngā'")
LOOKALIKES = (
    *NAMES, *(f"{a} or {b}" for a, b in itertools.permutations(NAMES[:4], 2)), *(f"{n} -- {n}" for n in NAMES),
    "Don't stop -- keep going", "it's 5 o'clock -- time for tea", "Rock 'n' roll", "the '90s -- best decade",
    "C# or F# tutorial", "Tom & Jerry || Looney Tunes", "what does 1=1 mean in math", "search for 'x' or 'y'",
    "https://example.com/a%20b#section", "https://example.com/search?q=o%27brien&page=2",
    "price > 100 and rating = 5", "# Heading\n\nSome text -- with a dash", "## Or else\n- item one\n- item two",
    "-- signed, Bob", "Bob's order #1234", "Order #42 -- shipped", "'quoted' -- said Bob", "she said 'yes' or 'no'",
    "rating 5/5 -- 'great' or 'good'",
    "use || for logical or in C", "a && b || c", "x = 1; y = 2", "true or false", "1 or 2 days",
    "2 or 3 items -- maybe 4",
    "O'Brien's pub #3", "'s-Hertogenbosch", "jack's 'special' offer", "I'm here; you're there",
    "Let's meet at 5pm; don't be late!", "it's fine -- really", "group by city", "order by date desc",
    "Where's the union hall?", "union station select menu", "selection of 'drop' cookies", "drop table tennis lessons",
    "delete my account please", "John's & Mary's", "'hello'", '"hello"', "'", "--", "#", "''", '""', "'--'", "-- ",
    " ' ", ";", "'%20", "a'b", "It's 100% true", "50% off -- today only", "%20", "hello%20world", "a%27b", "caf%C3%A9",
    "rock%20%26%20roll", "O%27Brien", "O%27Brien%20or%20O%27Neil", "path/to/file%23anchor", "tel:+1-555-0100 # office",
    "1=1", "x=x", "a == a", "if a=a then", "1 like 1", "I like 1 more", "love it or hate it", "or else!",
    "and so on -- etc", "#hashtag #or #and", "#1 or #2", "@@ -1,3 +1,4 @@", "sleep(5) is a function",
    "benchmark results", "wait for delay notice", "10 or 20", "admin", "admin's password reset -- help",
    "it's 'or' not 'and'", "'or' and 'and' are words", "Rock'n'Roll Hall of Fame", "Guns N' Roses -- Live",
    "'Allo 'Allo!", "ma'am", "y'all --", "L'Hôpital's rule", "what's 2>1?", "is 'a'>'b'?", "O'Reilly ; Safari",
    "x'; y", "Smith; Jones; O'Hara", "5' 11\" tall", "6'2\" -- tall guy", "a 12\" pizza or a 14\" one",
    "The 'union' of sets", "rm -rf is bad -- don't", "\\x41\\x42 hex", "\\x27 is an apostrophe", "%27 is an apostrophe",
    "--help", "--version", "admin@example.com", "O'Brien--Smith", "pre-'90s", "Reply 'yes' or 1",
    "Click 'Save' or select 2 files", "Say 'hi' (select 1 or more)", "or 2 -- maybe 3", "Answer 'A' or true",
    "Pick 'red' or 'blue' -- or both", "the 'name' field is null", "Size 'M' or 2", "Bob's (select) list",
    "'Star Wars' or anything sci-fi #scifi", "'Dune' and books like 'Foundation'", "a||b", "x'||y", "'a' || 'b'",
    "1 or 1", "or", "or 1", "|| true", "1/0", "/* note */", "/*! not a comment", "version 1.0 or 2.0",
    "x/* it's */", "/* don't */ select 1", "caf%C3%A9 -- x", "%ff", "%bf%27", "na%C3%AFve 'quote' -- ok",
    "## Title\n\n- `a || b`\n- don't -- ever\n", "**O'Brien** or *O'Neil* -- see [docs](https://x.io/a%20b#c)",
)  # fmt: skip

# Real SQL as a ``sql``-tagged tool takes it (the pglast/sqlglot families' kind).
REAL_SQL = (
    "SELECT * FROM users WHERE name = 'O''Brien' -- lookup",
    "SELECT id FROM t WHERE a = 1 OR b = 2 # mysql comment",
    "SELECT * FROM t WHERE 1=1 AND status = 'open'",
    "SELECT name FROM users WHERE name LIKE '%o''brien%' ORDER BY 1",
    "SELECT count(*) FROM orders GROUP BY customer_id HAVING count(*) > 1",
    "SELECT a || ' ' || b FROM t",
    "SELECT * FROM t WHERE x = 'a' OR y = 'b' /* two */",
    "UPDATE t SET a = 'x' WHERE id = 3; -- done",
    "SELECT 1 UNION ALL SELECT 2",
    "SELECT * FROM t WHERE flag = true OR deleted IS NULL",
    "/*!40101 SET NAMES utf8 */;",
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;",
    "SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM t",
    "WITH x AS (SELECT 1) SELECT * FROM x WHERE 'a' = 'a'",
    "SELECT * FROM users WHERE active AND (role = 'admin' OR role = 'owner')",
    "SELECT * FROM t WHERE name LIKE 'a%' OR email IS NULL; -- check",
    "SELECT * FROM t WHERE a = 'x' AND b IS NOT NULL",
    "SELECT * FROM t WHERE id IN (SELECT id FROM u) OR 1 IN (SELECT 1)",
    "SELECT 'a' || 'b' AS ab, 'x' || (SELECT max(id) FROM t) AS y",
    "DELETE FROM sessions WHERE expires < now() OR user_id IS NULL;",
)


# ------------------------------------------------------------------ the tests
def test_the_generator_makes_many_forms() -> None:
    a = attacks()
    assert len(a) > 2500
    assert any("%2527" in s for s in a) and any("\\x27" in s for s in a) and any("/**/" in s for s in a)


def test_fragments_are_flagged_on_an_untagged_tool() -> None:
    missed = [s for s in attacks() if not sql_kinds(s)]
    assert not missed, (len(missed), missed[:20])


def test_fragments_are_flagged_as_a_sql_tools_parameter() -> None:
    """A ``sql`` tool's value that does not open as a statement is a parameter spliced into one (one that
    does, "/*!32302 1/0, */" or "exec xp_cmdshell ...", is a script: only its attack signatures count)."""
    from gateway.inspect.code import _statement_led

    plain = [s for b in SHAPES for s in spaced(b) if not _statement_led(s)]
    missed = [s for s in plain if not sql_kinds(s, SQL)]
    assert not missed, (len(missed), missed[:20])


def test_encoded_fragments_are_found_through_their_decoded_form() -> None:
    """Percent (once and twice), ``%uXXXX``, ``\\xNN`` and HTML references: the decoded detector's
    findings carry the encoding (``<kind>_via_<encoding>``)."""
    for s in ("' or 'x'='x", "admin'--", "' union select 1,2--", "'; drop table users--", "' having 1=1--"):
        for e in encoded(s):
            kinds = sql_kinds(e)
            assert any("_via_" in k for k in kinds), (s, e, kinds)


@pytest.mark.parametrize("text", LOOKALIKES)
def test_look_alikes_pass(text: str) -> None:
    assert sql_kinds(text) == set(), text


def test_look_alikes_pass_spelled_and_encoded() -> None:
    forms = [f for t in LOOKALIKES for f in (t, t.upper(), quote(t), quote(quote(t)), t.replace("'", "%27"))]
    alarms = [(f, sql_kinds(f)) for f in forms if sql_kinds(f)]
    assert not alarms, alarms[:10]


@pytest.mark.parametrize("sql", REAL_SQL)
def test_real_sql_passes_a_sql_tool(sql: str) -> None:
    found = INS.arguments({"sql": sql}, InspectOptions(tags=SQL))
    assert {f"{f.detector}:{f.kind}" for f in found if f.severity == "high"} == set(), sql


def test_the_sql_gate_holds_on_the_generated_forms() -> None:
    """``code._SQL_GATE`` (Hyperscan, prefilter mode) never says no where one of its patterns matches:
    on every generated form, its fold and its comment-free view."""
    from gateway.inspect import code
    from tests.test_inspect_prefilter import _gated

    gate, searches = _gated()[0]
    assert gate is code._SQL_GATE
    matched = [0] * len(searches)
    texts: list[Any] = [*attacks(), *LOOKALIKES, *REAL_SQL]
    for s in texts:
        for v in {s, fold(s), code._sql_view(s) or s, f"a\n\x00\n{s}\n\x00\nb"}:
            possible = gate.possible(v)
            for i, search in enumerate(searches):
                hit = search(v) is not None
                matched[i] += hit
                assert possible is None or i in possible or not hit, (i, s)
    assert sum(1 for n in matched if n) >= 6, matched
