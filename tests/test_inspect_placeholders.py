"""Template placeholders that hold prose ("${maintheme:system security}", "${namespace}", "{{ booking
system }}") are fill-ins of a prompt template, not template injection; expressions that reach the
system or a namespace as code are still injection. Our generator: placeholder names and defaults x
delimiters; payloads in four template languages."""

from __future__ import annotations

import itertools

import pytest

from gateway.inspect.runner import InspectOptions
from tests.test_inspect_families import INS

NAMES = ["system", "booking system", "maintheme:system security", "namespace", "features:payment system, reviews",
         "operating system", "target_namespace", "system prompt style", "tone:calm"]  # fmt: skip
DELIMS = ["${{{}}}", "{{{{{}}}}}", "#{{{}}}", "<%= {} %>"]


def template_kinds(text: str) -> list[str]:
    return [f.kind for f in INS.arguments({"prompt": text}, InspectOptions()) if f.detector == "template_injection"]


def test_placeholders_holding_prose_pass() -> None:
    texts = [f"You are a writer for {d.format(n)}. Keep answers short." for n, d in itertools.product(NAMES, DELIMS)]
    assert len(texts) == 36
    flagged = [t for t in texts if template_kinds(t)]
    assert not flagged, flagged[:3]


@pytest.mark.parametrize(
    "payload",
    [
        "#{system('id')}",
        "<%= system('whoami') %>",
        "${T(java.lang.System).getenv()}",
        "${@java.lang.System@getProperty('user.home')}",
        "{{ namespace.__init__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{config}}",
        "${7*7}",
    ],
)
def test_system_and_namespace_as_code_are_injection(payload: str) -> None:
    assert template_kinds(f"name: {payload}"), payload
