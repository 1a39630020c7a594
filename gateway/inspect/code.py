"""Injection into interpreters the tool hands arguments to: shell metacharacters and
command substitution (tools tagged ``shell``), SQL injection (tools tagged ``sql``),
and server-side template injection (every tool). OWASP LLM05 (improper output
handling) / ASI05 (unexpected code execution).
"""

from __future__ import annotations

import re

from gateway.inspect.base import Hit, Target, excerpt, finding

OWASP = ("LLM05", "ASI05")

_SHELL = re.compile(r"\$\(|`|;|&&|\|\||\|\s?\w|>\s?/|<\(|\$\{[^}]{0,100}\}|\n")
# SQL: quote-led patterns (a literal first character keeps the scan fast) and keyword
# patterns guarded by a cheap ``in`` test.
_SQL_QUOTE = re.compile(r"'\s?(?:(?:or|and)\s?'?\w{0,20}'?\s?=\s?'?\w{0,20}|(?:or|and) \d{1,5}\s?=\s?\d|--|#|/\*)")
_SQL_KW = re.compile(
    r"\bunion(?: all)? select\b|;\s?(?:drop|delete|update|insert|alter|create|truncate|exec)\b|"
    r"\b(?:sleep|pg_sleep|benchmark|waitfor delay)\s?\(|\bxp_cmdshell\b|\binformation_schema\b"
)
_SQL_KW_TOKENS = ("union", ";", "sleep", "benchmark", "waitfor", "xp_cmdshell", "information_schema")
# A template expression: {{ ... }}, ${ ... }, #{ ... }, <% ... %>. Bodies exclude the
# opening characters, so a run of "{{{{" fails at once instead of rescanning.
_TEMPLATE = re.compile(r"\{\{([^{}]{0,300})\}\}|\$\{([^{}]{0,300})\}|#\{([^{}]{0,300})\}|<%=?([^%]{0,300})%>")
_TEMPLATE_DANGER = re.compile(
    r"__(?:class|globals|builtins|subclasses|mro|init|import)__|\bconfig\b|\bself\b|lipsum|cycler|joiner|"
    r"namespace|request\.application|\bimport\b|popen|\bos\.|runtime|\bexec\b|\bsystem\b|\beval\b|"
    r"^\s?jndi:|^\s?(?:env|sys|java|lower|upper):|^\s?\d{1,4} ?\* ?\d{1,4} ?$"
)


class ShellDetector:
    name = "shell_injection"
    per_string = True  # a newline is a metacharacter, so a joined scan would always match

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg" or "shell" not in t.tags:
            return []
        m = _SHELL.search(t.raw)
        if not m:
            return []
        ev = excerpt(t.raw, max(0, m.start() - 10), m.end() + 20)
        return [Hit(finding(self.name, t, "metacharacter", "high", OWASP, ev, 0.8))]


class SqlDetector:
    name = "sql_injection"

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg" or "sql" not in t.tags:
            return []
        norm = t.norm
        m = _SQL_QUOTE.search(norm) if "'" in norm else None
        if m is None and any(tok in norm for tok in _SQL_KW_TOKENS):
            m = _SQL_KW.search(norm)
        if not m:
            return []
        ev = excerpt(t.norm, max(0, m.start() - 10), m.end() + 20)
        return [Hit(finding(self.name, t, "sql_injection", "high", OWASP, ev, 0.85))]


class TemplateDetector:
    name = "template_injection"

    def scan(self, t: Target) -> list[Hit]:
        if t.surface != "request_arg" or ("{" not in t.norm and "<%" not in t.norm):
            return []
        for m in _TEMPLATE.finditer(t.norm):
            body = next(g for g in m.groups() if g is not None)
            if _TEMPLATE_DANGER.search(body):
                ev = excerpt(t.norm, m.start(), m.end())
                return [Hit(finding(self.name, t, "template_injection", "high", OWASP, ev, 0.85))]
        return []


PATTERNS = {
    "shell": _SHELL,
    "sql_quote": _SQL_QUOTE,
    "sql_kw": _SQL_KW,
    "template": _TEMPLATE,
    "template_danger": _TEMPLATE_DANGER,
}
