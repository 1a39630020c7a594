"""The `callgate` command: token, policy test, audit verify, killswitch, --help."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from gateway.cli import build_parser, main
from tests.conftest import ADMIN_TOKEN, ROOT, Gateway

CONFIG = """\
identity:
  issuers: [me]
  audience: callgate
  keys:
    - kind: hmac
      secret: {env: CG_TEST_SIGNING_KEY}
      dev: %s
"""


def test_token_needs_a_dev_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG % "false")
    assert main(["token", "--config", str(cfg), "--agent", "a"]) == 2
    assert "dev signing key" in capsys.readouterr().err
    cfg.write_text(CONFIG % "true")
    assert main(["token", "--config", str(cfg), "--agent", "a", "--scope", "tool:echo", "--scope", "tool:x"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.count(".") == 2


def test_policy_test_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "test", str(ROOT / "policies")]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out
    d = tmp_path / "p"
    d.mkdir()
    (d / "x_test.rego").write_text("package x_test\nimport rego.v1\ntest_ok if true\ntest_bad if false\n")
    assert main(["policy", "test", str(d), "-v"]) == 1
    out = capsys.readouterr().out
    assert "test_bad" in out
    assert "FAIL" in out


def test_audit_verify_command(gateway_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", str(gateway_log)]) == 0
    assert capsys.readouterr().out.startswith("OK")
    lines = gateway_log.read_text().splitlines(keepends=True)
    gateway_log.write_text("".join(lines[:1] + lines[2:]))
    assert main(["audit", "verify", str(gateway_log)]) == 1
    assert "line 2" in capsys.readouterr().out


@pytest.fixture
async def gateway_log(gateway: Gateway) -> Path:
    for _ in range(3):
        r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth())
        assert r.status == 200
    return gateway.settings.decision_log.path


async def run_cli(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "CALLGATE_ADMIN_TOKEN": ADMIN_TOKEN},
        cwd=ROOT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_killswitch_command_against_a_running_admin_api(gateway: Gateway) -> None:
    url = str(gateway.admin.make_url("")).rstrip("/")
    rc, out = await run_cli(
        "killswitch", "engage", "tool:echo", "--reason", "cli test", "--admin-url", url, "--operator", "carol"
    )
    assert rc == 0, out
    assert json.loads(out)["engaged"]["scope"] == "tool:echo"
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth())
    assert r.status == 503
    rc, out = await run_cli("killswitch", "status", "--admin-url", url)
    assert rc == 0
    assert [e["scope"] for e in json.loads(out)["engaged"]] == ["tool:echo"]
    rc, out = await run_cli("killswitch", "release", "tool:echo", "--admin-url", url, "--operator", "dave")
    assert rc == 0
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth())
    assert r.status == 200
    assert [(a["action"], a["operator"]) for a in gateway.records("admin")] == [
        ("killswitch.engage", "admin-token:carol"),
        ("killswitch.release", "admin-token:dave"),
    ]
    rc, out = await run_cli("killswitch", "engage", "global", "--reason", "x", "--admin-url", url, "--token", "wrong")
    assert rc == 1
    assert "auth.invalid" in out


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = [["serve"], ["check-config"], ["token"], ["policy", "test"], ["audit", "verify"], ["killswitch"], []]
    for cmd in commands:
        with pytest.raises(SystemExit) as e:
            parser.parse_args([*cmd, "--help"])
        assert e.value.code == 0
        assert "usage: callgate" in capsys.readouterr().out
