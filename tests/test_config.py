"""Configuration: validation with YAML locations, env overrides, secrets, check-config."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main
from gateway.config import Settings, check_secrets, parse_settings
from gateway.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
identity:
  issuers: [me]
  audience: callgate
  keys:
    - kind: hmac
      secret: {env: CG_TEST_SIGNING_KEY}
tools:
  echo:
    upstream: http://127.0.0.1:9/echo
"""


def errors_of(text: str, **env: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as e:
        parse_settings(text, environ=env)
    return e.value.errors


def test_good_config_parses() -> None:
    s = parse_settings(GOOD, environ={})
    assert isinstance(s, Settings)
    assert s.tools["echo"].effect == "read"
    assert s.server.port == 8080


def test_errors_name_yaml_path_and_line() -> None:
    text = GOOD.replace("http://127.0.0.1:9/echo", "not a url") + "    effect: launch\n    bogus: 1\n"
    errs = dict(errors_of(text))
    assert any(k.startswith("tools.echo.upstream (line 9)") for k in errs)
    assert any(k.startswith("tools.echo.effect (line 10)") for k in errs)
    assert any(k.startswith("tools.echo.bogus (line 11)") for k in errs)
    assert len(errs) == 3


def test_inline_secret_rejected() -> None:
    text = GOOD.replace("secret: {env: CG_TEST_SIGNING_KEY}", "secret: hunter2")
    errs = errors_of(text)
    assert errs[0][0].startswith("identity.keys.0.secret (line 6)")


def test_secret_needs_a_source() -> None:
    errs = errors_of(GOOD.replace("{env: CG_TEST_SIGNING_KEY}", "{}"))
    assert "never inline" in errs[0][1]


def test_bad_tool_name() -> None:
    errs = errors_of(GOOD.replace("  echo:", "  Echo Tool:"))
    assert errs[0][0].startswith("tools")
    assert "must match" in errs[0][1]


def test_env_overrides() -> None:
    s = parse_settings(GOOD, environ={"CALLGATE_SERVER__PORT": "9999", "CALLGATE_TOOLS__ECHO__EFFECT": "write"})
    assert s.server.port == 9999
    assert s.tools["echo"].effect == "write"
    # a plain CALLGATE_ variable (a secret's env source) is not an override
    parse_settings(GOOD, environ={"CALLGATE_ADMIN_TOKEN": "x"})
    errs = errors_of(GOOD, CALLGATE_SERVER__PORT="high")
    assert errs[0][0] == "server.port (from $CALLGATE_SERVER__PORT)"


def test_missing_secret_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CG_TEST_SIGNING_KEY")
    s = parse_settings(GOOD, environ={})
    assert check_secrets(s) == [("identity.keys.0.secret", "environment variable CG_TEST_SIGNING_KEY is not set")]


def test_secret_from_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CG_TEST_SIGNING_KEY")
    f = tmp_path / "k"
    f.write_text("from-file\n")
    s = parse_settings(
        GOOD.replace("{env: CG_TEST_SIGNING_KEY}", f"{{env: CG_TEST_SIGNING_KEY, file: {f}}}"), environ={}
    )
    assert check_secrets(s) == []


def test_check_config_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("http://127.0.0.1:9/echo", "ftp//x") + "    risk: extreme\n")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "tools.echo.upstream (line 9):" in err
    assert "tools.echo.risk (line 10):" in err
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["check-config", str(good)]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_config_invalid_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tools: [\n")
    assert main(["check-config", str(bad)]) == 2
    assert "invalid YAML" in capsys.readouterr().err


def test_quickstart_config_is_valid() -> None:
    s = parse_settings((ROOT / "deploy/quickstart.yaml").read_text(), environ={})
    assert set(s.tools) >= {"echo", "transfer"}
    assert s.tools["transfer"].effect == "payment"


def test_mcp_servers_section_is_validated() -> None:
    mcp = (
        GOOD
        + """\
mcp_servers:
  demo:
    upstream: http://127.0.0.1:9/mcp
    tool_effects: {add: write}
    pinned: {echo: "sha256:%s"}
"""
        % ("a" * 64)
    )
    s = parse_settings(mcp, environ={})
    assert s.mcp_servers["demo"].tool_effects == {"add": "write"}
    assert s.mcp_servers["demo"].pinned["echo"] == "sha256:" + "a" * 64

    errs = errors_of(GOOD + "mcp_servers:\n  demo:\n    upstream: http://127.0.0.1:9/mcp\n    bogus: 1\n")
    assert errs[0][0] == "mcp_servers.demo.bogus (line 13)"
    errs = errors_of(GOOD + "mcp_servers:\n  demo:\n    upstream: http://127.0.0.1:9/mcp\n    pinned: {echo: abc}\n")
    assert errs[0][0].startswith("mcp_servers.demo.pinned") and "sha256" in errs[0][1]
    errs = errors_of(GOOD + "mcp_servers:\n  Bad.Name:\n    upstream: http://127.0.0.1:9/mcp\n")
    assert errs[0][0].startswith("mcp_servers")
    errs = errors_of(GOOD + "mcp_servers:\n  demo:\n    upstream: http://127.0.0.1:9/mcp\n    default_credential: x\n")
    assert "default_credential" in errs[0][1]


def test_store_and_limits_config() -> None:
    s = parse_settings(GOOD, environ={})
    assert s.store == "memory" and s.limits.rate == [] and not s.limits.fail_open
    s = parse_settings(GOOD + "store: {url: 'redis://r:6379/0'}\n", environ={})
    assert not isinstance(s.store, str)
    assert s.store.timeout_ms == 100 and "{" not in s.store.key_prefix  # keys are tagged per tenant
    errs = errors_of(GOOD + "store: {url: 'redis://r:6379/0', key_prefix: 'cg:{cg}:'}\n")
    assert any("key_prefix" in loc for loc, _ in errs), errs
    s = parse_settings(GOOD, environ={"CALLGATE_STORE__URL": "redis://r:6379/0"})
    assert not isinstance(s.store, str) and s.store.url == "redis://r:6379/0"


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ("store: postgres\n", "store"),
        ("store: {url: 'http://r'}\n", "store"),
        ("limits: {timezone: Mars/Olympus}\n", "limits.timezone"),
        ("limits: {rate: [{name: r, rate: 0}]}\n", "limits.rate.0.rate"),
        ("limits: {rate: [{name: r, rate: 1, per: [planet]}]}\n", "limits.rate.0.per.0"),
        ("limits: {quotas: [{name: q, per: tenant, window: week, limit: 1}]}\n", "limits.quotas.0.window"),
        ("limits: {idempotency: {require_for: [everything]}}\n", "limits.idempotency.require_for.0"),
    ],
)
def test_bad_limits_are_located(extra: str, where: str) -> None:
    locs = [loc for loc, _ in errors_of(GOOD + extra)]
    assert any(loc.startswith(where) for loc in locs), locs
