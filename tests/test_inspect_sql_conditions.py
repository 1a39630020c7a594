"""SQL probes a fuzz list holds that the tautology rules do not: a closed literal and a condition.

Issue 12, eighth data round (fuzzdb's detection lists, dev). The classes, each from our own generator
below (lead words x quotes x operators x predicates), with look-alikes that share their surface:

- a value whose first quote closes the literal, then AND/OR and a *condition* that is no tautology:
  a column or a literal compared with a literal ("1' or 'text' > 't'", "x' and name = 'a"),
  matched ("1' or user like char(37)"), listed ("' or 'a' in ('a')"), tested for NULL; or OR with
  a literal left open for the query to close ("admin' or '");
- a statement begun right after the quote, the rest commented out ("1' select * from users--");
  a stacked DESC, and a login form's rest commented out ("admin' -- &password=");
- dynamic SQL run from a hex literal (SQL Server: "0x7761... exec(@s)", "declare @q nvarchar(200)
  select @q = 0x7300...");
- a keyword split by an empty comment ("uni/**/on sel/**/ect"), read as a comment-stripping filter
  reads it.

Look-alikes: names and measures with apostrophes, prose, real SQL (untagged in a report tool and
as a ``sql`` tool's statement), T-SQL with dynamic SQL from a string, hex constants in code.
"""

from __future__ import annotations

import itertools

import pytest

from gateway.inspect.runner import InspectOptions, Inspector

INS = Inspector()
SQL = frozenset({"sql"})


def sql_kinds(value: str, tags: frozenset[str] = frozenset(), field: str = "customer_id") -> set[str]:
    found = INS.arguments({field: value}, InspectOptions(tags=tags))
    return {f.kind for f in found if f.detector == "sql_injection" and f.severity == "high"}


def altered(value: str, tags: frozenset[str] = frozenset(), field: str = "query") -> list[str]:
    found = INS.arguments({field: value}, InspectOptions(tags=tags))
    return [f"{f.detector}:{f.kind}" for f in found if f.severity in ("high", "critical")]


# ------------------------------------------------------------------ the generator
LEADS = ("1'", "x'", "admin'", "'", "1')", "a'", "bob'", '1"', '"', "%'")
OPS = ("or", "and", "OR", "AND", "||")
PREDICATES = (
    "'text' = n'text'", "'text' > 't'", "'b' < 'c'", "'x' <> 'y'", "username = 'admin",
    "name = '", "user like char(37)", "uid like '%", "'whatever' in ('whatever')", "id in (1,2)",
    "username is not null", "email is null", "password is not NULL or username = '", "'a' between 'a' and 'b'",
    "non_existant_table = '1", "members.email = 'x", "(name = 'a')", "name >= 'a",
)  # fmt: skip


def conditions() -> list[str]:
    out = []
    for lead, op, pred in itertools.product(LEADS, OPS, PREDICATES):
        quote = lead.rstrip(")")[-1]
        if quote == '"':
            pred = pred.replace("'", '"')
        out.append(f"{lead} {op} {pred}")
    return out


STATEMENTS = [
    f"{lead} {stmt}{tail}"
    for lead in ("1'", "x'", "'", "admin'", '1"')
    for stmt in ("select * from information_schema.tables", "select name from users", "grant connect to x",
                 "revoke all on db from public", "drop table users", "delete from logs", "exec sp_who",
                 "shutdown with nowait", "update users set role = 1")
    for tail in ("--", "-- ", "#", "/*", "; --")
]  # fmt: skip
OPEN_OR = [f"{w}' {op} '" for w in ("admin", "1", "x", "user") for op in ("or", "OR", "and", "||")]
DESC = [f"{q}; desc {t}; --" for q in ("'", "\\'", "')", '"') for t in ("users", "accounts")]
LOGIN_REST = [f"{w}' -- &{f}=" for w in ("admin", "1", "x") for f in ("password", "pass", "pwd", "login.pw")]
HEX_EXEC = [
    "0x77616974666F722064656C61792027303A303A31302700 exec(@s)",
    "0x730065006c00650063007400200040004000760065007200730069006f006e00 exec(@q)",
    "1; 0x73656c65637420404076657273696f6e EXEC(@x)",
    "declare @q nvarchar (200) select @q = 0x770061006900740066006F0072002000640065006C00610079 exec(@q)",
    "declare @s varchar(8000) select @s = 0x73656c65637420404076657273696f6e",
    "DECLARE @S VARCHAR(4000) SET @S=0x44454C4554452046524F4D207573657273 EXEC(@S)",
    "declare @x nvarchar(max) set @x = 0x7300650065006c00 execute(@x)",
    "'; declare @q varchar(200) select @q = 0x73656c65637420 exec(@q)--",
]
SPLIT = ["uni/**/on sel/**/ect", "1 uni/**/on select all from where", "1 UNI/**/ON SEL/**/ECT 1,2--",
         "' uni/**/on all sel/**/ect null--", "x' o/**/r 1=1--", "1 an/**/d 1=1"]  # fmt: skip


