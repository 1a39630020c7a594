"""Source code is content, not a payload: Python's ``sleep(3)  # comment`` and a method named
``load_file`` are not SQL time and file probes, while the probes themselves still are."""

from __future__ import annotations

import itertools
import json

import pytest

from gateway.inspect.runner import InspectOptions, Inspector

INS = Inspector()

# look-alikes: time.sleep with a comment after it, and load_file as a name of ours
SLEEPS = ["time.sleep(3)", "sleep(3)", "await asyncio.sleep(1)", "sleep(10)"]
COMMENTS = ["  # give the server a moment", " # wait", "\n#####################", "  # --- retry ---"]
LOADERS = ["def load_file(self, pathname):", "data = loader.load_file(path)", "self.load_file(name, mode='r')",
           "return load_file(os.path.join(base, name))", "load_file(fp)"]  # fmt: skip
PAYLOADS = ["1' AND sleep(5)#", "sleep(5)#", "SLEEP(5)-- -", "1 AND !SLEEP(5)# -- -", "pg_sleep(5)--",
            "' OR sleep(5)='", "load_file('/etc/passwd')", "LOAD_FILE(0x2f6574632f706173737764)",
            "SELECT load_file(concat('\\\\\\\\', version(), '.x.example\\\\a'))", "load_file(char(47,101,116,99))",
            "UNION SELECT LOAD_FILE(\"/etc/shadow\")"]  # fmt: skip


def sql_kinds(args: object) -> set[str]:
    return {f.kind for f in INS.arguments(args, InspectOptions()) if f.detector == "sql_injection"}


@pytest.mark.parametrize(("call", "comment"), list(itertools.product(SLEEPS, COMMENTS)))
def test_a_sleep_with_a_comment_in_code_is_not_a_time_probe(call: str, comment: str) -> None:
    body = f"    while not client.ready():\n        {call}{comment}\n    return client\n"
    code = f"import time\n\n\ndef poll(client):\n{body}"
    assert "time_or_os_probe" not in sql_kinds({"path": "src/poll.py", "content": code})
    # a whole value that opens with sleep(n) and a comment is the payload's own shape ("sleep(5)#")
    assert "time_or_os_probe" in sql_kinds({"q": call.rsplit(" ", 1)[-1].rsplit(".", 1)[-1] + "#"})


@pytest.mark.parametrize("line", LOADERS)
def test_a_method_named_load_file_is_not_a_file_probe(line: str) -> None:
    code = f"class Finder:\n    {line}\n        pass\n"
    assert "time_or_os_probe" not in sql_kinds({"path": "src/finder.py", "content": code})


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_probes_are_still_found(payload: str) -> None:
    for args in ({"id": payload}, {"q": f"name={payload}"}, json.loads(json.dumps({"query": payload}))):
        assert sql_kinds(args), (payload, args)
