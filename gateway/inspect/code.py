"""Injection into interpreters the tool hands arguments to: shell metacharacters and
command substitution (tools tagged ``shell``), SQL injection (tools tagged ``sql``),
and server-side template injection (every tool). OWASP LLM05 (improper output
handling) / ASI05 (unexpected code execution).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet

from gateway.inspect.base import JOINED_SEP, Anchors, DetectorTraits, Hit, Target, excerpt, finding, is_document
from gateway.inspect.normalize import fold
from gateway.inspect.prefilter import ARG_GATES, PatternGate

OWASP = ("LLM05", "ASI05")

# --- shell. Untagged tools: a separator followed by a command (the value is spliced into a
# command line somewhere downstream). Tagged ``shell`` tools take shell: only attack
# signatures (reverse shells, download-and-run, shellshock, wiping /) and, when the tool
# lists ``shell_commands``, a command outside that list.
_CMD_ANY = (
    r"(?:whoami|uname|ifconfig|ipconfig|netstat|sysinfo|systeminfo|phpinfo|nslookup|tasklist|powershell|wget|curl|"
    r"nc|ncat|netcat|bash|sh|zsh|ksh|telnet|printenv|socat|xterm|cmd(?:\.exe)?|/bin/\w{1,12}|/usr/bin/\w{1,12}|"
    r"/usr/sbin/\w{1,12})"
)
_CMD_ARGS = r"(?:id|cat|ls|ping|sleep|echo|dir|net|type|rm|pwd|ps|perl|python3?|ruby|php|reg|route|chmod|touch|kill)"
# Commands that are also English words ("find", "set", "head"): only with an option, an absolute path or a quoted
# argument after them ("; find / -name '*.conf'", "; grep -r pass /etc") or a separator (not a backtick or a line
# break: "`users` SET `x`" is SQL's, "| grep\n" a quoted pipeline's); "env" and "set" also alone at the value's end,
# glued to the separator ("report.pdf;env"; "Build & Env" is a label).
_CMD_WORDS = r"(?:find|grep|tail|head|timeout|waitfor|choice|java|node|lua|awk|env|set|ss|nohup)"
# A command with a subcommand that no prose puts after a separator ("; ps aux", "& reg query HKLM", "; ip addr"), a
# lookup of a dotted name ("; dig evil.example"), a name in bash's ANSI-C quotes ("$'\\x69\\x64'" is "id") or a
# brace expansion ("{cat,/etc/passwd}").
_CMD_SUB = (
    r"(?:ps[ \t]{1,3}(?:aux|axu|-?ef)\b|reg[ \t]{1,3}(?:query|add|delete|export|save)\b|"
    r"ip[ \t]{1,3}(?:addr|route|link|neigh)\b|dig[ \t]{1,3}@?[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}\b|"
    r"\$'(?:\\(?:x[0-9a-f]{1,2}|[0-7]{1,3})){1,20}'|"
    r"\{(?:id|cat|ls|whoami|uname|wget|curl|nc|bash|sh|ping|echo|env|printenv|python3?|perl|rm|sleep),[^{}\s]{0,60}\})"
)
# "End of a value" and "start of a value" that hold both for one string and in the runner's
# joined scan (strings separated by "\n\x00\n"): (?=\n\x00|\n?\Z) and (?:\A|(?<=\x00\n)).
# The command after a separator: an absolute path to a binary directory (it names a command
# whatever follows), a command that needs no argument, or one that does, with one.
_CMD_TAIL = (
    r"(?:/(?:usr/(?:local/)?)?s?bin/[\w.-]{1,20}|"
    + _CMD_ANY
    + r"\b(?!\s?\|)|"
    # (each new group behind a one-character look at its commands' first letters: a dense run of separators tries
    # the tail at every one, and a failed look costs less than the group's branches)
    + r"(?=[pridsc$\{])"
    + _CMD_SUB
    + "|"
    + _CMD_ARGS
    # (a shell comment after the command: "; id # ..." comments out the rest of the line it is spliced into)
    + r"(?:(?=\n\x00|\n?\Z)|[ \t]{1,3}[-/.$~\"'`\d]|[ \t]{1,3}[a-z]:[\\/]|[ \t]{0,3}(?:[;&`)\n]|\|(?![ \t])|%0a|\\n)|"
    r"[ \t]{1,3}#(?=[ \t]|\n\x00|\n?\Z))|(?=[fgthwcjnlaes])"
    + _CMD_WORDS
    + r"(?:[ \t]{1,3}[-/\"']|[ \t]{0,3}(?:[;&)]|\|(?![ \t]))|[ \t]{1,3}#(?=[ \t]|\n\x00|\n?\Z))|"
    # (seventeenth round) a command run under a time limit ("; timeout 5 sleep 9", "| timeout 3s cat /dev/zero")
    r"timeout[ \t]{1,3}\d{1,5}[smhd]?[ \t]{1,3}[\w/]|"
    r"(?<![ \t])(?:env|set)(?=\n\x00|\n?\Z))"
)
_SHELL_SPLICE = re.compile(
    # a token that ends in a dangling separator ("report.pdf&", "host|", "x%0a"): a probe
    r"(?:\A|(?<=\x00\n))[^\s;&|`%]{1,200}(?:[;&|`]{1,2}|%0a(?:%0d)?)[ \t]?(?=\n\x00|\n?\Z)|"
    # (a backtick, but not one of a markdown code fence's three: "```python" names a language)
    r"(?:[;&|]|(?<!`)`(?!``)|\$\(|%0a|%0d|\\n)[ \t]{0,3}`?" + _CMD_TAIL,
    re.I,
)
# A whole value that is one token (or none), a separator and a command: "example.org;echo
# pwned", "|net user", "1&&hostname"; or one token, a newline and a command: "report.pdf\nid".
# A newline alone is text's, so only this shape counts it; its first line holds no space, "#",
# "$", ">", ":" or "`" (a comment, a prompt, a label, a URL, a code fence).
_NET = r"net[ \t]{1,3}(?:user|localgroup|group|share|view|use|session|accounts|config|start|stop)\b"
_VALUE_END = r"[^\n\x00]{0,200}(?=\n\x00|\n?\Z)"
_ECHO = r"echo[ \t]{1,3}[^\s;&|`]{1,40}[ \t]?[`)]?(?=\n\x00|\n?\Z)"
_SHELL_VALUE = re.compile(
    r"(?:\A|(?<=\x00\n))(?:"
    r"[^\s;&|`#$>:]{0,200}[ \t]{0,3}(?:[;&|`]{1,2}|\$\(|(?:%0d)?%0a)[ \t]{0,3}(?:"
    + _CMD_TAIL
    + "|"
    + _NET
    + "|"
    + _ECHO
    + r"|hostname)|"
    r"(?:[^\s;&|`#$>:]{1,200}|(?=\r?\n))(?:\r?\n){1,2}[ \t]{0,3}(?:"
    + _CMD_TAIL
    + "|"
    + _NET
    + "|"
    + _ECHO
    + r"))"
    + _VALUE_END,
    re.I,
)
# ``shell``-tagged tools take command lines, so a separator and a command are theirs; what is not
# is a line that opens with a datum (a number, an address, a host, file or e-mail name, but not
# a script: "report.pdf;id", "8.8.8.8|whoami", "1\nuname -a"), or with a separator bash refuses
# there (";id", "|cat /etc/passwd", "&&whoami") or an encoded newline ("%0aid"): a parameter
# spliced into a line.
_DATUM = (
    r"(?:\d{1,15}(?:\.\d{1,3}){0,3}|"
    r"[\w+-]{1,64}(?:(?:\.(?!(?:sh|bash|zsh|py|pl|rb|exe|bat|cmd|ps1|js|php|out|bin|run|appimage)\b)|@)[\w-]{1,64}){1,6})"
)
_SHELL_DATUM_SPLICE = re.compile(
    r"(?:\A|(?<=\x00\n))(?:" + _DATUM + r"[ \t]{0,3}(?:[;&|`]{1,2}|\$\(|(?:%0d)?%0a|(?:\r?\n){1,2})|"
    r"[ \t]{0,3}(?:[;&|]{1,2}|(?:%0d)?%0a))"
    r"[ \t]{0,3}(?:" + _CMD_TAIL + "|" + _NET + "|" + _ECHO + r"|hostname\b)",
    re.I,
)
# A command spelled to slip past a word list: quotes or a backslash inside a word
# ("c'a't", "w\"h\"o\"am\"i", "who\\ami"), unset variables ("cat$u /etc$u/passwd"). Undone in
# a view that the splice and value patterns then read.
_SHELL_OBFUSCATION = re.compile(
    r"(?<=[\w/.])(?:''|\"\"|['\"])(?=[\w/.])|(?<=\w)\\(?=[a-z])|"
    r"(?<=[\w/])\$(?:\{\w{0,10}\}|[@*]|[a-z_]\w{0,2}(?![\w]))",
    re.I,
)
# ... a quoted part that ends a word ("i'd'", "e\"c\"ho", "p'ing'"), and $IFS for a space
# ("ping$IFS-c 1", "cat$IFS$9/etc/passwd"), undone first.
_SHELL_QUOTED_PART = re.compile(r"(?<=[\w/.])(['\"])([\w/.-]{1,20})\1")
_SHELL_IFS = re.compile(r"\$IFS(?:\$\d)?(?!\w)|\$\{IFS\}", re.I)


# Commands whose names a shell line spells in pieces only to slip past a filter ("c'a't",
# "w\"h\"oami", "who\\ami", "ping$IFS-c"): caught on ``shell``-tagged tools too.
_OBFUSCATABLE = frozenset(("id", "whoami", "uname", "ifconfig", "ipconfig", "netstat", "nslookup", "dig",
                           "host", "wget", "curl", "nc", "ncat", "netcat", "socat", "bash", "sh", "zsh",
                           "ksh", "dash", "telnet", "ssh", "scp", "tftp", "ftp", "python", "python2",
                           "python3", "perl", "ruby", "php", "node", "cat", "ls", "ping", "sleep", "echo",
                           "rm", "chmod", "chown", "touch", "kill", "ps", "pwd", "dir", "type", "net",
                           "powershell", "cmd", "base64", "nohup", "env", "hostname", "awk", "sed", "head",
                           "tail", "more", "less", "find", "xxd", "od", "busybox"))  # fmt: skip
_CMD_WORD = re.compile(r"[ \t]{0,3}([\w/.'\"\\$@*{}-]{2,60})")


def _spelled_command(raw: str) -> re.Match[str] | None:
    """A command after a separator whose name is spelled in pieces (its quotes balanced, as the
    shell needs them: "I'd" is prose's). A line's first word is left to the allow-list: the
    detector opens only on a separator (``ShellDetector.traits``)."""
    for sep in itertools.islice(_SHELL_SEPARATED.finditer(raw), 64):
        if sep.group(0) == "\n" and raw[sep.start() - 1 : sep.start()] == "\x00":
            continue  # the runner's separator: a value's start
        w = _CMD_WORD.match(raw, sep.end())
        if w is None or not any(c in w.group(1) for c in "'\"\\$"):
            continue
        word = w.group(1)
        if word.count("'") % 2 or word.count('"') % 2:
            continue
        view = _shell_view(word, word.lower()).split()
        if view and view[0] != word and view[0].rsplit("/", 1)[-1].lower() in _OBFUSCATABLE:
            return w
    return None


def _shell_view(raw: str, low: str) -> str:
    """``raw`` with a command's spelling tricks undone (see ``_SHELL_OBFUSCATION``)."""
    view = _SHELL_IFS.sub(" ", raw) if "$ifs" in low or "${ifs}" in low else raw
    if "'" in view or '"' in view:
        view = _SHELL_QUOTED_PART.sub(r"\2", view)
    return _SHELL_OBFUSCATION.sub("", view)


# ... and its gate: a separator, then within a word a quote, backslash or dollar.
_SHELL_OBFUSCATED = re.compile(r"(?:[;&|`\n]|\$\(|%0a)[ \t]{0,3}[\w/.]{0,12}['\"\\$]", re.I)
_SHELL_SEPARATED = re.compile(r"[;&|`\n]|\$\(|%0a", re.I)  # where a command word may start (each an anchor)
# A command named by wildcards: "/???/??t /???/p??s??" after a separator or as the value.
_SHELL_GLOB = re.compile(r"(?:[;&|`\n]|\$\(|\A|(?<=\x00\n))[ \t]{0,3}/[?*]{1,8}/[\w?*]{0,20}\?[\w?*]{0,20}")
_SHELL_ALWAYS = re.compile(
    r"\(\)\s?\{\s?:\s?;\s?\}\s?;|"  # shellshock
    r"\$\{ifs\}|"
    r"/dev/(?:tcp|udp)/|"
    r"\b(?:nc|ncat|netcat)\b[^;|&\n]{0,60}\s-[a-z]{0,4}e\s{1,3}/bin/|"
    r"\bbash\s{1,3}-i\s{0,3}>&|"
    r"\bmkfifo\b[^\n]{0,80}\b(?:nc|ncat|sh)\b|"  # (over ";": "mkfifo /tmp/f;cat /tmp/f|sh -i 2>&1|nc")
    r"\b(?:curl|wget)\b[^|;\n]{1,200}\|\s?(?:sudo\s)?(?:ba|z|k)?sh\b|"
    r"\bbase64\s{1,3}(?:-d|--decode)\b[^|;\n]{0,80}\|\s?(?:ba)?sh\b|"
    r"\brm\s{1,3}-[a-z]{0,3}[rf][a-z]{0,3}\s{1,3}(?:--no-preserve-root\s{1,3})?/(?:\s|\Z|\*)|"
    r":\(\)\s?\{\s?:\s?\|\s?:\s?&\s?\}\s?;\s?:",  # fork bomb
    re.I,
)
_SHELL_TOKENS = (";", "&", "|", "`", "$(", "%0a", "%0d", "\\n")
_SHELL_ALWAYS_TOKENS = ("() {", "(){", "${ifs}", "/dev/tcp", "/dev/udp", "bash -i", "mkfifo", ":(){", ":() {")


def _shell_always_maybe(low: str) -> bool:
    """Could ``_SHELL_ALWAYS`` match? (Every alternative needs one of these.)"""
    return (
        any(tok in low for tok in _SHELL_ALWAYS_TOKENS)
        or ("-e" in low and ("nc " in low or "ncat" in low or "netcat" in low))
        or ("|" in low and ("curl" in low or "wget" in low or "base64" in low))
        or ("rm " in low and " /" in low)
    )


# --- SQL. (The patterns read ``Target.norm``, where a joined scan's separator "\n\x00\n" is
# folded to " \x00 ": a value starts after "\x00\n" or "\x00 " and ends before "\n\x00" or " \x00".)
# Strict, quote-led patterns hold for every tool; a tagged ``sql`` tool takes SQL,
# so only a value spliced against the grammar is caught there (a tautology comparing a
# value with itself, a quote closed then commented out or followed by a statement,
# time-delay probes, stacked OS-level calls), plus verbs outside ``sql_verbs`` when set.
# A string literal or a character code, and a string built from them by concatenation (||, +,
# CONCAT) or CHAR(): the pieces of a tautology that compares a built string with its value.
_SQL_LIT = r"'[^'\n\x00]{0,20}'|\"[^\"\n\x00]{0,20}\"|char\s?\(\s?\d{1,3}(?:\s?,\s?\d{1,3}){0,7}\s?\)|0x[0-9a-f]{2,16}"
_SQL_BUILT = (
    r"(?:" + _SQL_LIT + r")(?:\s?(?:\|\||\+)\s?(?:" + _SQL_LIT + r")){1,4}|"
    r"concat\s?\(\s?(?:" + _SQL_LIT + r")(?:\s?,\s?(?:" + _SQL_LIT + r")){1,5}\s?\)|"
    r"char\s?\(\s?\d{1,3}(?:\s?,\s?\d{1,3}){0,7}\s?\)"
)
_SQL_TAUTOLOGY = re.compile(
    r"(?:\b(?:or|and|xor)|\|\||&&)\s{0,3}(?:not\s{1,3})?\(*\s?(['\"]?)"
    # ("or 'a'='a", and sqlmap's LIKE boundary "and 'x%'='x", whose query closes the last literal)
    r"(\w{1,20})%?\1\)*\s{0,3}(?:=|like)\s{0,3}\(*\1\2\1?(?![\w])|"
    r"(?:\bor|\|\|)\s{0,3}(['\"])\3\s{0,3}[-=&^* ]\s{0,3}\3|"
    # a quoted value holding dots or "@" compared with itself ("'or'il.nl'='il.nl")
    r"(?:\b(?:or|and|xor)|\|\||&&)\s{0,3}(['\"])([\w.@-]{1,30})\4\s{0,3}=\s{0,3}\4\5(?:\4|(?![\w.@-]))|"
    # a string built from pieces compared with a constant one: "' AND 'a'||'b'='ab" (the query
    # closes the last literal), "' OR CONCAT('a','b')='ab'--", "' AND CHAR(97)='a", "' AND 'ab'=CONCAT(..)"
    r"\b(?:or|and|xor)\s{1,3}\(?\s?(?:" + _SQL_BUILT + r")\s?=\s?(?:" + _SQL_LIT + "|" + _SQL_BUILT + r"|['\"]"
    r"[^'\"\n\x00]{0,20}(?=[\n ]\x00|\n?\Z))|"
    r"\b(?:or|and|xor)\s{1,3}\(?\s?(?:" + _SQL_LIT + r")\s?=\s?(?:" + _SQL_BUILT + ")|"
    # (thirteenth round) a function of no arguments compared with itself ("AND CONNECTION_ID()=CONNECTION_ID()")
    r"\b(?:or|and|xor)\s{1,3}([a-z_]{2,30}\s?\(\s?\))\s?=\s?\6",
    re.I,
)
_SQL_QUOTE_END = re.compile(
    # close the literal, comment out the rest
    r"(?:^|(?<=\n)|(?<=\x00 )|[\w)])['\"]\)*\s{0,2}(?:(?:--[ \t]{0,3}[-+]?|"
    r"#)[ \t]{0,3}|/\*[^\n]{0,20})(?=[\n ]\x00|\n?\Z)|"
    # a statement ended and the rest commented out ("'; --"), a column count probe ("' order by 3--"),
    # a group probe ("' having 1=1"), a JavaScript busy wait after a quote (server-side JS / NoSQL)
    r"['\"]\)*\s{0,3};\s{0,3}(?:--|#)[ \t]{0,3}[-+]?[ \t]?(?=[\n ]\x00|\n?\Z)|"
    r"['\"]\)*\s{1,3}(?:order|group)\s{1,3}by\s{1,3}\d{1,3}(?:\s?,\s?\d{1,3}){0,30}\s{0,3}(?:--|#|/\*)|"
    r"['\"]\)*\s{1,3}having\s{1,3}(\d{1,5})\s?=\s?\1\b|"
    r"['\"]\s{0,3};\s{0,3}[\w.]{1,20}\s?=\s?new\s{1,3}date\s?\(|"
    # a literal closed and concatenated ("1'||'asd'||'"), the LIKE-wildcard balance ("and '%'='")
    r"['\"]\s?\|\|\s?['\"][^'\"\n]{0,20}['\"]\s?\|\|\s?['\"]|"
    r"(?:(?<=and )|(?<=or ))(['\"])%\2\s?=\s?\2|"
    r"['\"]\s{0,3}(?:and|or)\s{1,3}\d{1,5}\s?=\s?\d{1,5}\s{1,3}union\s{1,3}(?:all\s{1,3})?select\b|"
    r"['\"]\)*\s{0,3};\s{0,3}(?:drop|delete|insert|update|shutdown|exec|execute|declare|waitfor|select|create|"
    r"alter|truncate|grant|desc(?:ribe)?\s{1,3}\w{1,40})\b|"
    # (thirteenth round) ... or a T-SQL conditional or loop over constants that runs one ("'; if 1=1 shutdown--",
    # "'; while 1=1 drop table t")
    r"['\"]\)*\s{0,3};\s{0,3}(?:if|while)\s{1,3}\(?\s?\d{1,12}\s?(?:=|<>|!=|<|>)\s?\d{1,12}\s?\)?\s{1,3}"
    r"(?:drop|shutdown|exec|execute|delete|insert|update|waitfor|select|truncate|begin)\b|"
    # the rest of a login form commented out ("admin' -- &password=")
    r"['\"]\)*\s{0,2}--[ \t]{0,3}&[\w.]{1,30}=|"
    r"\bor\s{1,3}true\s{0,3}(?:--|#)|"
    # ... a boolean constant after a quote, commented out ("') or true/*", "' || not false;--")
    r"['\"]\)*\s{0,3}(?:or|\|\|)\s{1,3}(?:true|not\s{1,3}false)\s{0,3}(?:;\s{0,3})?(?:--|#|/\*)|"
    # ... or the falsy one of the pair ("' and false--", "') && not true#"; seventeenth round)
    r"['\"]\)*\s{0,3}(?:and|&&)\s{1,3}(?:false|not\s{1,3}true)\s{0,3}(?:;\s{0,3})?(?:--|#|/\*)|"
    # a truthy constant commented out ("' or 1#"), a group probe ("' group by x having 1=1"), the
    # boolean pair of blind injection ("1' and '1'='2": the query closes the last literal), a
    # subquery concatenated in ("'||(select version())||'") or tested ("' or exists(select")
    r"['\"]\)*\s{0,3}(?:or|\|\|)\s{1,3}\d{1,5}\s{0,3}(?:;\s{0,3})?(?:--|#|/\*)|"
    r"['\"]\)*\s{1,3}group\s{1,3}by\s{1,3}[\w.]{1,30}\s{1,3}having\s{1,3}\d{1,5}\s?=\s?\d{1,5}|"
    r"['\"]\)*\s{1,3}(?:and|or)\s{1,3}(['\"])\w{1,10}\3\s?(?:=|<>|!=|>=?|<=?)\s?\3\w{1,10}(?=[\n ]\x00|\n?\Z)|"
    # ... constants compared ("' AND 1=2--", "' OR 2>1")
    r"['\"]\)*\s{1,3}(?:and|or|xor|&&|\|\|)\s{1,3}(?:not\s{1,3})?\d{1,5}\s?(?:=|<>|!=|>=?|<=?)\s?\d{1,5}\s{0,3}"
    r"(?:;\s{0,3})?(?:--|#|/\*|(?=[\n ]\x00|\n?\Z))|"
    # a subquery concatenated (|| or T-SQL's +: "' + (select top 1 name from t) + '"), a constant in a range
    # ("' or 5 between 1 and 9"), a string function of a column compared ("' and substring(pw,1,1)='a")
    r"['\"]\s?(?:\|\||\+)\s?\(\s?select\b|"
    r"['\"]\)*\s{1,3}(?:and|or)\s{1,3}\d{1,5}\s{1,3}(?:not\s{1,3})?between\s{1,3}\d{1,5}\s{1,3}and\s{1,3}\d{1,5}\b|"
    r"['\"]\)*\s{1,3}(?:and|or)\s{1,3}(?:substr(?:ing)?|mid|ascii|left|right|length|len)\s?\([^()\n\x00]{1,60}\)\s?"
    r"(?:=|<>|!=|>=?|<=?)|"
    r"['\"]\)*\s{1,3}(?:and|or)\s{1,3}(?:not\s{1,3})?exists\s?\(\s?select\b|"
    # a condition on a column after a quote ("x' AND email IS NULL; --", "' or username like '%"), a
    # constant tested against a subquery or a server variable ("' or 1 in (@@version)--", "' and
    # 1=(select count(*) from t)"), EXISTS alone ("' or (exists)"), a subquery opened right after the
    # quote ("' (select top 1", "'or select *")
    r"['\"]\)*\s{1,3}(?:and|or)\s{1,3}[\w.]{1,30}\s{1,3}is\s{1,3}(?:not\s{1,3})?null\s{0,3}(?:;\s{0,3})?"
    r"(?:--|#|/\*|(?=[\n ]\x00|\n?\Z))|"
    r"['\"]\)*\s{1,3}(?:and|or|\|\|)\s{1,3}(?:[\w.]{1,30}|'[^'\n\x00]{0,20}'|\"[^\"\n\x00]{0,20}\")\s{1,3}like\s{1,3}"
    r"['\"][^'\"\n\x00]{0,20}%|"
    r"['\"]\)*\s{1,3}(?:and|or|\|\||&&)\s{1,3}\d{1,5}\s{0,3}(?:=|in)\s{0,3}\(\s{0,3}(?:select\b|@@\w)|"
    r"['\"]\)*\s{1,3}(?:and|or)\s{1,3}(?:not\s{1,3})?\(\s?exists\b|"
    r"['\"]\)*\s{0,3}\(\s{0,3}select\s{1,3}(?:top\s{1,3}\d|\*|@@|count\s?\(|(?:null|\d{1,5})\s?(?:[,)]|--|#|/\*|from\b))|"
    r"['\"]\)*\s{0,3}(?:and|or|&&|\|\|)\s{1,3}\(?\s{0,3}select\s{1,3}(?:top\s{1,3}\d|\*|@@|count\s?\()",
    re.I,
)
# A value that ends by closing the literal, applying an operator and reopening it ("'-'",
# "x '^'", '"*"', "admin'='"): the coercion probe of login forms. Only at the end of a value, and
# not as an assignment's value ("accesslog = '-'" ending a config file, "sep: '-'").
_SQL_QUOTE_OP = re.compile(r"(?:\A|(?<=\x00[\n ])|(?<=[^=:\s]\s)|(?<=\w))(['\"])\s?[-+*/%&|^=]\s?\1(?=[\n ]\x00|\n?\Z)")
_SQL_TIME = re.compile(
    r"(?:\b(?:or|and|select|by|xor|from)|[,(|&+'\";])\s{0,3}\(?\s{0,3}(?:sleep|"
    r"pg_sleep)\s?\(\s?(?:\d{1,4}|0x[0-9a-f]{1,4})\s?\)|"
    r"(?:\A|(?<=\x00[\n ]))[ \t]?\(?(?:sleep|pg_sleep)\s?\(\s?\d{1,4}\s?\)[ \t]?(?:#|--|=|(?=[\n ]\x00|\n?\Z))|"
    # a comment terminator ending the value ("sleep(5)#", "sleep(5)-- -"), not Python's "sleep(3)  # wait"
    r"(?<![\w.])(?:pg_)?sleep\s?\(\s?\d{1,4}\s?\)\s?(?:(?:#|--)(?=[ +#-]{0,8}(?:[\n ]\x00|\n?\Z|['\"]))|=\s?['\"])|"
    r"\bbenchmark\s?\(\s?\d{4,}|\bwaitfor(?:\s{1,3}|/\*[^*\n]{0,20}\*/){1,3}delay(?:\s{1,3}|/\*[^*\n]{0,20}\*/){1,3}'|"
    r"\brandomblob\s?\(\s?\d{6,}|\bdbms_pipe\s?\.\s?receive_message\s?\(|\bdbms_lock\s?\.\s?sleep\s?\(|"
    r"\bxp_cmdshell\b|\bload_file\s?\(\s?(?:['\"/]|0x|char\s?\(|concat\s?\(|unhex\s?\()|\binto\s{1,3}(?:out|dump)file\b",
    re.I,
)
# Error-based probes: an XPath function fed a constant and a concatenated marker, the duplicate-key
# and overflow tricks, a catalogue value forced into a number; out-of-band calls and procedures.
# Apart from _SQL_TIME, with its own gate: each alternative costs every position of every text.
_SQL_ERROR = re.compile(
    r"\b(?:extractvalue|updatexml)\s?\(\s?(?:\d{1,12}|null|rand\(\))\s?,\s?(?:concat(?:_ws)?\s?\(|\(\s?select\b|0x)|"
    r"\bfloor\s?\(\s?rand\s?\(\s?0\s?\)\s?\*\s?2\s?\)|\bexp\s?\(\s?~\s?\(|"
    r"\bconvert\s?\(\s?int\s?,\s?\(?\s?(?:select\b|@@version|db_name\(|user_name\(|system_user)|"
    r"\b(?:gtid_subset|name_const|json_keys|st_latfromgeohash)\s?\(\s?\(?\s?(?:select\b|version\(|user\(|@@)|"
    r"\butl_(?:http\.request|inaddr\.get_host_(?:name|address))\s?\(|\bctxsys\.drithsx\.sn\s?\(|"
    r"\bdbms_xmlquery\.|\bxp_(?:dirtree|fileexist|regread|regwrite|servicecontrol|availablemedia)\b|"
    r"\bsp_(?:oacreate|makewebtask|addextendedproc|password)\b|"
    # dynamic SQL run from a hex literal (SQL Server): "0x7761...00 exec(@s)", "declare @q nvarchar(200)
    # select @q = 0x7300..." (the statement spelled in hex so that no keyword shows)
    r"\b0x[0-9a-f]{16,400}\s{0,3}exec(?:ute)?\s?\(\s?@\w{1,30}\s?\)|"
    r"\bdeclare\s{1,3}@\w{1,30}\s{1,3}n?(?:var)?char\s?\(\s?(?:\d{1,5}|max)\s?\)\s{0,3}"
    r"(?:(?:select|set)\s{1,3}@\w{1,30}\s?=\s?)?0x[0-9a-f]{8,400}|"
    # (sixteenth round, fuzzdb's T-SQL probes) the same declaration cut before its literal, at the value's end
    # ("declare @q nvarchar (4000) select @q ="), and the variable run alone ("exec(@s)")
    r"\bdeclare\s{1,3}@\w{1,30}\s{1,3}n?(?:var)?char\s?\(\s?(?:\d{1,5}|max)\s?\)\s{0,3}(?:select|set)\s{1,3}"
    r"@\w{1,30}\s?=\s?(?=[\n ]\x00|\n?\Z)|"
    r"\bexec(?:ute)?\(\s?@\w{1,30}\s?\)\s?;?(?=[\n ]\x00|\n?\Z)",
    re.I,
)
_SQL_UNION_PROBE = re.compile(
    r"\bunion(?:\s{1,3}all)?\s{1,3}(?:values\s{0,3}(?:row\s{0,3})?\(\s{0,3}|"
    r"select\s{1,3})(?:null|\d{1,3}|@@\w{1,20}|char\(|concat\(|version\(|user\(|"
    r"database\(|'[^']{0,40}'|\"[^\"]{0,40}\")(?:\s{0,3},\s{0,3}(?:null|\d{1,3}|@@\w{1,20}|'[^']{0,40}'|"
    r"\"[^\"]{0,40}\"|\w{1,20}\(\)?[^,]{0,30}))*\s{0,3}(?:--|#|/\*|"
    r"(?=[\n ]\x00|\n?\Z)|from\s{1,3}(?:information_schema|mysql\.|"
    r"pg_|sys\.|dual))",
    re.I,
)
# A conditional over a constant compared with itself (CASE WHEN 4721=4721, ELT(4721=4721,..),
# IIF/MAKE_SET/IF(n=n, ..), CASE n WHEN n): the boolean oracle of blind injection, and a
# COUNT(*) over three or more copies of one table (a heavy cross join used as a delay).
_SQL_ORACLE = re.compile(
    r"\b(?:case\s{1,3}when|elt|iif|make_set|if)\s{0,3}\(?\s{0,3}\(?\s{0,3}(\d{1,12})\s{0,3}=\s{0,3}\1(?![\w.])|"
    r"\bcase\s{1,3}(\d{1,12})\s{1,3}when\s{1,3}\2(?![\w.])|"
    r"\bif\s?\(\s?\d{1,12}\s?=\s?\d{1,12}\s?\)\s{0,3}select\b|"
    r"\bcount\s?\(\s?\*\s?\)\s{1,3}from\s{1,3}([\w.$:]{1,40})(?:\s{1,3}(?:as\s{1,3})?\w{1,12})?\s{0,3},"
    r"\s{0,3}\3\b[^;\n]{0,60},\s{0,3}\3\b",
    re.I,
)
# literals one of which each oracle match holds ("case" covers both CASE forms); "when" alone
# is too common a word to open the detector on
_SQL_ORACLE_TOKENS = ("case", "elt(", "elt (", "iif(", "iif (", "make_set(", "make_set (", "if(", "if (", "count(")
# Untagged tools: a value that is a number (or a closed literal) followed by a subquery, a
# conditional or a stacked statement: "1 (SELECT ...", "1 ;SELECT ...", "1%' AND 4721=(SELECT ...".
# a constant as a probe spells it: a number, in parentheses or quotes, after unary operators ("!1", "-(2)", "'1'")
_SQL_CONST = r"[-+!~]{0,3}(?:\(\s?\d{1,12}\s?\)|'\d{1,12}'|\"\d{1,12}\"|\d{1,12})"
_SQL_VALUE_THEN_QUERY = re.compile(
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}(?:%?['\"])?\)*\s{0,3}(?:[,;]|\b(?:and|or|rlike|xor)\b)?\s{0,3}"
    r"(?:\d{1,12}\s?=\s?)?\(\s{0,3}(?:select|case\s|begin\s)|"
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}(?:%?['\"])?\)*\s{0,3};\s{0,3}(?:select|iif|declare|exec|execute|waitfor|begin|"
    r"drop|delete|insert|update|shutdown|truncate|alter|create)\b|"
    # the value closes a literal at once, then a condition on a subquery: "x') and (select ..."
    r"(?:\A|(?<=\x00[\n ]))[^'\"\n\x00]{0,40}['\"]\)*\s{0,3}(?:and|or)\s{1,3}\(\s{0,3}select\b|"
    # ... or a condition on a column or a literal: compared with a literal ("1' or 'text' > 't'", "x' and
    # name = 'a", "' or 'text' = n'text'"), matched ("1' or user like char(37)"), listed ("' or 'a' in
    # ('a')"), tested for NULL ("1' or username is not null or ..."); the value's first quote closes it
    r"(?:\A|(?<=\x00[\n ]))\s?[\w%@.-]{0,20}['\"]\)*\s{0,3}(?:and|or|&&|\|\|)\s{1,3}\(?\s?"
    r"(?:n?'[^'\n\x00]{0,30}'|\"[^\"\n\x00]{0,30}\"|[a-z_][\w.]{0,30})\s{0,3}"
    r"(?:(?:=|<>|!=|>=?|<=?)\s{0,3}(?:n?['\"]|char\s?\(|\()|like\s{1,3}(?:n?['\"]|char\s?\()|"
    r"in\s?\(\s?['\"\d]|is\s{1,3}(?:not\s{1,3})?null\b|between\s{1,3}['\"\d])|"
    # ... or OR with a literal left open for the query to close ("admin' or '"), or a statement begun
    # right after the quote and the rest commented out ("1' select * from users--", "1' grant ... --")
    # (seventeenth round: the quote may open the value, "' or '1", and a word may follow the open literal)
    r"(?:\A|(?<=\x00[\n ]))\s?[\w%@.-]{0,20}['\"]\)*\s{1,3}(?:or|and|\|\|)\s{1,3}['\"][\w.-]{0,20}(?=[\n ]\x00|\n?\Z)|"
    r"(?:\A|(?<=\x00[\n ]))\s?[\w%@.-]{0,20}['\"]\)*\s{1,3}(?:select|grant|revoke|insert|update|delete|drop|"
    r"exec|execute|shutdown)\s[^\n\x00]{0,120}?(?:--|#|/\*)[^\n\x00]{0,10}(?=[\n ]\x00|\n?\Z)|"
    # a number, then a clause of the query it lands in: a comparison of constants ("1 AND 1=0",
    # "1 OR x=y#"), a column-count probe ("1 ORDER BY 9#"), a group or filter probe ("1 HAVING 1=1",
    # "1 WHERE 1=1 AND 1=0")
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}\)*\s{1,3}(?:and|or|xor)\s{1,3}\(?\s?(?:\d{1,12}|[a-z])\s?=\s?\(?['\"]?"
    r"(?:\d{1,12}|[a-z])\b\s{0,3}(?:--|#|/\*|and\b|or\b|(?=[\n ]\x00|\n?\Z))|"
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}['\"]?\)*\s{1,3}(?:order|group)\s{1,3}by\s{1,3}\d{1,5}(?:\s?,\s?\d{1,5}){0,30}"
    r"\s{0,3}(?:--|#|/\*|(?=[\n ]\x00|\n?\Z))|"
    # ... after a word, with the rest commented out ("admin ORDER BY 10--")
    r"(?:\A|(?<=\x00[\n ]))\s?(?:[\w.@-]{1,40}['\"]?\)*\s{1,3})"
    r"?(?:order|group)\s{1,3}by\s{1,3}\d{1,5}(?:\s?,\s?\d{1,5}){0,30}\s{0,3}(?:--|#|/\*)|"
    # a word, then a stacked statement that changes or stops the database ("x; DROP TABLE users"),
    # but not a script's transaction statement ("BEGIN;\nCREATE TABLE ...": a script, not a value)
    r"(?:\A|(?<=\x00[\n ]))\s?(?:(?!(?:begin|commit|end|rollback)\b)[\w.@-]{1,40}['\"]?\)*\s{0,3})"
    r"?;\s{0,3}(?:drop\s{1,3}(?:table|database|schema)|shutdown|"
    r"exec(?:ute)?\s{1,3}[\w.]{2,40}|exec(?:ute)?\s?\(\s?['\"@]|truncate\s{1,3}table|delete\s{1,3}from|insert\s{1,3}into|"
    r"update\s{1,3}\w{1,40}\s{1,3}set|alter\s{1,3}table|create\s{1,3}(?:table|user|login)|declare\s{1,3}@|"
    r"select\s{1,3}(?:\*|[\w.,() ]{1,60}?)\s{1,3}from\s{1,3}[\w.]{1,40})\b|"
    # a word (or a closed literal), then constants compared: "admin AND 1=2", "' OR 2>1#"
    r"(?:\A|(?<=\x00[\n ]))\s?(?:[\w.@-]{1,40}['\"]?|['\"])?\)*\s{0,3}(?:and|or|xor)\s{1,3}\d{1,12}\s?"
    r"(?:=|<>|!=|>=?|<=?)\s?\d{1,12}\s{0,3}(?:--|#|/\*|(?=[\n ]\x00|\n?\Z))|"
    # (thirteenth round) ... constants compared in other spellings: "+" for the space, in parentheses, quoted
    # ("1 OR+1=1", "1 OR (1)=(1)", "1 OR '1'!=0"); a column-count probe ordered by a conditional ("1 ORDER BY IF(..")
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}\){0,3}\s{1,3}(?:and|or|xor|&&|\|\|)(?:\s{1,3}|\s{0,3}\+\s{0,3})"
    + _SQL_CONST
    + r"\s?(?:=|<>|!=|>=?|<=?)\s?"
    + _SQL_CONST
    + r"\s{0,3}(?:--|#|/\*|(?=[\n ]\x00|\n?\Z))|"
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}['\"]?\){0,3}\s{1,3}order\s{1,3}by\s{1,3}"
    r"(?:if|ifnull|isnull|iif|nullif|coalesce|case)\s?\(|"
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}['\"]?\)*\s{1,3}(?:(?:as\s{1,3}\w{1,20}\s{1,3})?where|having)\s{1,3}"
    r"\d{1,12}\s?=\s?\d{1,12}\b|"
    # a number (or a closed literal), then a comparison of constants with <, >, <>, BETWEEN, or a
    # condition on a function call: "1 AND 2>1", "1 AND A NOT BETWEEN 0 AND B", "1 AND GREATEST(A,B+1)=A"
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}(?:%?['\"])?\)*\s{1,3}(?:and|"
    r"or|xor|&&|\|\|)\s{1,3}(?:not\s{1,3})?(?:binary\s{1,3})?"
    r"(?:\d{1,12}|[a-z])\s?(?:<>|!=|>=?|<=?)\s?(?:binary\s{1,3})?(?:\d{1,12}|[a-z])\b"
    r"\s{0,3}(?:--|#|/\*|and\b|or\b|(?=[\n ]\x00|\n?\Z))|"
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}(?:%?['\"])?\)*\s{1,3}(?:and|or|xor|&&|\|\|)\s{1,3}(?:not\s{1,3})?"
    r"(?:\w{1,20}(?:\(\))?\s{1,3}(?:not\s{1,3})?between\s|(?:binary\s{1,3})?\(?\s?[a-z_]{2,30}\s?\(|"
    r"['\"]?\w{1,20}['\"]?\s?=\s?[a-z_]{2,30}\s?\()|"
    # a UNION after a number-like value ("1 UNION ALL SELECT", "-1 UNION VALUES", "1e0UNION", "1-.1UNION")
    r"(?:\A|(?<=\x00[\n ]))[-+\d.'\"`(){}!*xed ]{0,12}union(?:\s{1,3}(?:all|"
    r"distinct))?\s{1,3}(?:select|values|table)\b|"
    # a value that closes a literal at once, then UNION ("x' UNION SELECT ...", "bob') UNION (SELECT")
    r"(?:\A|(?<=\x00[\n ]))[^'\"\n\x00]{0,40}['\"]\)*\s{0,3}union(?:\s{1,3}(?:all|distinct))?\s{1,3}"
    r"(?:select|values|table|\()|"
    # (thirteenth round) ... its select in parentheses glued to it ("x' union distinct(select"), or after the closed
    # literal a constant ANDed or ORed first ("1'and 0 union", "x' || !3 union")
    r"(?:\A|(?<=\x00[\n ]))[^'\"\n\x00]{0,40}['\"]\){0,3}\s{0,3}union(?:\s{1,3}(?:all|distinct))?\s{0,3}\(\s{0,3}"
    r"select\b|"
    r"(?:\A|(?<=\x00[\n ]))[^'\"\n\x00]{0,40}['\"]\){0,3}\s{0,3}(?:and|or|xor|&&|\|\|)\s{0,3}[-+!~(]{0,3}\d{1,12}\)?"
    r"\s{1,3}union\b|"
    # a number glued to a tautology ("1or1=1"), a value that closes a literal and concatenates onto it
    # ("x'||'6", "'||(elt(..."), a MySQL versioned comment that runs an expression ("/*!32302 1/0, */")
    r"(?:\A|(?<=\x00[\n ]))\s?\d{1,12}(?:or|and|xor)(\d{1,12})\s?=\s?\1(?!\w)|"
    # a value that closes a literal at once and ORs a truthy constant ("admin' or 1", "1') || true")
    r"(?:\A|(?<=\x00[\n ]))\s?[\w%@.-]{0,20}['\"]\)*\s{0,3}(?:or|\|\|)\s{1,3}(?:\d{1,5}|true)\s?;?(?=[\n ]\x00|\n?\Z)|"
    # a value that is OR and a truthy constant, commented out ("or 1--", "OR true#", "or not 1=2;--")
    r"(?:\A|(?<=\x00[\n ]))\s?(?:or|\|\|)\s{1,3}(?:not\s{1,3})?(?:\d{1,5}|true|false)"
    r"(?:\s?(?:=|<>|!=|>=?|<=?)\s?\d{1,5})?\s{0,3}(?:;\s{0,3})?(?:(?:--|#)[ \t+-]{0,3}(?=[\n ]\x00|\n?\Z)|/\*)|"
    # (seventeenth round: or the value opens with the concatenation, "||(elt(..", "||(select ..")
    r"(?:\A|(?<=\x00[\n ]))\s?\|\|\s?\(\s?(?:select\b|\w{1,20}\s?\()|"
    r"(?:\A|(?<=\x00[\n ]))\s?[\w.@-]{0,20}['\"]\s?\|\|\s?(?:['\"][\w.@ -]{0,20}(?=[\n ]\x00|\n?\Z)|"
    r"\(\s?(?:select\b|\w{1,20}\s?\())|"
    r"(?:\A|(?<=\x00[\n ]))[^/\n\x00]{0,20}/\*!\d{0,5}\s{0,3}(?:\d{1,5}\s?[-+*/,=]|(?:and|or|xor|union|select)\b|"
    r"(?:sleep|benchmark)\s?\()|"
    # ... or a comment that holds a quote alone ("1/*'*/", "1/*!1111'*/"): the quote probe, hidden
    r"(?:\A|(?<=\x00[\n ]))[^/\n\x00]{0,20}/\*!?\d{0,5}\s?['\"]\s?\*/",
    re.I,
)
# (seventeenth round) A value of an identifier field ("id", "customer_id", "uid") that is the first error probe of
# an injection: a number with a quote (or an escaped one) glued to it, alone or before a word ("7'", "12\\'3",
# '5"', "9'x"), or a concatenation onto a number ("||4"). Names, possessives, heights and prose in such a field
# pass ("O'Brien", "Chris'", "5' 11\" tall", "'", "a||b": ``test_inspect_sql_fragments``'s
# look-alikes are sent as a ``customer_id``); the field name is the rule's context (``SqlDetector.traits.keyed``),
# so it is tried only on such fields' values, whole, and only on short ones.
_SQL_ID_PROBE = re.compile(r"\A\s?(?:-?\d{1,12}\\?['\"`]\w{0,20}|\|\|\s?\d{1,12})\s?\Z")
_ID_KEY = re.compile(
    r"(?:\A|[_-])id\Z|\A(?:uid|pid|gid|sid|oid|guid|uuid)\Z|\A(?:customer|user|order|account|item|product|post|"
    r"page|article|invoice|ticket|record|client|member|session|category|cat|doc|file|message|msg)id\Z"
)
_ID_MAX = 200


def _id_named(key: str) -> bool:
    return _ID_KEY.search(key) is not None


def _id_probe_possible(value: str) -> bool:
    """Can ``_SQL_ID_PROBE`` match ``value``'s fold? (``SqlDetector.traits.keyed_value``: only then is an identifier
    field's value scanned on its own.) The probe needs a quote, a backtick or "||" within ``_ID_MAX`` characters;
    a value that is not ASCII is folded by NFKC and confusables first, which may make one, so it passes."""
    return len(value) <= _ID_MAX and (
        "'" in value or '"' in value or "`" in value or "||" in value or not value.isascii()
    )


# Untagged tools, anywhere in a value: a string function over a subquery, the blind extraction
# of one character at a time ("ASCII(SUBSTRING((SELECT ...", "LEFT((SELECT pw FROM users LIMIT 1),1)=0x73").
_SQL_INFERENCE = re.compile(
    r"\b(?:mid|substr|substring|left|right|ascii|ord|length|len|unicode|hex|bin|cast)\s?\(\s{0,3}\(\s{0,3}select\b|"
    # ... or over the server's own identity ("SUBSTRING(@@version,1,1)", "ASCII(MID(user(),1,1))")
    r"\b(?:mid|substr|substring|left|right|ascii|ord|length|len|"
    r"hex|charset|coercibility|collation)\s?\(\s{0,3}(?:(?:mid|substr|substring)\s?\(\s{0,3})?"
    r"(?:@@\w{1,20}|(?:version|user|database|current_user|system_user|schema)\s?\(\s?\))|"
    # (thirteenth round) ... or over one character of a column ("ASCII(SUBSTRING(passwd,1,1)) > 64": the character read
    # as a number to compare or compute with, not a report's "SELECT ASCII(SUBSTRING(name,1,1)) AS initial")
    r"\b(?:ascii|ord|unicode)\s?\(\s{0,3}(?:mid|substr|substring)\s?\(\s{0,3}[\w.`]{1,40}\s?,\s?\d{1,4}\s?,\s?1\s?\)\s?\)"
    r"\s{0,3}(?:[-+*/%<>=!]|(?:not\s{1,3})?between\b|r?like\b)",
    re.I,
)
# (thirteenth round, libinjection's PHPIDS samples) A value that closes a literal at once, applies operators and reopens
# a literal for the query to close: MySQL converts whatever the expression gives to a truth value, so any operator
# makes a condition ("aa' or '1", "x'|+'1", "a'-@a or'1", "asd\" or md5(1)^\"1", "1' is 9 = '"); or that closes it and
# comments out the rest after such an expression ("aa'in (0)#", "x' like 0 -- -a"). Anchored at the value's start
# (its first quote closes the literal; at most 40 characters before it, no quote among them), every gap bounded (the
# expression may hold literals of its own: "1' or '1' xor '0"). Prose apostrophes stand inside words ("Ben's or
# Jerry's"): the closing quote must be followed by an operator, the reopening one preceded by one, and what follows it
# is a short constant ending the value.
_OPC = r"[-+*/%^|&=<>!~]"
_OPW = r"(?:x?or|and|div|mod|r?like|regexp|is|in|not|between|sounds|having|binary)"
_VALUE_HEAD = r"(?:\A|(?<=\x00[\n ]))[^'\"\n\x00]{0,40}"  # a value's start, then up to 40 characters but no quote
# (head, body) of each alternative: the body opens at the quote that closes the literal
_REOPENED_ALTS = (
    (
        _VALUE_HEAD,
        r"(['\"])\){0,3}\s{0,3}(?:" + _OPC + "|" + _OPW + r"(?!\w))"
        r"(?:[^\n\x00]{0,60}?(?:" + _OPC + r"|(?<!\w)" + _OPW + r"))?\s{0,3}\(?\s{0,3}\1"
        r"(?:\s?[-+!~@]{0,2}\d{1,12}|[-+!~@]{0,2}[a-z_]{1,4})\)?\s{0,3}(?=[\n ]\x00|\n?\Z)",
    ),
    # ... the literal reopened at the value's very end, after an expression ending in an operator ("1'/1/1='",
    # "1' is 9 = '"; after a word, not a config's "sep = '-'" or a cron line's "'*/5 * * * *'")
    (
        _VALUE_HEAD + r"\w",
        r"(['\"])\){0,3}\s{0,3}(?:" + _OPC + "|" + _OPW + r"(?!\w))"
        r"[^\n\x00]{0,60}?[\w)]\s{0,3}" + _OPC + r"{1,3}\s{0,3}\2\s{0,3}(?=[\n ]\x00|\n?\Z)",
    ),
    # ... the rest commented out after a condition: an operator word, or an operator then a comparison or one ("a
    # digit, "(" or "=" before the comment, not a song title's "Rockin' in the free world -- Neil Young")
    (
        _VALUE_HEAD,
        r"['\"]\){0,3}\s{0,3}(?:"
        + _OPW
        + r"(?!\w)|"
        + _OPC
        + r"[^'\"\n\x00]{0,40}?(?:[=<>]|(?<!\w)"
        + _OPW
        + r"(?!\w)))[^'\"\n\x00]{0,40}?[\d(=][^'\"\n\x00]{0,40}?(?:#|--(?=[ \t]|[\n ]\x00|\n?\Z))[^'\"\n\x00]{0,20}"
        r"(?=[\n ]\x00|\n?\Z)",
    ),
    # ... a column compared with a number after the closed literal, at the value's end ("1' OR UserID > 1",
    # "x' or id IS NOT 2")
    (
        r"(?:\A|(?<=\x00[\n ]))\s?[\w%@.-]{0,20}",
        r"['\"]\){0,3}\s{0,3}(?:and|or|xor|&&|\|\|)\s{1,3}[a-z_][\w.]{0,30}\s{0,3}"
        r"(?:(?:=|<>|!=|>=?|<=?)\s{0,3}[-+]?\d{1,12}|is\s{1,3}not\s{1,3}\d{1,12})\s{0,3}"
        r"(?:--|#|/\*|(?=[\n ]\x00|\n?\Z))",
    ),
)
_SQL_REOPENED = re.compile("|".join(head + body for head, body in _REOPENED_ALTS), re.I)
# ... and what its Hyperscan gate compiles: the bodies alone, a superset (every match holds one). The heads, widened
# to any run in prefilter mode, kept a state alive at every character after a value's start: ~1 µs more per KiB
# scanned for nothing.
_SQL_REOPENED_GATE = re.compile("|".join(body for _, body in _REOPENED_ALTS), re.I)
# UNION in the spellings that evade the probe above: glued to the number before it ("1e1UNION SELECT 2", "\\1UNION
# SELECT 2", "{ts 1}UNION SELECT.``", "1.UNION SELECT 2"; a select list after it, not a minute's "9.Union Select
# Committee"), or a select of anything from the server's catalogue ("-1 procedure analyse(..) union select table_name
# from information_schema.tables"; the select list read up to its first FROM, or the next UNION).
_SQL_CATALOG = (
    r"(?:information_schema|mysql\s?\.\s?user|all_tab\w{0,20}|all_tables|all_users|user_tables|sysobjects|syscolumns|"
    r"sys\s?\.\s?\w|master\s?\.\s?\.|sqlite_master|pg_(?:catalog|tables|user|shadow|database|roles))"
)
_SQL_UNION_EVASION = re.compile(
    r"(?<=[\d\\}\]])union(?:\s{1,3}(?:all|distinct))?\s{1,3}select\s{0,3}(?:[\d@'\"(*.`]|null\b|[\w.`]{1,40}\s{0,3}(?:,|from\b))|"
    r"(?<=\d\.)union(?:\s{1,3}(?:all|distinct))?\s{1,3}select\s{0,3}(?:[\d@'\"(*.`]|null\b|[\w.`]{1,40}\s{0,3}(?:,|from\b))|"
    r"\bunion(?:\s{1,3}(?:all|distinct))?[\s(]{0,4}select\b(?:(?!from\b|union\b)[^;\n\x00]){0,160}\bfrom[\s(\[`]{1,4}"
    + _SQL_CATALOG,
    re.I,
)


# SQL comments used as whitespace, removed before the patterns run a second time: MySQL's
# versioned comments run their content (/*!50000UNION*/), inline comments separate keywords
# (UNION/**/SELECT), and a "#" or "--" comment ended by a line feed is one more space.
_SQL_COMMENT = re.compile(r"/\*!\d{0,6}|\*/|/\*[^*\n\x00]{0,40}\*/|(?:#|--)[^\n\x00]{0,60}\n(?!\x00)")


# what a value needs for its comment-free view to hold a SQL word its folded text does not:
# an inline comment ("/**/AND/**/"), or "+" for spaces ("1+AND+2>1"); comments ended by a line
# feed leave a space in the folded text, so " and" etc. are there already
_QUOTES = ("'", '"')
_VIEW_ANCHORS = ("*/", "+and", "and+", "+or", "or+", "+union", "union+", "+select", "select+", "+xor", "xor+")


def _sql_view(raw: str) -> str | None:
    """The value with comments-as-whitespace removed and form-encoded spaces ("+") as spaces,
    folded; ``None`` when that changes nothing."""
    view = raw
    plus_spaced = "+" in raw and " " not in raw  # (before the comments removed leave spaces)
    if "*/" in view or ("\n" in view and ("#" in view or "--" in view)):
        view = _SQL_COMMENT.sub(" ", view)
    if plus_spaced:
        view = view.replace("+", " ")
    return fold(view) if view != raw else None


class _FromCandidates:
    """``rx.search(text)``, trying ``rx.match`` only where a match can start.

    Python's regex engine tries every position of the text for a pattern that opens with
    an alternation, a lookbehind or ``\\b``: on a 16 KiB text a single search cost
    0.1-0.2 ms. ``starts(text)`` yields, in ascending order, a superset of the positions
    at which ``rx`` can begin a match (each pattern below says why); the first that
    matches is the one ``search`` would find (same leftmost position, same backtracking),
    so the result is the same match. ``tests/test_inspect_detectors.py`` checks it
    against ``rx.search`` on generated texts.
    """

    __slots__ = ("rx", "starts")

    def __init__(self, rx: re.Pattern[str], starts: Callable[[str], Iterator[int]]) -> None:
        self.rx = rx
        self.starts = starts

    def search(self, text: str, reject: Callable[[re.Match[str]], bool] | None = None) -> re.Match[str] | None:
        """The first match (``reject``: the first it does not reject, tried from the later starts)."""
        match = self.rx.match
        for p in self.starts(text):
            m = match(text, p)
            if m is not None and (reject is None or not reject(m)):
                return m
        return None


class _Tokens:
    """Where any of ``tokens`` starts in a text, case aside, as the patterns match them:
    every occurrence (one inside another or overlapping too), ascending, once. On ASCII text
    ``str.find`` over the lower-cased text (same positions), a token at a time: a
    ``finditer`` of an alternation or a class tries every position (~10 ns a character, as
    much as the matches it leads to). Other text: a case-blind search per token."""

    __slots__ = ("blind", "tokens")

    def __init__(self, *tokens: str) -> None:
        self.tokens = tokens
        self.blind = [re.compile(re.escape(t), re.I) for t in tokens]

    def __call__(self, text: str) -> list[int]:
        at: list[int] = []
        if text.isascii():
            low = text.lower()
            for t in self.tokens:
                if len(t) > 1 and t[0] not in low:  # memchr: ~50x faster than a missing "$(" found
                    continue
                i = low.find(t)
                while i != -1:
                    at.append(i)
                    i = low.find(t, i + 1)
        else:
            for rx in self.blind:
                m = rx.search(text)
                while m is not None:
                    at.append(m.start())
                    m = rx.search(text, m.start() + 1)
        return sorted(set(at)) if len(self.tokens) > 1 else at


_OR = _Tokens("or")
_BOOL_OP = _Tokens("or", "and", "xor", "||", "&&")
_SEPARATOR = _Tokens(*_SHELL_TOKENS)  # what _SHELL_SPLICE's separators start with


def _word_led(text: str, positions: Iterator[int]) -> Iterator[int]:
    """``positions`` without the word tokens ("or", "and", "xor") that sit inside a word: the
    patterns open those with ``\\b``, which never holds between two word characters (``\\w``
    is ``str.isalnum()`` or "_"). Prose holds many ("for", "report", "brand"): each was a
    ``match`` tried in vain."""
    for p in positions:
        if p and text[p].isalpha():
            c = text[p - 1]
            if c.isalnum() or c == "_":
                continue
        yield p


def _quotes(text: str) -> Iterator[int]:
    """A quote's position: ``_SQL_QUOTE_OP`` opens with zero-width tests, then a quote.
    (``str.find`` per quote character: a ``finditer`` of the class tried every position, ~8
    ns a character, as much as the matches it led to.)"""
    at: list[int] = []
    for quote in ("'", '"'):
        i = text.find(quote)
        while i != -1:
            at.append(i)
            i = text.find(quote, i + 1)
    at.sort()
    return iter(at)


def _quote_end_starts(text: str) -> Iterator[int]:
    """``_SQL_QUOTE_END``: a quote, or the character before it (``[\\w)]`` then a quote), or
    "or" (``\\bor ... true``)."""
    at = [p for q in _quotes(text) for p in (q - 1, q) if p >= 0]
    at.extend(_word_led(text, iter(_OR(text))))
    return iter(sorted(set(at)))  # (one C sort: heapq.merge costs ~1 µs a position)


def _bool_ops(text: str) -> Iterator[int]:
    """``_SQL_TAUTOLOGY`` opens with ``\\b`` and or/and/xor, or with ||/&&: each place one starts."""
    return _word_led(text, iter(_BOOL_OP(text)))


def _string_starts(text: str) -> Iterator[int]:
    """A value's start: the text's, or after the runner's separator (raw "\x00\n", folded "\x00 ")."""
    yield 0
    i = text.find("\x00")
    while i != -1:
        if text[i + 1 : i + 2] in ("\n", " "):
            yield i + 2
        i = text.find("\x00", i + 1)


def _splice_starts(text: str) -> Iterator[int]:
    """``_SHELL_SPLICE``: a string's start, or a separator (``;&|```, ``$(``, ``%0a``, ``%0d``, ``\\n``)."""
    return iter(sorted({*_string_starts(text), *_SEPARATOR(text)}))


def _near(tokens: tuple[str, ...], before: int) -> Callable[[str], Iterator[int]]:
    """Starts for a pattern each of whose matches holds one of ``tokens`` (as the pattern
    spells it, case aside) beginning at most ``before`` characters after the match's start:
    every position from ``before`` characters ahead of each token up to it, ascending, once.

    Without it the engine tries the pattern at every position of every text as soon as the
    detector's gate lets it run (a benign text with "sleep" or "convert" in it: ~0.1-0.5 ms
    per KiB); with it, a few anchored tries around each token (``_Tokens``)."""
    found = _Tokens(*tokens)

    def starts(text: str) -> Iterator[int]:
        nxt = 0
        for p in found(text):
            yield from range(max(p - before, nxt), p + 1)
            nxt = max(nxt, p + 1)

    return starts


# Each alternative's token and the most the match can hold before it (the patterns above):
# _SQL_TIME: "select" + 3 spaces + "(" + 3 spaces + "pg_" before "sleep" is 16; the rest less.
_TIME_TOKENS = ("sleep", "benchmark", "waitfor", "randomblob", "dbms_pipe", "dbms_lock", "xp_cmdshell", "load_file",
                "outfile", "dumpfile")  # fmt: skip
_FAST_TIME = _FromCandidates(_SQL_TIME, _near(_TIME_TOKENS, 16))
# _SQL_ERROR: every alternative opens with its token (after ``\\b``).
_ERROR_TOKENS = ("extractvalue", "updatexml", "floor", "exp", "convert", "gtid_subset", "name_const", "json_keys",
                 "st_latfromgeohash", "utl_", "ctxsys", "dbms_xmlquery", "xp_", "sp_", "0x", "declare",
                 "exec")  # fmt: skip
_FAST_ERROR = _FromCandidates(_SQL_ERROR, _near(_ERROR_TOKENS, 0))
_INFERENCE_TOKENS = ("select", "@@", "version(", "user(", "database(", "schema(", "ascii(", "ascii (", "ord(", "ord (",
                     "unicode(", "unicode (")  # fmt: skip
_INFERENCE_NEAR = _near(_INFERENCE_TOKENS[:6], 30)
# what the character-reading alternative opens with (found in one C pass: a dense run of "ord(" or "ascii(" with no
# substring after it gives no candidate)
_CHAR_READ = re.compile(r"(?:ascii|ord|unicode)\s?\(\s{0,3}(?:mid|substr|substring)\s?\(", re.I)


def _inference_starts(text: str) -> Iterator[int]:
    """``_SQL_INFERENCE``'s starts: up to 30 characters before a subquery or a server identity, and the function that
    reads one character of a column as a number ("ascii(substring(": its alternative opens at the word)."""
    near = list(_INFERENCE_NEAR(text))
    at = [m.start() for m in _CHAR_READ.finditer(text)] if "(" in text else []
    return iter(sorted({*near, *at})) if at else iter(near)


_FAST_INFERENCE = _FromCandidates(_SQL_INFERENCE, _inference_starts)
_FAST_SHELL_SPLICE = _FromCandidates(_SHELL_SPLICE, _splice_starts)
_FAST_QUOTE_OP = _FromCandidates(_SQL_QUOTE_OP, _quotes)
_FAST_QUOTE_END = _FromCandidates(_SQL_QUOTE_END, _quote_end_starts)
_UNION = _Tokens("union")


def _union_select_starts(text: str) -> Iterator[int]:
    """``_SQL_UNION_EVASION``'s starts: "union" with "select" within the 24 characters after it (both alternatives
    open at the word; a dense run of "union" with no select after it is not tried once per word)."""
    for u in _UNION(text):
        if "select" in text[u + 5 : u + 29].lower():
            yield u


_FAST_UNION_EVASION = _FromCandidates(_SQL_UNION_EVASION, _union_select_starts)
_FAST_TAUTOLOGY = _FromCandidates(_SQL_TAUTOLOGY, _bool_ops)


def _value_starts(text: str) -> Iterator[int]:
    """``_SQL_VALUE_THEN_QUERY``'s starts: a value's start (``_string_starts``) whose first 80
    characters hold what every alternative needs there: a digit first (after one space), a
    quote, ";", "union", "order" or "group"; or a comparison after and/or/xor. (Trying the
    pattern at every value of a joined scan cost ~8 µs per KiB; most values hold none.)"""
    for p in _string_starts(text):
        head = text[p : p + 80]
        if head[:1].isdigit() or head[1:2].isdigit() or any(x in head for x in _VALUE_HEADS):
            yield p
        elif head.lstrip()[:2].lower() in ("or", "||"):
            yield p  # OR and a constant
        elif ("=" in head or "<" in head or ">" in head) and any(w in head for w in _BOOL_CLAUSE_WORDS):
            yield p  # a word, then constants compared


_VALUE_HEADS = ("'", '"', ";", "union", "order", "group", "/*")
_FAST_VALUE_THEN_QUERY = _FromCandidates(_SQL_VALUE_THEN_QUERY, _value_starts)


def _quoted_value_starts(text: str) -> Iterator[int]:
    """``_SQL_REOPENED``'s starts: a value's start with a quote in its first 42 characters. Found from the first quote
    of each value (most values of a joined scan hold none, and slicing each value's head cost more than finding the
    few quotes); the rest of that value's quotes are skipped, so a run of quotes costs one look."""
    at: list[int] = []
    q1, q2 = text.find("'"), text.find('"')
    while q1 != -1 or q2 != -1:
        q = q1 if q2 == -1 or (q1 != -1 and q1 < q2) else q2
        nul = text.rfind("\x00", max(0, q - 43), q)
        start = nul + 2 if nul != -1 and text[nul + 1 : nul + 2] in ("\n", " ") else 0 if q <= 41 else -1
        if start >= 0 and q - start <= 41:
            at.append(start)
        nxt = text.find("\x00", q)  # the next value
        if nxt == -1:
            break
        if q1 != -1 and q1 < nxt:
            q1 = text.find("'", nxt)
        if q2 != -1 and q2 < nxt:
            q2 = text.find('"', nxt)
    return iter(at)


_FAST_REOPENED = _FromCandidates(_SQL_REOPENED, _quoted_value_starts)


_UNION_TAIL = re.compile(r"--|#|/\*|\bfrom\b", re.I)
_SQL_ERROR_WORDS = ("extractvalue", "updatexml", "rand(", "rand (", "exp(", "exp (", "convert", "gtid_subset",
                    "name_const", "json_keys", "st_latfromgeohash", "utl_", "ctxsys", "dbms_xmlquery", "xp_",
                    "sp_", "0x", "declare @", "exec(@", "execute(@")  # fmt: skip
_SQL_WORDS = ("sleep", "benchmark", "waitfor", "randomblob", "xp_cmdshell", "load_file", "outfile", "dumpfile",
              "dbms_pipe", "dbms_lock", *_SQL_ERROR_WORDS, "union")  # fmt: skip
_SQL_BOOL = ("or ", " or", "and ", " and", "||", "&&", "xor", "'or", '"or', ")or")


_SQL_TIME_WORDS = ("sleep", "benchmark", "waitfor", "randomblob", "xp_cmdshell", "load_file", "outfile", "dumpfile",
                   "dbms_pipe", "dbms_lock")  # fmt: skip


# what a stacked statement or a subquery after a value starts with (``_SQL_VALUE_THEN_QUERY``)
_STACKED_VERBS = ("select", "case", "begin", "iif", "declare", "exec", "waitfor", "drop", "delete", "insert",
                  "update", "shutdown", "truncate", "alter", "create", "grant", "revoke")  # fmt: skip
# what a clause after a number starts with (the number-led probes of ``_SQL_VALUE_THEN_QUERY``); the
# boolean operators among them join a condition to a value
_BOOL_CLAUSE_WORDS = ("and ", "or ", "xor ")
_CLAUSE_WORDS = (*_BOOL_CLAUSE_WORDS, " by ", "where", "having", "&&", "||")
# a boolean operator glued to a number ("1or1=1")
_GLUED = tuple(f"{w}{d}" for w in ("or", "and") for d in "0123456789")


def _sql_oracle_maybe(norm: str) -> bool:
    """Could ``_SQL_ORACLE`` match? One-character tests first: each ``in`` over a long text
    costs a scan, and most texts have no parenthesis."""
    if "case" in norm and "when" in norm:
        return True
    return "(" in norm and any(w in norm for w in _SQL_ORACLE_TOKENS[1:])


def _sql_maybe(norm: str, gate: AbstractSet[int] | None = None) -> bool:
    """Could any SQL pattern match? (Each needs one of these shapes.) ``gate``: ``_SQL_GATE``'s
    answer, which spares the tests only whole-value shapes need when it rules those out."""
    if any(w in norm for w in _SQL_WORDS) or _sql_oracle_maybe(norm):
        return True
    if ("(" in norm or ";" in norm) and "select" in norm:
        return True
    if ";" in norm and any(w in norm for w in _STACKED_VERBS):
        return True
    if ("=" in norm or " by " in norm or "<" in norm or ">" in norm or "between" in norm) and any(
        w in norm for w in _CLAUSE_WORDS
    ):
        return True
    if "(" in norm and any(w in norm for w in _BOOL_CLAUSE_WORDS) and norm.lstrip()[:1].isdigit():
        return True  # a number, then a condition on a function call
    if "(" in norm and any(w in norm for w in _INFERENCE_TOKENS[1:]):
        return True  # a function over the server's identity or over one character of a column
    quote = "'" in norm or '"' in norm
    if ("=" in norm or " like " in norm or quote) and any(b in norm for b in _SQL_BOOL):
        return True
    if quote and ("--" in norm or "#" in norm or "/*" in norm or ";" in norm or "having" in norm):
        return True
    if gate is not None and _G_VALUE_THEN_QUERY not in gate:
        return False
    # whole values of _SQL_VALUE_THEN_QUERY's: OR and a constant commented out ("or 1--"), a versioned
    # comment, a tautology glued to a number ("1or1=1")
    if ("or " in norm or "||" in norm) and ("--" in norm or "#" in norm or "/*" in norm):
        return True
    return "/*!" in norm or ("=" in norm and any(g in norm for g in _GLUED))


_SQL_VERB = re.compile(r"^\s{0,20}+(?:--[^\n]{0,200}+\n\s{0,20}+)*(\w{2,20})", re.I)
# What a SQL statement (or a script of them) opens with.
_STATEMENT_VERBS = frozenset(("select", "with", "insert", "update", "delete", "merge", "upsert", "replace",
                              "create", "alter", "drop", "truncate", "rename", "comment", "grant",
                              "revoke", "begin", "start", "commit", "rollback", "savepoint", "release",
                              "end", "abort", "set", "reset", "show", "explain", "describe", "desc", "use",
                              "call", "exec", "execute", "declare", "prepare", "deallocate", "pragma",
                              "analyze", "analyse", "vacuum", "reindex", "cluster", "refresh", "copy",
                              "values", "table", "lock", "unlock", "do", "load", "import", "export",
                              "attach", "detach", "listen", "notify", "unlisten", "checkpoint", "discard",
                              "if", "while", "print", "go", "open", "close", "fetch", "return", "raise",
                              "optimize", "flush", "kill", "handler", "security"))  # fmt: skip


# "--" lines and plain "/* ... */" comments before a script's first statement (a MySQL dump's "/* workaround
# */" header); not a versioned "/*!...*/", which runs (``_statement_led`` takes one as a lead of its own)
_SQL_LEAD_COMMENTS = re.compile(r"(?:\s{0,20}+(?:--[^\n]{0,200}+(?:\n|\Z)|/\*(?!!)[^*]{0,300}+\*/))*\s{0,20}")


def _statement_led(raw: str) -> bool:
    """Does ``raw`` open as a SQL statement: a verb, "(" or a "/*" comment, after "--" and plain block comments?"""
    for text in (raw.lstrip(), raw[lead.end() :] if (lead := _SQL_LEAD_COMMENTS.match(raw)) is not None else raw):
        head = text[:2]
        if head[:1] == "(" or head == "/*":
            return True
        m = _SQL_VERB.match(text)
        if m is not None and m.group(1).lower() in _STATEMENT_VERBS:
            return True
    return False


# MySQL's backtick-quoted names ("ALTER TABLE `t` ADD `id` int"): in a statement for a SQL tool they are
# identifiers, not command substitution (``ShellDetector``)
_SQL_BACKTICK_NAME = re.compile(r"`([\w$]{1,64})`")


# --- markup that runs script (XSS), for every tool's arguments.
_XSS = re.compile(
    r"<\s?/?\s?(?:[a-z]{1,10}:)?script\b|"
    r"\bjavascript\s?:(?!\s)|\bvbscript\s?:|"
    r"<[a-z][a-z0-9]{0,20}\b[^<>]{0,200}?[\s/\"'`]on[a-z]{3,30}\s?/?=|"
    r"[\"'`]\s?/?\s?on[a-z]{3,30}\s?/?=\s?[\"'`]?\s?\w|"
    r"<\s?(?:iframe|object|embed|svg|math|isindex|base|meta|frame|layer|ilayer|applet|webview|portal)\b[^<>]{0,200}?"
    r"(?:src|srcdoc|data|href|content|onload|http-equiv)\s?=|"
    r"\bsrcdoc\s?=|\bdata:(?:text/(?:html|javascript|ecmascript)|application/(?:x-)?(?:javascript|ecmascript))|"
    r"<\s?link\b[^<>]{0,100}\brel\s?=\s?[\"']?import|"
    r"(?:^|(?<=\n)|['\"`;})])\s?[-+]?\s?(?:alert|prompt|confirm)\s?[(`]|"
    # an event handler whose body calls a script sink, wherever it stands (no tag needed)
    r"\bon[a-z]{3,30}\s?=\s?[\"']?\s?(?:alert|prompt|confirm|eval|atob|fetch|document\.cookie|"
    r"document\.location|window\.location)\b",
    re.I,
)
# A form button sent elsewhere, IE data binding, Netscape script entities, UTF-7 markup, CSS and
# octal escapes of "<script", legacy CSS script hooks, a sink called on a window object: apart
# from _XSS, run only when one of _XSS_MORE_TOKENS is there.
_XSS_MORE = re.compile(
    r"<[a-z][a-z0-9]{0,20}\b[^<>]{0,200}?\bformaction\s?=|\bdataformatas\s?=\s?[\"']?html|=\s?[\"']?&\{|"
    r"\+adw-\s?/?(?:script|img|svg|iframe|body|a\b)|\\0{0,4}3c\s?/?(?:script|img|svg|iframe)\b|"
    r"\\74\s?/?(?:script|img|svg|iframe)\b|(?:\bbehaviou?r|-moz-binding)\s?:\s?url\s?\(|"
    r"\bexpression\s?\(\s?(?:alert|prompt|confirm|eval|document\.|window\.)|"
    r"\b(?:window|top|self|parent|frames|globalthis)\s?(?:\.|\[\s?[\"'])\s?(?:alert|prompt|confirm)\b",
    re.I,
)
_XSS_MORE_TOKENS = ("formaction", "dataformatas", "&{", "+adw-", "\\", "behavio", "-moz-binding", "expression",
                    "alert", "prompt", "confirm")  # fmt: skip
_XSS_TOKENS = ("<", "script:", "data:text", "alert", "prompt", "confirm", "srcdoc", "\"on", "'on", "`on", "/on",
               "\" on", "' on", "document.", "window.", "eval", "atob", "fetch", "data:application", "dataformatas",
               "=&{", "= &{", "='&{", "=\"&{", "+adw-", "\\", "behavio", "-moz-binding", "java", "cript",
               "expression")  # fmt: skip
# "javascript:" with whitespace, control characters or NULs between its letters (browsers drop
# tab, line feed and carriage return inside a URL scheme: "jav&#x09;ascript:"), looked for in the
# value with those removed, after "=", "(" or a quote
_XSS_SPLIT_SCHEME = re.compile(r"(?:=|\()[\"'`]?(?:java|vb)script:")
# ... or as the whole value's start (a URL field: "java\tscript:alert(1)", "jav&#x09;ascript:..."),
# followed at once by a name (a call, not prose's "JavaScript: the language")
_XSS_SPLIT_VALUE = re.compile(
    r"(?:\A|(?<=\x00 ))\s?(?:j\s{0,3}a\s{0,3}v\s{0,3}a|v\s{0,3}b)\s{0,3}s\s{0,3}c\s{0,3}r\s{0,3}i\s{0,3}p\s{0,3}t"
    r"\s{0,3}:(?=[\w$\[(])"
)
# (seventeenth round) Markup written so that a filter's literal match misses it: CSS escapes ("\6a \61 ..."
# for "javascript:", "\45 xpression(", "expression\28 ..\29"), read as the browser reads them; and empty tags
# that split a word or an entity ("o<x>nmouseover=", "&<WBR>#0000106"), which a tag-stripping filter removes
# and so joins. Each view is read again with _XSS and _XSS_MORE (``_hidden_markup``).
_CSS_ESCAPE = re.compile(r"\\([0-9a-f]{1,6})[ \t\n]?", re.I)
_XSS_SPLIT_TAG = re.compile(r"(?<=[\w&#;])<[a-z]{1,10}>(?=[\w&#(])", re.I)
_SQUEEZE = re.compile(r"[\s\x00]+")
# NULs inside markup ("<scr\x00ipt>", UTF-16 text read as bytes): removed where they touch a
# character other than a space (the runner's separator is a NUL between spaces in the folded text)
_NUL_INSIDE = re.compile(r"(?<=[^ \x00])\x00+|\x00+(?=[^ \x00])")
_XSS_IN_DOCUMENT = re.compile(
    r"\bon[a-z]{3,30}\s?=\s?[\"']?\s?(?:alert|prompt|confirm|eval|atob|fetch)\s?[(`]|\bjavascript\s?:\s?(?:alert|eval)|"
    r"<\s?script\b[^<>]{0,100}>\s?(?:alert|prompt|confirm)\s?[(`]",
    re.I,
)
# --- code-execution idioms (Python sandbox escapes, PHP, JS, Ruby, Java), for every tool's arguments.
_CODE_EXEC = re.compile(
    r"__class__\s?\.\s?__(?:mro|base|bases)__|__subclasses__\s?\(|__globals__\s?\[|__builtins__\s?\[|"
    r"__builtins__\s?\.\s?__dict__\s?\[|\bgetattr\s?\(\s?__import__\s?\(\s?['\"](?:os|subprocess|pty|socket|builtins)['\"]|"
    r"\bfreemarker\.template\.utility\.execute\b|"
    r"__import__\s?\(\s?['\"](?:os|subprocess|pty|socket|builtins)['\"]\s?\)\s?\.|"
    r"\bimport\s{1,3}(?:os|subprocess|pty|socket)\s?;\s?[^;\n]{0,60}\b(?:os\.(?:popen|system|exec\w{0,2})|"
    r"subprocess\.\w{1,15}|pty\.spawn|socket\.socket)\s?\(|"
    # (PHP's "${@eval(...)}", not a shell's "${@}", "${@:2}", "${@/#/x}")
    r"<\?php\b|<\?=|\$_(?:get|post|request|cookie|server)\s?\[|\{\$\{|\$\{@(?=\s?[a-z_])|"
    r"require\s?\(\s?['\"]child_process['\"]\s?\)|process\.mainmodule|\beval\s?\(\s?atob\s?\(|"
    r"constructor\s?\.\s?constructor\s?\(|\bfunction\s?\(\s?['\"]return\s{1,3}process|"
    r"\bkernel\s?\.\s?(?:exec|system|spawn)\b|\bio\.popen\s?\(|%x\(|"
    r"runtime\.getruntime\(\)\.exec\s?\(|\bnew\s{1,3}processbuilder\s?\(",
    re.I,
)
# A call that runs a command given as a literal ("system('id')", "popen('/bin/ls')"): a payload's
# shape in a value, ordinary code in a source file or its documentation (not counted in a document).
_CODE_CALL_LITERAL = re.compile(
    r"\b(?:eval|exec|system|passthru|shell_exec|popen|proc_open|assert)\s?\(\s?['\"](?:ls|pwd|whoami|id|cat|sleep|"
    r"echo|dir|curl|wget|nc|bash|sh|uname|/(?:usr/(?:local/)?)?s?bin/)\b",
    re.I,
)
_CODE_TOKENS = ("__class__", "__subclasses__", "__globals__", "__builtins__", "__import__", "import os",
                "import subprocess", "import pty", "import socket", "<?", "$_", "{${", "${@", "child_process",
                "mainmodule", "atob", "constructor", "return process", "kernel", "popen", "%x(", "getruntime",
                "processbuilder", "eval(", "exec(", "system(", "passthru", "shell_exec", "proc_open", "assert(",
                "eval (", "exec (", "system (", "assert (", "freemarker")  # fmt: skip


# A template expression: {{ ... }}, ${ ... }, #{ ... }, <% ... %>. Bodies exclude the
# opening characters, so a run of "{{{{" fails at once instead of rescanning.
_TEMPLATE = re.compile(r"\{\{([^{}]{0,300})\}\}|\$\{([^{}]{0,300})\}|#\{([^{}]{0,300})\}|<%=?([^%]{0,300})%>")
_TEMPLATE_DANGER = re.compile(
    r"__(?:class|globals|builtins|subclasses|mro|init|import)__|\bconfig\b|\bself\b|lipsum|cycler|joiner|"
    # "system" and "namespace" as code (a call, an attribute, java.lang's System), not a placeholder's prose:
    # "${maintheme:system security}", "${namespace}"
    r"namespace\s?[(.]|request\.application|\bimport\b|popen|\bos\.|runtime|\bexec\b|\bsystem\s?[(.@]|"
    r"java\.lang|\beval\b|"
    r"^\s?jndi:|^\s?(?:env|sys|java|lower|upper):|^\s?\d{1,4} ?\* ?\d{1,4} ?$|"
    # script sinks in an expression ({{alert(1)}}, ${confirm(1)}, {{constructor.constructor(...)}})
    r"\b(?:alert|prompt|confirm)\s?\(|\bconstructor\b|fromcharcode|document\.(?:cookie|domain|location)"
)


_SEGMENT_SPLIT = re.compile(r"[;&|\n`]|\$\(")
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,60}=\S{0,500}$")


def commands_outside(line: str, allowed: frozenset[str]) -> str | None:
    """The first command of ``line`` (split at ; & | newline backtick $( ) not in ``allowed``."""
    for seg in _SEGMENT_SPLIT.split(line)[:200]:
        words = seg.split()
        while words and (_ASSIGN.match(words[0]) or words[0] in ("sudo", "env", "exec", "time", "nohup", "(", "{")):
            words = words[1:]
        if words:
            cmd = words[0].strip("()\"'{}").rsplit("/", 1)[-1]
            if cmd and cmd not in allowed and not cmd.startswith("-"):
                return cmd
    return None


# what hides a statement's verb: a plain comment before it ("/* x */ DROP ..."), and a MySQL versioned
# comment's markers, whose content runs ("/*!40014 DROP TABLE t */")
_VERB_HIDERS = re.compile(r"/\*(?!!)[^*]{0,300}\*/|/\*!\d{0,6}|\*/")


def verbs_outside(sql: str, allowed: frozenset[str]) -> str | None:
    """The first statement verb of ``sql`` (split at ;) not in ``allowed`` (lower-case), comments before it
    set aside and a versioned comment's content read as code; a statement still opening with a comment
    (one too long to set aside) is "/*", outside any list (fail closed)."""
    for stmt in sql.split(";")[:500]:
        if "/*" in stmt:
            stmt = _VERB_HIDERS.sub(" ", stmt)
            lead = _SQL_LEAD_COMMENTS.match(stmt)
            if stmt[lead.end() if lead is not None else 0 :].startswith("/*"):
                return "/*"
        m = _SQL_VERB.match(stmt)
        if m and m.group(1).lower() not in allowed:
            return m.group(1).lower()
    return None


class ShellDetector:
    """Command injection. Untagged tools: a separator then a command, anywhere in a value.
    ``shell``-tagged tools: attack signatures only (their values are command lines)."""

    name = "shell_injection"
    # _shell_always_maybe's, splice's, a value's newline, a wildcard path's "/?"
    traits = DetectorTraits(
        anchors=Anchors(lower=(*_SHELL_ALWAYS_TOKENS, "-e", "|", "rm ", *_SHELL_TOKENS, "\n", "/?"))
    )

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg":
            return []
        raw = t.raw
        if "`" in raw and "sql" in t.tags and JOINED_SEP not in raw and _statement_led(raw):
            raw = _SQL_BACKTICK_NAME.sub(r"\1", raw)
        gate = _SHELL_GATE.possible(raw)
        if gate is not None and not gate:
            return []
        low = raw.lower()
        m = _SHELL_ALWAYS.search(raw) if (gate is None or 0 in gate) and _shell_always_maybe(low) else None
        kind, ev_text = "shell_attack", raw
        if m is None and "shell" not in t.tags and (is_document(t) or ("sql" in t.tags and _statement_led(raw))):
            # A document (a script, a SQL dump, a README written through a file tool), or a SQL
            # tool's statement, is not a parameter spliced into a command line: only the attack
            # signatures count in it.
            return []
        if m is None and "shell" not in t.tags:
            kind = "command_splice"
            m = self._splice(raw, low, gate)
            if m is None and (gate is None or 3 in gate) and "?" in raw:
                m, kind = _SHELL_GLOB.search(raw), "command_glob"
            if m is None and (gate is None or 4 in gate) and _SHELL_OBFUSCATED.search(raw) is not None:
                view = _shell_view(raw, low)
                if view != raw:
                    m, ev_text, kind = self._splice(view, view.lower(), None), view, "command_splice_obfuscated"
        elif m is None:  # a shell tool: a line led by a datum or a bare separator, or a name in pieces
            m, kind, ev_text = self._tagged(raw, low, gate)
        if m is None:
            return []
        ev = excerpt(ev_text, max(0, m.start() - 10), m.end() + 20)
        return [Hit(finding(self.name, t, kind, "high", OWASP, ev, 0.8))]

    @staticmethod
    def _tagged(raw: str, low: str, gate: AbstractSet[int] | None) -> tuple[re.Match[str] | None, str, str]:
        m = _FAST_DATUM_SPLICE.search(raw) if gate is None or 5 in gate else None
        if m is not None:
            return m, "command_splice", raw
        if not any(c in raw for c in "'\"\\$"):
            return None, "", raw
        view = _shell_view(raw, low)
        if view != raw and (m := _FAST_DATUM_SPLICE.search(view)) is not None:
            return m, "command_splice_obfuscated", view
        if (gate is None or 4 in gate) and (m := _spelled_command(raw)) is not None:
            return m, "command_obfuscated", raw
        return None, "", raw

    @staticmethod
    def _splice(raw: str, low: str, gate: AbstractSet[int] | None) -> re.Match[str] | None:
        """A separator then a command anywhere, or a whole value that is a token, a separator
        (or a newline) and a command."""
        separated = any(tok in low for tok in _SHELL_TOKENS)
        prose = "`" in raw and raw.count(" ", 0, 20_000) >= _MD_WORDS
        reject = _inline_code_rejecter(raw) if prose else None
        m = _FAST_SHELL_SPLICE.search(raw, reject) if separated and (gate is None or 1 in gate) else None
        if m is None and (gate is None or 2 in gate) and (separated or "\n" in raw):
            m = _FAST_SHELL_VALUE.search(raw)
        return m


_MD_WORDS = 20  # spaces that make a text with a backtick prose (markdown, reStructuredText)


def _inline_code(raw: str, m: re.Match[str]) -> bool:
    """Is a ``_SHELL_SPLICE`` match, in prose (the caller's test: a backtick and ``_MD_WORDS`` spaces),
    an inline code span: markdown's ("use `whoami` to check", "the `ls` command", a table cell's
    "| `ls` |"), reStructuredText's literal ("run ``make html``") or role (":command:`ls`")? Its
    separator is a backtick, or two (or a cell's "|" before one), that opens a token, closed by as
    many on the same line within 80 characters before a non-word character (a cell: then "|"). A
    substitution glued to a value ("name`id`", "x=`id`"), "$(...)" and ";" splices still count. Constant
    work per match (no scan of the line or the text)."""
    b = m.start()
    cell = raw[b] == "|"
    if cell:
        b += len(m.group(0)) - len(m.group(0)[1:].lstrip(" \t"))
    if raw[b] != "`" or (b and (raw[b - 1].isalnum() or raw[b - 1] in "_$=")):
        return False
    ticks = "``" if raw.startswith("``", b) else "`"
    e = raw.find(ticks, b + len(ticks), b + 81)
    after = e + len(ticks)
    if e == -1 or "\n" in raw[b:e] or (after < len(raw) and (raw[after].isalnum() or raw[after] in "_`")):
        return False
    return not cell or raw[after : after + 4].lstrip(" \t").startswith("|")


_MAX_INLINE = 64  # inline code spans passed over per text; the next match counts (fail closed)


def _inline_code_rejecter(raw: str) -> Callable[[re.Match[str]], bool]:
    """``_inline_code`` for at most ``_MAX_INLINE`` matches of one text."""
    left = [_MAX_INLINE]

    def reject(m: re.Match[str]) -> bool:
        if left[0] <= 0 or not _inline_code(raw, m):
            return False
        left[0] -= 1
        return True

    return reject


def _shell_listed(t: Target) -> bool:
    return t.surface == "request_arg" and "shell" in t.tags and t.commands is not None


def _sql_listed(t: Target) -> bool:
    return t.surface == "request_arg" and "sql" in t.tags and t.verbs is not None


class ShellAllowListDetector:
    """``shell`` tools with ``inspect.shell_commands``: every command of a line must be listed."""

    name = "shell_injection"
    traits = DetectorTraits(maybe=_shell_listed)

    def scan(self, t: Target) -> list[Hit]:
        if not _shell_listed(t) or t.commands is None:
            return []
        cmd = commands_outside(t.raw, t.commands)
        if cmd is None:
            return []
        return [Hit(finding(self.name, t, "command_not_allowed", "high", OWASP, cmd[:40], 0.9))]


class SqlVerbsDetector:
    """``sql`` tools with ``inspect.sql_verbs``: every statement's verb must be listed."""

    name = "sql_injection"
    traits = DetectorTraits(maybe=_sql_listed)

    def scan(self, t: Target) -> list[Hit]:
        if not _sql_listed(t) or t.verbs is None:
            return []
        verb = verbs_outside(t.raw, t.verbs)
        if verb is None:
            return []
        return [Hit(finding(self.name, t, "verb_not_allowed", "high", OWASP, verb[:20], 0.9))]


class SqlDetector:
    """SQL injection: strict quote-led and probe patterns on every tool's arguments."""

    name = "sql_injection"
    traits = DetectorTraits(
        keyed=_id_named,  # the identifier probe (_SQL_ID_PROBE) judges identifier fields' values
        keyed_value=_id_probe_possible,
        anchors=Anchors(
            norm=(
                *_SQL_WORDS,
                *_SQL_BOOL,
                *_SQL_ORACLE_TOKENS,
                *_STACKED_VERBS,
                *_CLAUSE_WORDS,
                *_VIEW_ANCHORS,
                *_QUOTES,
                *_GLUED,
                *_INFERENCE_TOKENS[1:],
                "/*!",
            )
        ),
    )  # _sql_maybe's, and the comment-free view's (_sql_view)

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg":
            return []
        # A SQL tool takes statements: a value that opens as one is read as a script. Any other
        # value of its (a name, a number, a filter fragment) is a parameter spliced into one,
        # judged as on any tool. (A joined scan is a prefilter whose hits are rescanned string
        # by string: there every value counts as a parameter.)
        sql_tool = "sql" in t.tags
        # A document (a migration or dump written through a file tool, a page quoting SQL) is read
        # as a script too: a literal closed then another statement is a script's ordinary shape.
        tagged = (sql_tool and JOINED_SEP not in t.raw and _statement_led(t.raw)) or is_document(t)
        found = self._views(t.raw, t.norm, tagged, sql_tool)
        if found is None and t.key and len(t.raw) <= _ID_MAX and _id_named(t.key):
            found = _id_probe(t.norm)
        if found is None and tagged and "'" in t.raw:
            found = _dangling_quote(t.raw)
        if found is None and "\ufffd" in t.raw:
            # a byte that is no character before a quote ("%bf%27", "%bf%5c%27" decoded): a multi-byte
            # charset joins it to the backslash that escaped the quote, which then closes the literal
            raw = t.raw.replace("\ufffd\\", "x").replace("\ufffd", "x")
            found = self._views(raw, fold(raw), tagged, sql_tool)
        if found is None:
            return []
        text, kind, m = found
        ev = excerpt(text, max(0, m.start() - 10), m.end() + 20)
        conf = 0.8 if kind in ("quote_operator_probe", "identifier_probe") else 0.85
        return [Hit(finding(self.name, t, kind, "high", OWASP, ev, conf))]

    @classmethod
    def _views(cls, raw: str, norm: str, tagged: bool, sql_tool: bool) -> tuple[str, str, re.Match[str]] | None:
        """``_match`` on the folded value, then on its comment-free view (``_sql_view``)."""
        found = cls._match(norm, tagged, sql_tool)
        if found is None:
            view = _sql_view(raw)
            found = cls._match(view, tagged, sql_tool) if view is not None else None
        if found is None and "/**/" in raw and _SQL_SPLIT_WORD.search(raw):
            # a keyword split by an empty comment ("uni/**/on sel/**/ect"): a filter that strips
            # comments joins it; read it joined (a third view, only where one is split)
            joined = _SQL_SPLIT_WORD.sub("", raw)
            found = cls._match(fold(joined), tagged, sql_tool)
            if found is None:
                view = _sql_view(joined)
                found = cls._match(view, tagged, sql_tool) if view is not None else None
        return found

    @staticmethod
    def _match(norm: str, tagged: bool, sql_tool: bool) -> tuple[str, str, re.Match[str]] | None:
        """``tagged``: ``norm`` is read as a SQL script; ``sql_tool``: a SQL tool's value (one
        that takes literals: a bare "'-'" is an expression there, not the coercion probe)."""
        gate = _SQL_GATE.possible(norm)  # which patterns may match at all (None: every one)
        if gate is not None and not gate:
            return None
        if not sql_tool and ("'" in norm or '"' in norm) and (gate is None or _G_QUOTE_OP in gate):
            m = _FAST_QUOTE_OP.search(norm)
            if m:
                return norm, "quote_operator_probe", m
        for rx, kind, gi in _SQL_ORDER if _sql_maybe(norm, gate) else ():
            if gate is not None and gi not in gate:
                continue
            if tagged and kind in ("quote_break", "value_then_query", "blind_extraction", "union_evasion"):
                # A SQL tool takes scripts: a literal followed by a comment or by another
                # statement is ordinary there (destructive verbs are for ``sql_verbs``); so is
                # a UNION over the catalogue.
                continue
            if not _SQL_GATES[kind](norm):
                continue
            m = rx.search(norm)
            if m and tagged and kind == "union_probe" and _UNION_TAIL.search(m.group(0)) is None:
                # A SQL tool takes "SELECT 1 UNION SELECT 2": there the probe needs its tail
                # (a comment cutting off the rest, or a system catalogue).
                continue
            if m:
                return norm, kind, m
        if not tagged and ("'" in norm or '"' in norm) and (gate is None or _G_REOPENED in gate):
            m = _FAST_REOPENED.search(norm)
            if m:
                return norm, "literal_reopened", m
        return None


# an empty comment between two letters: one word split in two (``_views``)
_SQL_SPLIT_WORD = re.compile(r"(?<=[a-z])/\*\*/(?=[a-z])", re.I)


# A statement that ends in a comment and then a lone quote: "... WHERE name = 'admin'--'". The
# query's own closing quote, commented out; the literal it closed is left open (an odd count).
_SQL_DANGLING = re.compile(r"(?:--|#|/\*)[ \t]{0,3}[-+]?[ \t]{0,3}'\)*\s{0,3}\Z")


def _dangling_quote(raw: str) -> tuple[str, str, re.Match[str]] | None:
    if not raw.rstrip().endswith("'") or raw.replace("''", "").count("'") % 2 == 0:
        return None
    m = _SQL_DANGLING.search(raw[-200:])
    return (raw[-200:], "quote_break", m) if m else None


def _id_probe(norm: str) -> tuple[str, str, re.Match[str]] | None:
    """``_SQL_ID_PROBE`` on an identifier field's value (at most ``_ID_MAX`` characters: anchored at both ends, the
    match costs less than a gate's scan would)."""
    m = _SQL_ID_PROBE.match(norm)
    return (norm, "identifier_probe", m) if m else None


def _tautology_gate(norm: str) -> bool:
    return any(b in norm for b in _SQL_BOOL) and any(x in norm for x in ("=", " like ", "''", '""'))


def _value_then_query_gate(norm: str) -> bool:
    return (
        ((";" in norm or "(" in norm) and any(w in norm for w in _STACKED_VERBS))
        or (
            any(w in norm for w in _CLAUSE_WORDS)
            and any(x in norm for x in ("=", " by ", "<", ">", "between", "(", " null"))
        )
        or "union" in norm
        or "/*!" in norm
        or "'*/" in norm
        or '"*/' in norm
        # OR (or a concatenation) after a closed literal or before a comment
        or (("or " in norm or "||" in norm) and any(x in norm for x in ("'", '"', "--", "#", "/*")))
        # AND with a literal left open at the end ("admin' and '", "' and 'x")
        or ("and " in norm and norm.rstrip()[-1:] in ("'", '"'))
        or "and '" in norm
        or 'and "' in norm
        # a statement begun after a closed literal, the rest commented out
        or (
            ("'" in norm or '"' in norm)
            and any(x in norm for x in ("--", "#", "/*"))
            and any(w in norm for w in _STACKED_VERBS)
        )
        or ("=" in norm and any(g in norm for g in _GLUED))
        or (("=" in norm or "<" in norm or ">" in norm) and any(w in norm for w in (" or", " and", " xor")))
    )


_QUOTE_BREAK_TOKENS = ("--", "#", "/*", ";", "union", " by ", "having", "||", "'%", '"%', "and '", "or '", 'and "',
                       'or "', "exists", "char", "concat", " like ", "null", "select", "true", "false", "or not",
                       "and not", "substr", "ascii", "mid(", "mid (", "length", "left(", "left (", "right(",
                       "right (", "len(", "len (",
                       *(f"{w} {d}" for w in ("and", "or", "xor") for d in "0123456789"))  # fmt: skip


def _quote_break_gate(norm: str) -> bool:
    return ("'" in norm or '"' in norm) and any(x in norm for x in _QUOTE_BREAK_TOKENS)


# Each SQL pattern's literal gate (a necessary condition, tried before the pattern).
_SQL_GATES: dict[str, Callable[[str], bool]] = {
    "tautology": _tautology_gate,
    "time_or_os_probe": lambda norm: any(w in norm for w in _SQL_TIME_WORDS),
    "error_or_oob_probe": lambda norm: any(w in norm for w in _SQL_ERROR_WORDS),
    "union_probe": lambda norm: "union" in norm,
    "blind_oracle": _sql_oracle_maybe,
    "value_then_query": _value_then_query_gate,
    "blind_extraction": lambda norm: any(w in norm for w in _INFERENCE_TOKENS),
    "quote_break": _quote_break_gate,
    "union_evasion": lambda norm: "union" in norm,
}
_G_VALUE_THEN_QUERY = 6  # its index in ``_SQL_GATE`` (``_sql_maybe`` asks the gate about it)
# The SQL patterns in the order they are tried (the first match is the finding), with their
# index in ``_SQL_GATE``; the quote-operator probe comes first, apart.
_SQL_ORDER: tuple[tuple[_FromCandidates | re.Pattern[str], str, int], ...] = (
    (_FAST_TAUTOLOGY, "tautology", 1),
    (_FAST_TIME, "time_or_os_probe", 2),
    (_FAST_ERROR, "error_or_oob_probe", 3),
    (_SQL_UNION_PROBE, "union_probe", 4),
    (_SQL_ORACLE, "blind_oracle", 5),
    (_FAST_VALUE_THEN_QUERY, "value_then_query", _G_VALUE_THEN_QUERY),
    (_FAST_INFERENCE, "blind_extraction", 7),
    (_FAST_QUOTE_END, "quote_break", 8),
    (_FAST_UNION_EVASION, "union_evasion", 9),
)
_G_QUOTE_OP = 0
_G_REOPENED = 10  # tried apart, after the others (``SqlDetector._match``)
# One Hyperscan pass (prefilter mode) says which SQL patterns may match a text at all: words
# and quotes that open them are in most texts, and each tried in vain cost ~1-15 µs per KiB.
_SQL_GATE_PATTERNS = (
    _SQL_QUOTE_OP,
    _SQL_TAUTOLOGY,
    _SQL_TIME,
    _SQL_ERROR,
    _SQL_UNION_PROBE,
    _SQL_ORACLE,
    _SQL_VALUE_THEN_QUERY,
    _SQL_INFERENCE,
    _SQL_QUOTE_END,
    _SQL_UNION_EVASION,
    _SQL_REOPENED_GATE,  # (the gate of _SQL_REOPENED)
)
_SQL_GATE = PatternGate(_SQL_GATE_PATTERNS)
# Every caller tests the very pattern it asks about (``_spelled_command``'s words need ``_SHELL_OBFUSCATED``'s
# separator, word characters and quote on any text), so text that is not ASCII is answered too (``shadow``).
_SHELL_GATE = PatternGate(
    [_SHELL_ALWAYS, _SHELL_SPLICE, _SHELL_VALUE, _SHELL_GLOB, _SHELL_OBFUSCATED, _SHELL_DATUM_SPLICE],
    ARG_GATES,
    shadow=True,
)
_FAST_SHELL_VALUE = _FromCandidates(_SHELL_VALUE, _string_starts)
_FAST_DATUM_SPLICE = _FromCandidates(_SHELL_DATUM_SPLICE, _string_starts)


def _css_char(m: re.Match[str]) -> str:
    n = int(m.group(1), 16)
    if n == 0:
        return ""  # a NUL ("java\0script:", a C or Perl string's NUL): dropped by the old parsers it fooled
    return chr(n) if n < 0x110000 and not 0xD800 <= n < 0xE000 else "\ufffd"


def _hidden_markup(norm: str) -> tuple[str, re.Match[str] | None]:
    """``_XSS`` and ``_XSS_MORE`` on the value with CSS escapes decoded and word-splitting empty
    tags removed (then its character references, which such tags split, decoded)."""
    text = norm
    if "\\" in text:
        text = _CSS_ESCAPE.sub(_css_char, text)
    if "<" in text and ">" in text:
        text = _XSS_SPLIT_TAG.sub("", text)
        if "&#" in text:
            text = html.unescape(text)
    if text == norm:
        return norm, None
    return text, _XSS.search(text) or _XSS_MORE.search(text)


class XssDetector:
    """Script-running markup in arguments (stored or reflected XSS through a tool)."""

    name = "xss"
    traits = DetectorTraits(anchors=Anchors(norm=_XSS_TOKENS))

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg":
            return []
        norm = t.norm
        if not any(tok in norm for tok in _XSS_TOKENS):
            return []
        # A whole HTML document (a template a CMS tool publishes) has scripts; in one, only
        # handlers that call alert/eval-like sinks count.
        # A template, a partial or a page of documentation written through a file tool is one too.
        document = "<html" in norm[:2000] or "<!doctype" in norm[:2000] or is_document(t)
        m = (_XSS_IN_DOCUMENT if document else _XSS).search(norm)
        if not m and not document and any(tok in norm for tok in _XSS_MORE_TOKENS):
            m = _XSS_MORE.search(norm)
        text = norm
        if not m and not document and "\x00" in norm:
            text = _NUL_INSIDE.sub("", norm)
            m = _XSS.search(text) if text != norm else None
        if not m and not document and ("jav" in norm or "cript" in norm) and ("=" in norm or "(" in norm):
            text = _SQUEEZE.sub("", norm)
            m = _XSS_SPLIT_SCHEME.search(text)
        if not m and not document and ("jav" in norm or "cript" in norm) and ":" in norm:
            text = norm
            m = _XSS_SPLIT_VALUE.search(norm)
        if not m and not document and ("\\" in norm or "<" in norm):
            text, m = _hidden_markup(norm)
        if not m:
            return []
        ev = excerpt(text, max(0, m.start() - 10), m.end() + 20)
        return [Hit(finding(self.name, t, "script_markup", "high", OWASP, ev, 0.85))]


class CodeExecDetector:
    """Code-execution idioms: Python sandbox escapes, PHP, Node child_process, Ruby, Java."""

    name = "code_execution"
    traits = DetectorTraits(anchors=Anchors(norm=_CODE_TOKENS))

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg":
            return []
        norm = t.norm
        if not any(tok in norm for tok in _CODE_TOKENS):
            return []
        m = _CODE_EXEC.search(norm)
        if not m and not is_document(t):
            m = _CODE_CALL_LITERAL.search(norm)
        if not m:
            return []
        ev = excerpt(norm, max(0, m.start() - 10), m.end() + 20)
        return [Hit(finding(self.name, t, "code_execution", "high", OWASP, ev, 0.85))]


# In a document (a template file, a page): the template's own expressions read its context
# ("{{ config.site_name }}", "{{ self.title }}", "${x.replace(/__init__$/, '')}"). There only the
# context dumped whole or by key ("{{config}}", "{{ config.items() }}", "{{config['SECRET_KEY']}}",
# "{{self}}", "{{ self._TemplateReference__context }}"), a secret read from it ("{{ config.SECRET_KEY }}")
# and the rest of ``_TEMPLATE_DANGER`` count.
_TEMPLATE_DANGER_IN_DOCUMENT = re.compile(
    r"__(?:class|globals|builtins|subclasses|mro|import)__|^\s?config\s?(?:\.\s?items\s?\(|\[|$)|"
    r"^\s?config\s?\.\s?\w{0,40}(?:secret|key|password|passwd|token|credential|database_uri)|"
    r"^\s?self\s?(?:$|\.\s?_)|lipsum|cycler|joiner|"
    r"namespace\s?[(.]|request\.application|\bimport\b|popen|\bos\.|runtime|\bexec\b|\bsystem\s?[(.@]|"
    r"java\.lang|\beval\b|"
    r"^\s?jndi:|^\s?(?:env|sys|java|lower|upper):|^\s?\d{1,4} ?\* ?\d{1,4} ?$|"
    r"\b(?:alert|prompt|confirm)\s?\(|\bconstructor\b|fromcharcode|document\.(?:cookie|domain|location)"
)


class TemplateDetector:
    name = "template_injection"
    traits = DetectorTraits(anchors=Anchors(norm=("{", "<%")))

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg" or ("{" not in t.norm and "<%" not in t.norm):
            return []
        danger = _TEMPLATE_DANGER_IN_DOCUMENT if is_document(t) else _TEMPLATE_DANGER
        for m in _TEMPLATE.finditer(t.norm):
            body = next(g for g in m.groups() if g is not None)
            if danger.search(body):
                ev = excerpt(t.norm, m.start(), m.end())
                return [Hit(finding(self.name, t, "template_injection", "high", OWASP, ev, 0.85))]
        return []


PATTERNS = {
    "shell_splice": _SHELL_SPLICE,
    "shell_always": _SHELL_ALWAYS,
    "sql_tautology": _SQL_TAUTOLOGY,
    "sql_quote_end": _SQL_QUOTE_END,
    "sql_time": _SQL_TIME,
    "sql_error": _SQL_ERROR,
    "sql_union": _SQL_UNION_PROBE,
    "sql_inference": _SQL_INFERENCE,
    "sql_comment": _SQL_COMMENT,
    "sql_quote_op": _SQL_QUOTE_OP,
    "sql_reopened": _SQL_REOPENED,
    "sql_union_evasion": _SQL_UNION_EVASION,
    "xss": _XSS,
    "xss_more": _XSS_MORE,
    "xss_split_scheme": _XSS_SPLIT_SCHEME,
    "css_escape": _CSS_ESCAPE,
    "xss_split_tag": _XSS_SPLIT_TAG,
    "sql_id_probe": _SQL_ID_PROBE,
    "nul_inside": _NUL_INSIDE,
    "code_exec": _CODE_EXEC,
    "code_call_literal": _CODE_CALL_LITERAL,
    "template": _TEMPLATE,
    "template_danger": _TEMPLATE_DANGER,
}
