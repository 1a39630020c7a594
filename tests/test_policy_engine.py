"""The embedded Rego engine (regorus) and the ``policy test`` runner, on policies written to tmp_path."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from gateway.policy.embedded import EmbeddedEngine, parse_engine_message
from gateway.policy.engine import PolicyEngine, PolicyError, PolicyLoadError
from gateway.policy.testing import TestResult, discover_tests, format_results, run_policy_tests

POLICY = """\
package demo

import rego.v1

default allow := false

allow if input.user == data.demo.admin

nothing if input.never

nil := null

odd := "<undefined>"

doc := {"user": input.user, "limit": data.limits.max, "env": data.gateway.env}

quotient := 10 / input.divisor

count_of := strings.count(input.s, input.sub)
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    write(root, "demo.rego", POLICY)
    write(root, "demo/data.json", json.dumps({"admin": "alice"}))
    write(root, "limits/data.json", json.dumps({"max": 5}))
    return root


@pytest.fixture
def engine(policy_dir: Path) -> EmbeddedEngine:
    return EmbeddedEngine.load([policy_dir], {"gateway": {"env": "test"}})


# --------------------------------------------------------------------------- loading


def test_engine_implements_the_protocol(engine: EmbeddedEngine) -> None:
    assert isinstance(engine, PolicyEngine)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.rego", "package bad\n\nimport rego.v1\n\nallow if {\n\tinput.x ==\n}\n")
    with pytest.raises(PolicyLoadError) as err:
        EmbeddedEngine.load([tmp_path], {})
    assert err.value.file == str(bad)
    assert err.value.line is not None
    assert str(err.value).startswith(f"{bad}:{err.value.line}:")
    assert err.value.line >= 6


def test_v0_rule_without_if_is_a_load_error(tmp_path: Path) -> None:
    bad = write(tmp_path, "old.rego", "package old\n\nallow {\n\ttrue\n}\n")
    with pytest.raises(PolicyLoadError, match=rf"^{re.escape(str(bad))}:3:\d+: .*`if` keyword is required"):
        EmbeddedEngine.load([tmp_path], {})


def test_invalid_data_json_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package p\n")
    bad = write(tmp_path, "x/data.json", '{\n  "a": 1,\n  "b": \n}\n')
    with pytest.raises(PolicyLoadError, match=rf"^{re.escape(str(bad))}:4: invalid JSON") as err:
        EmbeddedEngine.load([tmp_path], {})
    assert (err.value.file, err.value.line) == (str(bad), 4)


