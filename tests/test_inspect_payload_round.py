"""Seventeenth round (payload families): an identifier field's value that breaks out of its token (SQL),
sqlmap's LIKE boundary tautology, CSS escapes and word-splitting empty tags in markup (XSS), a command run
under ``timeout`` after a separator (shell). Attacks written here, not copied from the corpus; benign
look-alikes that must stay clean; each new or changed pattern bounded on 64 KiB of hostile text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.inspect import code
from gateway.inspect.normalize import fold
from gateway.inspect.runner import InspectOptions, Inspector
from tests.timing import within

INS = Inspector()
SQL = frozenset({"sql"})
SHELL = frozenset({"shell"})


def found(args: dict[str, object], tags: frozenset[str] = frozenset()) -> list[str]:
    return [f"{f.detector}:{f.kind}" for f in INS.arguments(args, InspectOptions(tags=tags)) if f.severity == "high"]


# --- SQL: an identifier field's value that leaves the identifier
ID_PROBES = ["12\\'3", "9'x", "||3", "-4'", "77`", '5"', " 31' "]


@pytest.mark.parametrize("value", ID_PROBES)
@pytest.mark.parametrize("key", ["id", "customer_id", "order-id", "uid", "userid"])
def test_an_identifier_that_breaks_out_is_caught(key: str, value: str) -> None:
    assert "sql_injection:identifier_probe" in found({key: value}) or any(
        k.startswith("sql_injection:") for k in found({key: value})
    )


def test_an_identifier_probe_is_caught_among_other_strings() -> None:
    # the joined scan finds nothing on its own; the field name sends the string to the rule
    got = found({"note": "hello there", "customer_id": "41'", "limit": "10"})
    assert "sql_injection:identifier_probe" in got


IDS = ["42", "cus_9F3kQ2", "ORD-2024-0007", "3f2b1c9e-8a7d-4e1f-9b0c-2d4e6f8a1b3c", "user@example.org",
       "acme.corp:eu-west-1", "a+b", "v1.2.3"]  # fmt: skip


@pytest.mark.parametrize("value", IDS)
def test_real_identifiers_pass(value: str) -> None:
    assert found({"id": value, "customer_id": value}) == []


@pytest.mark.parametrize(
    "value", ["O'Brien", "'s-Hertogenbosch", "5' 11\" tall", "6'2\"", "'", "''", "a'b", "'abc'", "a||b", "|| true",
              "(none)", "Chris'", "k'", "Bob's (select) list", "x'; y", "@@ -1,3 +1,4 @@", "-- signed, Bob"],
)  # fmt: skip
def test_names_and_prose_in_an_identifier_field_pass(value: str) -> None:
    assert "sql_injection:identifier_probe" not in found({"customer_id": value})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("valid", "it's fine"),  # not an identifier field: the probe's context is the name
        ("paid", "yes (in full)"),
        ("android", "o'reilly"),
        ("note", "5'"),
        ("query", "what does 'id' mean (in SQL)?"),
    ],
)
def test_other_fields_are_not_judged_as_identifiers(key: str, value: str) -> None:
    assert not any(k == "sql_injection:identifier_probe" for k in found({key: value}))


def test_a_long_identifier_field_is_not_judged_as_one() -> None:
    assert "sql_injection:identifier_probe" not in found({"id": "x" * 300 + "'"})


@settings(max_examples=2000, deadline=None)
@given(st.text(st.sampled_from("0123456789-\\'\"`| x\u2019\uff07\uff5c\u02bc\u00a0"), max_size=16))
def test_the_identifier_value_test_holds_wherever_the_probe_matches(value: str) -> None:
    """``SqlDetector.traits.keyed_value``: an identifier field's value is scanned on its own only where it passes, so it
    must pass wherever the probe finds one (quotes and bars spelled as NFKC folds them included)."""
    if code._id_probe(fold(value)) is not None:
        assert code._id_probe_possible(value), value


@pytest.mark.parametrize("value", [*ID_PROBES, "9\uff07x", "\uff5c\uff5c3", "41\u2019"])
def test_the_identifier_value_test_passes_every_probe(value: str) -> None:
    assert code._id_probe_possible(value)
    assert not code._id_probe_possible("item-42") and not code._id_probe_possible("x" * 300 + "'")


@pytest.mark.parametrize(
    "value",
    [
        "1%' and 'zz%'='zz",
        "9' and 'Qw%'='Qw",
        'x" or "ab%"="ab',
        "' or 'yes",  # a literal left open for the query to close
        '" AND "7',
        "' or 4 between 2 and 8",
        "' and 8 not between 1 and 2",
        "' + (select top 1 login from accounts) + '",
        "' and substring(pass,2,1)='q",
        "' or ascii(token)>64",
        "7' order by 2,4,6-- x",  # a column list in the count probe
        "5 group by 1, 2#",
        "q' and false--",  # the falsy half of the blind pair
        "') && not true#",
        "x; execute ('dr' + 'op table t')",  # a stacked EXEC of an expression
        "||(select pw from acct)",  # a concatenation opening the value
    ],
)
def test_quote_led_probes_are_caught(value: str) -> None:
    assert any(k.startswith("sql_injection:") for k in found({"q": value}))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, name FROM customers WHERE name LIKE 'ab%' AND code = 'ab'",
        "SELECT * FROM t WHERE a LIKE 'x%' OR b = 'x'",
        "UPDATE users SET nick = 'o''neil' WHERE id = 7",
    ],
)
def test_real_sql_passes_a_sql_tool(sql: str) -> None:
    assert found({"query": sql, "id": "7"}, SQL) == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'a' + (SELECT TOP 1 name FROM sys.tables) + 'b'",
        "SELECT * FROM t WHERE code = 'x' AND price BETWEEN 10 AND 20",
        "SELECT name FROM users WHERE name = 'ann' AND substring(code,1,2)='ab'",
        "SELECT a, b, c FROM t WHERE k = 'v' ORDER BY 1, 2 -- by column",
        "SELECT * FROM flags WHERE name = 'beta' AND false -- disabled",
        "EXEC ('SELECT 1')",
    ],
)
def test_scripts_with_the_new_shapes_pass_a_sql_tool(sql: str) -> None:
    assert found({"query": sql}, SQL) == []


@pytest.mark.parametrize("text", ['Rock "n" roll or jazz', "what's 'or' in SQL?", "prices between 2 and 8",
                                  'she said "yes" and "no" both', "left(1) or right(2)"])  # fmt: skip
def test_prose_with_quotes_passes(text: str) -> None:
    assert not any(k.startswith("sql_injection:") for k in found({"query": text}))


# --- XSS: CSS escapes and word-splitting empty tags
XSS = [
    '<style>@import "\\6a \\61 \\76 \\61 \\73 \\63 \\72 \\69 \\70 \\74 \\3a \\70 \\72 \\6f \\6d \\70 \\74 (2)"</style>',
    '<div style="width: \\65 xpression(prompt(7))">',
    "<p style=x:expression\\28 confirm(3)\\29>",
    "'o<b>nfocus=prompt<i>(5) autofocus x='",
    "<img src=&<b>#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;confirm(4)>",
    "<section style=\"-moz-binding:url('https://x.example/b.xml#b')\">",
    "<style>main{-moz-binding:url(//x.example/b.xml#b)}</style>",
    "<a href=java\\0script:confirm(8)>x</a>",  # a NUL written as an escape
]


@pytest.mark.parametrize("value", XSS)
def test_hidden_markup_is_caught(value: str) -> None:
    assert "xss:script_markup" in found({"body": value})


BENIGN_MARKUP = [
    '<style>.icon::before { content: "\\f101"; } .q::after { content: "\\201C"; }</style>',
    "<p>Use <b>bold</b> and <i>italic</i> text; see <code>a<b>c</b></code></p>",
    "C:\\Users\\ada\\Documents\\a1\\b2",
    '<ul><li>one</li><li>two</li></ul><p class="note">x<br>y</p>',
    "<p>Bob&#39;s <em>new</em> page &amp; more</p>",
]


@pytest.mark.parametrize("value", BENIGN_MARKUP)
def test_templates_and_paths_stay_clean(value: str) -> None:
    assert not any(k.startswith("xss:") for k in found({"body": value, "path": value}))


# --- shell: a command under a time limit
@pytest.mark.parametrize("value", ["host.example; timeout 4 id", "a.txt | timeout 9s cat /dev/urandom",
                                   "x && timeout 2 ping -c 9 10.0.0.1"])  # fmt: skip
def test_a_command_under_timeout_is_caught(value: str) -> None:
    assert any(k.startswith("shell_injection:") for k in found({"host": value}))


@pytest.mark.parametrize(
    "line",
    [
        "timeout 30 make test",
        "timeout 5s curl -sf https://api.example.org/health || exit 1",
        "sleep 2; timeout 9 ./run.sh",
    ],
)
def test_real_shell_lines_pass_a_shell_tool(line: str) -> None:
    assert found({"command": line}, SHELL) == []


@pytest.mark.parametrize("text", ["Set a timeout of 5 seconds; timeouts over 60 fail.", "We waited (timeout 30s)."])
def test_prose_about_timeouts_passes(text: str) -> None:
    assert not any(k.startswith("shell_injection:") for k in found({"text": text}))


# --- bounded cost, 64 KiB of hostile text per new or changed pattern
HOSTILE = {
    "sql_id_probe": ["a " * 32768, "a" * 65536, "a " * 8 + "a" * 65000, "1 " * 20000 + "'"],
    "css_escape": ["\\" * 65536, "\\6a " * 16384, "\\fffff" * 10000],
    "xss_split_tag": ["a<b>" * 16384, "<" * 65536, "&<abcdefghij" * 6000],
    # the tautology as the detector runs it (from its candidates, _FAST_TAUTOLOGY), on runs aimed at the new "%?"
    "sql_tautology": ["'a%" * 21000, "'a%'='" * 10000, "a%" * 32768],
    "sql_value_then_query": [
        "' or '" * 11000,
        "a' and 'b" * 6500,
        " " * 65536,
        "||(" * 21000,
        "; exec (" * 8000,
        "1 order by 1," + "2," * 32000,
    ],
}


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, ts in HOSTILE.items() for t in ts])
def test_new_patterns_are_bounded_on_64_kib(name: str, text: str) -> None:
    fast = {"sql_tautology": code._FAST_TAUTOLOGY, "sql_quote_end": code._FAST_QUOTE_END,
            "sql_value_then_query": code._FAST_VALUE_THEN_QUERY}  # fmt: skip
    search = fast[name].search if name in fast else code.PATTERNS[name].search
    assert within(lambda: search(text), 0.01) < 0.01


@pytest.mark.parametrize("text", ["a<b>" * 16384, "\\6a " * 16384, "x'" * 32768])
def test_the_detectors_are_bounded_on_64_kib(text: str) -> None:
    xss, sql = code.XssDetector(), code.SqlDetector()
    from gateway.inspect.base import Target

    t = Target(text, None, "request_arg", "/body", "body")
    t2 = Target(text, None, "request_arg", "/id", "id")
    assert within(lambda: (xss.scan(t), sql.scan(t2)), 0.05) < 0.05


# --- path traversal: what a file inclusion reads to fingerprint the host or to poison a log
LFI = ["/etc/issue", "/etc/hostname", "/etc/nginx/nginx.conf", "/var/log/nginx/access.log",
       "/var/log/httpd/error_log", "/var/log/auth.log", "/var/log/vsftpd.log", "/home/ada/.bashrc",
       "file:///etc/hosts", "/var/log/apache/access"]  # fmt: skip


@pytest.mark.parametrize("value", LFI)
@pytest.mark.parametrize("key", ["path", "name"])
def test_host_fingerprint_and_log_targets_are_caught(key: str, value: str) -> None:
    assert "path_traversal:sensitive_path" in found({key: value, "note": "see the file"})


BENIGN_PATHS = ["/var/log/myapp/app.log", "/etc/nginx/conf.d/site.conf", "/var/log/nginx/", "/srv/www/hosts.txt",
                "docs/etc/hostname-rules.md", "src/.bashrc.d/aliases", "/var/logs/nginx/access.log.md"]  # fmt: skip


@pytest.mark.parametrize("value", BENIGN_PATHS)
def test_ordinary_paths_pass(value: str) -> None:
    assert not any(k.startswith("path_traversal:") for k in found({"path": value}))


def test_a_config_that_names_a_log_passes() -> None:
    conf = "worker_processes auto;\nerror_log /var/log/nginx/error.log;\naccess_log /var/log/nginx/access.log;\n"
    assert not any(k.startswith("path_traversal:") for k in found({"content": conf * 4, "path": "conf/nginx.conf"}))


@pytest.mark.parametrize("text", ["var/log/" * 8192, "/etc/" * 13000 + "issue", ".bashrc" * 9362, "v" * 65536])
def test_the_targets_pattern_is_bounded_on_64_kib(text: str) -> None:
    from gateway.inspect import traversal

    assert within(lambda: traversal._TARGETS.search(text), 0.01) < 0.01
    t = traversal.Target(text, None, "request_arg", "/path", "path")
    assert within(lambda: traversal.TraversalDetector().scan(t), 0.05) < 0.05


# The quote-break pattern as a whole costs 12-35 ms on 64 KiB of dense quote runs ("' or " * 13000) before this
# round as after it (its candidates are every quote); the alternatives this round added are held alone.
_NEW_QUOTE_END = ("between", "substr(?:ing)?", "(?:\\|\\||\\+)", "false|not", ",\\s?\\d{1,3}){0,30}")


@pytest.mark.parametrize("marker", _NEW_QUOTE_END)
@pytest.mark.parametrize(
    "text",
    ["' or 1 between " * 4500, "' and substring(" * 4000, "' and left(" + "x" * 65000, "'+(" * 21000, "'" * 65536],
)
def test_the_new_quote_break_alternatives_are_bounded_on_64_kib(marker: str, text: str) -> None:
    import re

    from gateway.inspect.prefilter import _split_top

    alts = [a for a in _split_top(code._SQL_QUOTE_END.pattern) if marker in a]
    assert alts
    rx = re.compile("|".join(alts), re.I)
    assert within(lambda: rx.search(text), 0.01) < 0.01


# The shell splice pattern as a whole costs 10-60 ms on 64 KiB of dense separators ("; " * 32768) before this round
# as after it; the alternative this round added ("timeout N cmd") is held alone, and with a separator before it.
@pytest.mark.parametrize("text", ["; timeout 5 " * 5000, "|timeout 99999s" * 4000, "timeout " * 8000, "; " * 32768])
def test_the_timeout_alternative_is_bounded_on_64_kib(text: str) -> None:
    import re

    alt = next(a for a in code._CMD_TAIL.split("|") if a.startswith("timeout"))
    for rx in (re.compile(alt, re.I), re.compile(r"(?:[;&|]|\$\(|%0a)[ \t]{0,3}`?" + alt, re.I)):
        assert within(lambda rx=rx: rx.search(text), 0.01) < 0.01