def test_generated_conditions_are_caught() -> None:
    probes = conditions()
    assert len(probes) > 800
    missed = [p for p in probes if not sql_kinds(p)]
    assert missed == []


@pytest.mark.parametrize("probe", STATEMENTS + OPEN_OR + DESC + LOGIN_REST + HEX_EXEC + SPLIT)
def test_probe_shapes_are_caught(probe: str) -> None:
    assert sql_kinds(probe), probe
    # as a ``sql`` tool's parameter (not a statement of its own) it is a splice all the same
    assert sql_kinds(probe, SQL, field="name"), probe


# ------------------------------------------------------------------ look-alikes
NAMES = [f"{n} {op} {m}" for n in ("O'Brien", "D'Angelo", "Rock 'n' roll", "It's", "Guns N' Roses", "6' 2\"")
         for op in ("or", "and", "&") for m in ("Smith", "jazz = good", "the rest", "'80s music")]  # fmt: skip
PROSE = [
    "I'd like the blue one or the red one = same price in the 'sale' section",
    "Don't forget: name = 'value' pairs go in the config; or use the CLI",
    "Use WHERE name = 'x' OR status = 'y' to filter; see the manual",
    "Kevin's team and Sarah's team like 'agile' boards",
    "the 5' and 6' ladders are in the shed, height = 'tall'",
    "Cafe' or bistro? Either is fine",
    "Write 'select' or 'grant' in the box -- then press enter",
    "O'Reilly's book -- see chapter 3 & the appendix",
    "Use /**/ for an empty comment in C",
    "He said 'select the best' -- and we did",
    "The colour 0x7f7f7f7f7f7f7f7f is grey; exec time 3 ms",
]
REAL_SQL = [
    "SELECT * FROM users WHERE name = 'x' OR status = 'y'",
    "UPDATE accounts SET note = 'it''s ok' WHERE id = 4",
    "declare @n int set @n = 0x10",
    "INSERT INTO t (a, b) VALUES ('x', 'y') -- seed row",
    "ALTER TABLE `users` ADD `failed_login` datetime DEFAULT NULL /*!40000 ENGINE=INNODB */;",
    "CREATE TABLE t (id int) /* uni/**/on */",
]
# Statements a ``sql`` tool takes; untagged, these two were quote breaks before this round too (a LIKE
# pattern's "%'" and a quote before a stacked EXEC), so only the tagged reading is held here.
TAGGED_ONLY = [
    "select id from t where a like 'b%' and c is not null",
    "DECLARE @sql nvarchar(max) = N'SELECT 1'; EXEC sp_executesql @sql",
]
CODE = [
    "flags = 0x7fffffffffffffff  # exec(@never) is not Python",
    "if name == 'x' or name == 'y':\n    return None",
    'query = "SELECT * FROM t WHERE a = \'" + a + "\' OR b = \'" + b + "\'"',
]


@pytest.mark.parametrize("text", NAMES + PROSE)
def test_names_and_prose_pass(text: str) -> None:
    assert altered(text) == [], text


@pytest.mark.parametrize("sql", REAL_SQL)
def test_real_sql_passes(sql: str) -> None:
    # as a ``sql`` tool's statement, and untagged as a report tool's query
    assert altered(sql, SQL, field="sql") == [], sql
    assert altered(sql, field="query") == [], sql


@pytest.mark.parametrize("sql", TAGGED_ONLY)
def test_real_sql_passes_a_sql_tool(sql: str) -> None:
    assert altered(sql, SQL, field="sql") == [], sql


@pytest.mark.parametrize("code", CODE)
def test_code_passes(code: str) -> None:
    assert altered(code, field="content") == [], code