def test_root_data_json_must_be_an_object(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package p\n")
    write(tmp_path, "data.json", "[1, 2]")
    with pytest.raises(PolicyLoadError, match="must hold an object"):
        EmbeddedEngine.load([tmp_path], {})


def test_data_defined_twice_is_a_load_error(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package p\n")
    write(tmp_path, "gateway/data.json", json.dumps({"env": "prod"}))
    with pytest.raises(PolicyLoadError, match=r"data\.gateway\.env is defined twice"):
        EmbeddedEngine.load([tmp_path], {"gateway": {"env": "test"}})


def test_data_must_be_json(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package p\n")
    with pytest.raises(PolicyLoadError, match="not JSON"):
        EmbeddedEngine.load([tmp_path], {"when": {1, 2}})


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyLoadError, match="no such file or directory"):
        EmbeddedEngine.load([tmp_path / "nope"], {})
    with pytest.raises(PolicyLoadError, match=r"no \.rego files"):
        EmbeddedEngine.load([tmp_path], {})


async def test_data_json_is_placed_at_its_directory(engine: EmbeddedEngine) -> None:
    assert await engine.evaluate("data.demo.doc", {"user": "bob"}) == {"user": "bob", "limit": 5, "env": "test"}
    assert await engine.evaluate("data.demo.allow", {"user": "alice"}) is True
    assert await engine.evaluate("data.demo.allow", {"user": "bob"}) is False


async def test_root_data_json_merges_at_the_root(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package p\n\nimport rego.v1\n\nv := [data.top, data.sub.x]\n")
    write(tmp_path, "data.json", json.dumps({"top": 1}))
    write(tmp_path, "sub/data.json", json.dumps({"x": 2}))
    engine = EmbeddedEngine.load([tmp_path], {})
    assert await engine.evaluate("data.p.v", {}) == [1, 2]


async def test_tests_and_hidden_directories_are_left_out(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package p\n\nimport rego.v1\n\nv := 1\n")
    write(tmp_path, "p_test.rego", "package p\n\nimport rego.v1\n\ntest_v if v == 1\n")
    write(tmp_path, ".git/x.rego", "this is not rego\n")
    engine = EmbeddedEngine.load([tmp_path], {})
    assert [s.rel for s in engine.sources] == ["p.rego"]
    assert await engine.evaluate("data.p.test_v", {}) is None
    with_tests = EmbeddedEngine.load([tmp_path], {}, include_tests=True)
    assert await with_tests.evaluate("data.p.test_v", {}) is True


def test_a_single_file_can_be_loaded(policy_dir: Path) -> None:
    engine = EmbeddedEngine.load([policy_dir / "demo.rego"], {})
    assert [s.rel for s in engine.sources] == ["demo.rego"]


# --------------------------------------------------------------------------- revision


def test_revision_is_stable_and_follows_files_and_data(policy_dir: Path) -> None:
    first = EmbeddedEngine.load([policy_dir], {"gateway": {"env": "test"}}).revision
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", first)
    assert EmbeddedEngine.load([policy_dir], {"gateway": {"env": "test"}}).revision == first

    assert EmbeddedEngine.load([policy_dir], {"gateway": {"env": "prod"}}).revision != first

    write(policy_dir, "demo.rego", POLICY + "\nextra := 1\n")
    changed = EmbeddedEngine.load([policy_dir], {"gateway": {"env": "test"}}).revision
    assert changed != first

    write(policy_dir, "limits/data.json", json.dumps({"max": 6}))
    assert EmbeddedEngine.load([policy_dir], {"gateway": {"env": "test"}}).revision not in (first, changed)


def test_revision_does_not_depend_on_where_the_directory_is(tmp_path: Path, policy_dir: Path) -> None:
    copy = tmp_path / "elsewhere" / "policies"
    for src in EmbeddedEngine.load([policy_dir], {}).sources:
        write(copy, src.rel, src.text)
    assert EmbeddedEngine.load([copy], {}).revision == EmbeddedEngine.load([policy_dir], {}).revision


# --------------------------------------------------------------------------- evaluation


async def test_undefined_is_none(engine: EmbeddedEngine) -> None:
    assert await engine.evaluate("data.demo.nothing", {}) is None
    assert await engine.evaluate("data.demo.no_such_rule", {}) is None
    assert await engine.evaluate("data.no_such_package.rule", {}) is None


async def test_values_that_look_undefined_are_kept(engine: EmbeddedEngine) -> None:
    assert await engine.evaluate("data.demo.odd", {}) == "<undefined>"
    assert await engine.evaluate("data.demo.nil", {}) is None


async def test_runtime_error_becomes_policy_error(engine: EmbeddedEngine) -> None:
    with pytest.raises(PolicyError, match=r"demo\.rego:\d+:\d+: divide by zero"):
        await engine.evaluate("data.demo.quotient", {"divisor": 0})
    assert await engine.evaluate("data.demo.quotient", {"divisor": 2}) == 5


async def test_builtin_panic_becomes_policy_error(engine: EmbeddedEngine) -> None:
    # regorus 0.13 panics in strings.count with an empty substring (OPA answers 1):
    # pyo3 raises PanicException, a BaseException, from the evaluation.
    with pytest.raises(PolicyError, match="panicked") as err:
        await engine.evaluate("data.demo.count_of", {"s": "", "sub": ""})
    cause = err.value.__cause__
    assert cause is not None
    assert not isinstance(cause, Exception)
    assert type(cause).__name__ == "PanicException"
    # The engine is still usable, the panicking rule included (regorus alone would now
    # report it as recursive: the panic left it marked as being evaluated).
    assert await engine.evaluate("data.demo.count_of", {"s": "abab", "sub": "ab"}) == 2
    assert await engine.evaluate("data.demo.allow", {"user": "alice"}) is True


async def test_unusable_input_becomes_policy_error(engine: EmbeddedEngine) -> None:
    with pytest.raises(PolicyError, match="not JSON"):
        await engine.evaluate("data.demo.allow", {"user": {1, 2}})
    with pytest.raises(PolicyError, match="not JSON"):
        await engine.evaluate("data.demo.allow", {"user": float("nan")})
    deep: Any = "x"
    for _ in range(200):
        deep = [deep]
    with pytest.raises(PolicyError, match="recursion limit"):
        await engine.evaluate("data.demo.allow", {"user": deep})
    assert await engine.evaluate("data.demo.allow", {"user": "alice"}) is True
    # Parts of the input no rule can read are not given to the engine (readset.prune):
    # they cannot make a decision fail.
    if engine.cache_paths is not None:
        assert ("n",) not in engine.cache_paths
        assert await engine.evaluate("data.demo.allow", {"user": "alice", "n": float("nan")}) is True


def _in_thread(fn: Callable[[], Any]) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


async def test_use_from_another_thread_is_a_policy_error(engine: EmbeddedEngine) -> None:
    main = threading.get_ident()

    def other() -> Any:
        assert threading.get_ident() != main
        return asyncio.run(engine.evaluate("data.demo.allow", {"user": "alice"}))

    with pytest.raises(PolicyError, match=r"thread other than the one"):
        _in_thread(other)
    with pytest.raises(PolicyError):
        _in_thread(lambda: engine.evaluate_sync("data.demo.allow", {"user": "alice"}))
    assert await engine.evaluate("data.demo.allow", {"user": "alice"}) is True


async def test_closed_engine_refuses(engine: EmbeddedEngine) -> None:
    await engine.close()
    with pytest.raises(PolicyError, match="closed"):
        await engine.evaluate("data.demo.allow", {})
    await engine.close()  # idempotent


async def test_close_from_another_thread_does_not_drop_the_engine(engine: EmbeddedEngine) -> None:
    _in_thread(lambda: asyncio.run(engine.close()))
    with pytest.raises(PolicyError, match="closed"):
        await engine.evaluate("data.demo.allow", {})
    await engine.close()  # on its own thread it is released


def test_parse_engine_message() -> None:
    msg = parse_engine_message("\n--> a.rego:5:8\n  |\n5 | q := 1 / input.z\n  |        ^\nerror: divide by zero")
    assert (msg.file, msg.line, msg.column, msg.message) == ("a.rego", 5, 8, "divide by zero")
    assert msg.one_line() == "a.rego:5:8: divide by zero"
    assert "q := 1 / input.z" in msg.full()
    plain = parse_engine_message("could not serialize number")
    assert (plain.file, plain.message, plain.one_line()) == (
        None,
        "could not serialize number",
        "could not serialize number",
    )


# --------------------------------------------------------------------------- policy test

PKG = """\
package demo

import rego.v1

default allow := false

allow if input.user == "alice"
"""

PKG_TEST = """\
package demo_test

import rego.v1

import data.demo

test_alice_allowed if {
	demo.allow with input as {"user": "alice"}
}

test_bob_allowed if {
	demo.allow with input as {"user": "bob"}
}

test_undefined_fails if input.nothing

test_divide_error if {
	x := 0
	10 / x == 1
}

todo_test_later if false

# Incremental definitions are one test, passing when any definition holds.
test_incremental if false

test_incremental if true

test_prints if {
	print("checking", 42)
	true
}

test_not_boolean := 7

test_false := false

helper(x) := x
"""


@pytest.fixture
def test_dir(tmp_path: Path) -> Path:
    write(tmp_path, "demo.rego", PKG)
    write(tmp_path, "demo_test.rego", PKG_TEST)
    return tmp_path


def outcomes(results: list[TestResult]) -> dict[str, str]:
    return {r.name.removeprefix("data.demo_test."): r.outcome for r in results}


def test_policy_tests_outcomes(test_dir: Path) -> None:
    results = run_policy_tests([test_dir])
    assert outcomes(results) == {
        "test_alice_allowed": "pass",
        "test_bob_allowed": "fail",
        "test_undefined_fails": "fail",
        "test_divide_error": "error",
        "todo_test_later": "skip",
        "test_incremental": "pass",
        "test_prints": "pass",
        "test_not_boolean": "fail",
        "test_false": "fail",
    }
    by_name = {r.name: r for r in results}
    assert all(r.file == str(test_dir / "demo_test.rego") for r in results)
    assert by_name["data.demo_test.test_bob_allowed"].message == "undefined"
    assert by_name["data.demo_test.test_false"].message == "result: false"
    assert by_name["data.demo_test.test_undefined_fails"].message == "undefined"
    assert "divide by zero" in by_name["data.demo_test.test_divide_error"].message
    assert "checking 42" in by_name["data.demo_test.test_prints"].message
    assert by_name["data.demo_test.test_not_boolean"].message == "result: 7"
    assert all(r.duration_s >= 0 for r in results)


def test_policy_tests_run_filter(test_dir: Path) -> None:
    results = run_policy_tests([test_dir], run="alice|incremental$")
    assert outcomes(results) == {"test_alice_allowed": "pass", "test_incremental": "pass"}
    with pytest.raises(ValueError, match="invalid --run pattern"):
        run_policy_tests([test_dir], run="(")


def test_policy_tests_see_data(tmp_path: Path) -> None:
    write(tmp_path, "p.rego", "package p\n\nimport rego.v1\n\nlimit := data.limits.max\n")
    write(tmp_path, "limits/data.json", '{"max": 3}')
    write(
        tmp_path,
        "p_test.rego",
        "package p\n\nimport rego.v1\n\ntest_limit if limit == 3\n\ntest_cfg if data.gateway.on\n",
    )
    results = run_policy_tests([tmp_path], {"gateway": {"on": True}})
    assert [(r.name, r.outcome) for r in results] == [("data.p.test_limit", "pass"), ("data.p.test_cfg", "pass")]


def test_policy_tests_load_error(tmp_path: Path) -> None:
    write(tmp_path, "p_test.rego", "package p\n\ntest_x if {\n")
    with pytest.raises(PolicyLoadError, match=r"p_test\.rego:"):
        run_policy_tests([tmp_path])


def test_discover_tests_tolerates_rule_forms() -> None:
    text = (
        "package a.b_test\n"
        "test_if if { true }\n"
        "test_brace {\n}\n"
        "test_contains contains 1 if true\n"
        "test_assign := true\n"
        "test_bare\n"
        "todo_test_skip if false\n"
        "test_if if { false }\n"
        "\ttest_indented_is_not_a_rule := 1\n"
        "# test_comment if true\n"
        "test_function(x) := x\n"
        "testing_other if true\n"
    )
    assert discover_tests(text) == (
        "a.b_test",
        ["test_if", "test_brace", "test_contains", "test_assign", "test_bare", "todo_test_skip"],
    )
    assert discover_tests("test_x if true\n") == (None, ["test_x"])


def test_format_results(test_dir: Path) -> None:
    results = run_policy_tests([test_dir])
    short = format_results(results, verbose=False)
    lines = short.splitlines()
    assert lines[0] == f"{test_dir / 'demo_test.rego'}:"
    assert any(line.startswith("data.demo_test.test_bob_allowed: FAIL (") for line in lines)
    assert any(line.startswith("data.demo_test.test_divide_error: ERROR (") for line in lines)
    assert "test_alice_allowed" not in short
    assert lines[-5:] == ["-" * 80, "PASS: 3/9", "FAIL: 4/9", "ERROR: 1/9", "SKIPPED: 1/9"]

    verbose = format_results(results, verbose=True)
    assert "data.demo_test.test_alice_allowed: PASS (" in verbose
    assert "data.demo_test.todo_test_later: SKIPPED\n" in verbose
    assert any(line.startswith("  ") and line.endswith("checking 42") for line in verbose.splitlines())


def test_format_results_all_passing(test_dir: Path) -> None:
    results = run_policy_tests([test_dir], run="alice")
    assert format_results(results, verbose=False) == "PASS: 1/1"
    assert format_results([], verbose=False) == "no tests found"
