"""Signed checkpoints (issue 10, "a log no one can rewrite").

Real files, a real Ed25519 key, the real gateway restarted on a forged log.
Attacks: cutting the last lines, editing a record and re-hashing everything after
it, removing or reordering a record, a log replaced wholesale.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.audit.chain import GENESIS, canonical
from gateway.audit.checkpoint import MARKER, Checkpoint, keygen, load_public_key, read_export
from gateway.audit.log import DecisionLog, LogCheckFailed
from gateway.audit.verify import verify_log
from gateway.cli import main
from gateway.config import DecisionLogConfig
from gateway.errors import ConfigError
from gateway.runtime import Runtime
from tests.conftest import GatewayFactory, RedisServer


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "checkpoint.pem"
    keygen(path)
    return path


def cfg_for(tmp_path: Path, key: Path, **cp: Any) -> DecisionLogConfig:
    return DecisionLogConfig.model_validate(
        {
            "path": tmp_path / "log" / "decisions.jsonl",
            "fsync": "never",
            "checkpoints": {"key": {"file": str(key)}, "every_records": 5, **cp},
        }
    )


async def write(cfg: DecisionLogConfig, n: int, start: int = 0) -> DecisionLog:
    log = DecisionLog(cfg)
    await log.open()
    for i in range(start, start + n):
        await log.append({"kind": "call", "id": f"c{i}", "n": i})
    await log.close()
    return log


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_bytes().splitlines()]


def rehash(recs: list[dict[str, Any]]) -> bytes:
    """What a forger with write access does: fix every prev_hash and hash after an edit."""
    prev = GENESIS
    out = []
    for r in recs:
        r = {k: v for k, v in r.items() if k != "hash"}
        r["prev_hash"] = prev
        body = canonical(r)
        prev = hashlib.sha256(body).hexdigest()
        out.append(body[:-1] + b',"hash":"' + prev.encode() + b'"}\n')
    return b"".join(out)


def move(src: Path, dst: Path) -> None:
    src.rename(dst)


def verify_cli(path: Path, key: Path, *extra: str) -> int:
    return main(["audit", "verify", str(path), "--key", str(key) + ".pub", *extra])


async def test_checkpoints_every_n_and_at_close_verify(tmp_path: Path, key: Path) -> None:
    cfg = cfg_for(tmp_path, key)
    await write(cfg, 12)
    recs = lines(cfg.path)
    kinds = [r["kind"] for r in recs]
    # after 5 lines, after 5 more (the first checkpoint counts), and at close
    assert [i for i, k in enumerate(kinds) if k == "checkpoint"] == [5, 11, 14]
    cp = Checkpoint.parse(recs[5])
    assert cp is not None and cp.head == recs[4]["hash"] == recs[5]["prev_hash"] and cp.seq == 5
    assert cp.log_id == recs[0]["hash"]
    pub = load_public_key(str(key) + ".pub")
    report = verify_log(cfg.path, key=pub, checkpoint=read_export(Path(str(cfg.path) + ".checkpoint")))
    assert report.ok, report.problems
    assert report.checkpoints == 3 and report.unanchored == 0
    assert verify_cli(cfg.path, key) == 0


async def test_records_after_the_last_checkpoint_are_unanchored(tmp_path: Path, key: Path) -> None:
    cfg = cfg_for(tmp_path, key, every_records=100)
    await write(cfg, 3)
    data = cfg.path.read_bytes()
    cfg.path.write_bytes(data + rehash([*lines(cfg.path), {"kind": "call", "id": "late"}])[len(data) :])
    report = verify_log(cfg.path, key=load_public_key(str(key) + ".pub"))
    assert report.ok and report.unanchored == 1


async def test_truncated_tail_is_caught(tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = cfg_for(tmp_path, key)
    await write(cfg, 12)
    raw = cfg.path.read_bytes().splitlines(keepends=True)
    cfg.path.write_bytes(b"".join(raw[:-3]))  # a valid, shorter chain
    assert verify_log(cfg.path).ok  # the chain alone cannot tell
    assert verify_cli(cfg.path, key) == 1  # the exported checkpoint can
    assert "removed from the end" in capsys.readouterr().out
    with pytest.raises(LogCheckFailed, match="removed from the end"):
        await DecisionLog(cfg).open()  # and the gateway refuses to extend it


async def test_rehashed_rewrite_is_caught(tmp_path: Path, key: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = cfg_for(tmp_path, key)
    await write(cfg, 12)
    recs = lines(cfg.path)
    recs[2]["n"] = 999  # the edit
    cfg.path.write_bytes(rehash(recs))
    assert verify_log(cfg.path).ok  # a consistent chain
    assert verify_cli(cfg.path, key, "--checkpoint", str(tmp_path / "none")) == 2  # missing file named
    export = tmp_path / "elsewhere.json"
    move(Path(str(cfg.path) + ".checkpoint"), export)  # the forger removes the copy next to the log, too
    assert verify_cli(cfg.path, key) == 1  # the checkpoint lines inside still catch it
    assert "does not sit where it was signed" in capsys.readouterr().out
    # and with the checkpoint lines removed as well, the exported copy kept elsewhere catches it
    cfg.path.write_bytes(rehash([r for r in recs if r["kind"] != "checkpoint"]))
    # nothing signed left in or next to the log: it verifies, every record reported unanchored ...
    assert verify_cli(cfg.path, key) == 0
    assert "unanchored" in capsys.readouterr().out
    # ... which is why a copy is kept elsewhere (Redis, or a saved /admin/audit/head)
    assert verify_cli(cfg.path, key, "--checkpoint", str(export)) == 1


async def test_removed_and_reordered_records_fail_with_key(tmp_path: Path, key: Path) -> None:
    cfg = cfg_for(tmp_path, key)
    await write(cfg, 12)
    raw = cfg.path.read_bytes().splitlines(keepends=True)
    pub = load_public_key(str(key) + ".pub")
    cfg.path.write_bytes(b"".join(raw[:3] + raw[4:]))
    assert not verify_log(cfg.path, key=pub).ok
    cfg.path.write_bytes(b"".join([raw[0], raw[2], raw[1], *raw[3:]]))
    assert not verify_log(cfg.path, key=pub).ok
    # re-hashed after removing one record: the chain is fine, the checkpoints are not
    recs = lines(cfg.path)
    cfg.path.write_bytes(rehash(recs[:1] + recs[2:]))
    report = verify_log(cfg.path, key=pub)
    assert not report.ok and any("signed" in p.message for p in report.problems)


async def test_a_record_spelling_the_checkpoint_marker_nested_is_no_checkpoint(tmp_path: Path, key: Path) -> None:
    """After an unclean stop the tail holds records past the last checkpoint; one whose
    arguments spell ``"kind":"checkpoint"`` is a call, and the log reopens."""
    cfg = cfg_for(tmp_path, key, every_records=100)
    await write(cfg, 3)
    data = cfg.path.read_bytes()
    nested = {"kind": "call", "id": "late", "args": {"fields": {"x": {"kind": "checkpoint"}}}}
    cfg.path.write_bytes(data + rehash([*lines(cfg.path), nested])[len(data) :])
    assert MARKER in cfg.path.read_bytes().splitlines()[-1]
    log = DecisionLog(cfg)
    await log.open()  # it failed: "the newest checkpoint line is damaged or altered"
    assert log.checkpoint is not None
    await log.close()
    assert verify_log(cfg.path, key=load_public_key(key)).ok


async def test_reopen_checks_and_continues(tmp_path: Path, key: Path) -> None:
    cfg = cfg_for(tmp_path, key)
    await write(cfg, 7)
    log = await write(cfg, 7, start=7)  # reopens: the tail verifies against the checkpoint
    assert log.checkpoint is not None
    report = verify_log(cfg.path, key=load_public_key(key))
    assert report.ok and report.unanchored == 0


async def test_export_ahead_of_the_log_is_checked_by_offset(tmp_path: Path, key: Path) -> None:
    cfg = cfg_for(tmp_path, key, every_records=1000)
    log = DecisionLog(cfg)
    await log.open()
    for i in range(4):
        await log.append({"kind": "call", "id": f"c{i}"})
    cp = await log.write_checkpoint()
    assert cp is not None and read_export(log.export_path) == cp
    exported = log.export_path.read_bytes()
    await log.append({"kind": "call", "id": "c4"})
    await log.close()
    # lose the checkpoint line and everything after (a disk that lied): the export is ahead of the log
    raw = cfg.path.read_bytes()
    cfg.path.write_bytes(raw[: cp.offset])
    log.export_path.write_bytes(exported)
    await write(cfg, 1, start=10)  # the head the export signed is still there: fine
    cfg.path.write_bytes(raw[: cp.offset])
    log.export_path.write_bytes(exported)
    cfg.path.write_bytes(raw[: raw.rindex(b"\n", 0, cp.offset - 1) + 1])  # now it is not
    with pytest.raises(LogCheckFailed):
        await DecisionLog(cfg).open()


async def test_timer_checkpoint(tmp_path: Path, key: Path) -> None:
    import asyncio

    cfg = cfg_for(tmp_path, key, every_records=1000, every_s=0.1)
    log = DecisionLog(cfg)
    await log.open()
    await log.append({"kind": "call", "id": "c0"})
    for _ in range(100):
        if log.checkpoint is not None:
            break
        await asyncio.sleep(0.02)
    assert log.checkpoint is not None and log.checkpoint.seq == 1
    await log.close()


def test_key_next_to_the_log_is_a_config_error(tmp_path: Path) -> None:
    keygen(tmp_path / "k.pem")
    with pytest.raises(ValueError, match="keep the signing key apart"):
        DecisionLogConfig.model_validate(
            {"path": tmp_path / "d.jsonl", "checkpoints": {"key": {"file": str(tmp_path / "k.pem")}}}
        )
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "bad.pem").write_text("not a key")
    cfg = DecisionLogConfig.model_validate(
        {"path": tmp_path / "d.jsonl", "checkpoints": {"key": {"file": str(tmp_path / "keys" / "bad.pem")}}}
    )
    with pytest.raises(ConfigError, match=r"decision_log\.checkpoints\.key"):
        DecisionLog(cfg)


def test_keygen_cli(tmp_path: Path) -> None:
    path = tmp_path / "k" / "cp.pem"
    assert main(["audit", "keygen", str(path)]) == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_public_key(str(path) + ".pub") is not None
    assert main(["audit", "keygen", str(path)]) == 2  # never overwrites


# --------------------------------------------------------------------------- the gateway


async def test_gateway_refuses_a_forged_log_and_the_override_is_recorded(
    make_gateway: GatewayFactory, tmp_path: Path, key: Path
) -> None:
    over = {"decision_log": {"checkpoints": {"key": {"file": str(key)}, "every_records": 3}}}
    gw = await make_gateway(**over)
    for _ in range(5):
        assert (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status == 200
    head = await (await gw.admin.get("/admin/audit/head", headers=gw.admin_auth)).json()
    assert head["checkpoint"]["key_id"] and head["seq"] >= 5
    await gw.agent.close()  # the runtime closes: a final checkpoint
    await gw.admin.close()
    path = gw.settings.decision_log.path
    recs = lines(path)
    assert recs[-1]["kind"] == "checkpoint"
    recs[1]["outcome"] = "denied"  # forge a record, re-hash everything after it
    path.write_bytes(rehash(recs))

    with pytest.raises(LogCheckFailed):
        await Runtime(gw.settings).start()

    cps = {"key": {"file": str(key)}, "every_records": 3, "allow_unverified_start": True}
    gw2 = await make_gateway(decision_log={"checkpoints": cps})
    assert (await gw2.agent.get("/tools/echo/x", headers=gw2.auth())).status == 200
    admin = gw2.records("admin")
    override = [r for r in admin if r["action"] == "log.override"]
    assert len(override) == 1 and override[0]["problems"]
    # the log after the override is anchored again; verify still reports the forgery before it
    report = verify_log(path, key=load_public_key(key))
    assert not report.ok


def test_serve_refuses_a_forged_log(tmp_path: Path, key: Path) -> None:
    import yaml

    from tests.conftest import settings_dict

    d = settings_dict(tmp_path, "http://127.0.0.1:9")
    d["decision_log"]["checkpoints"] = {"key": {"file": str(key)}}
    d["admin"]["port"] = 0
    cfg = tmp_path / "callgate.yaml"
    cfg.write_text(yaml.safe_dump(json.loads(json.dumps(d))))
    log = Path(d["decision_log"]["path"])
    import asyncio

    dl = DecisionLog(DecisionLogConfig.model_validate(d["decision_log"]))

    async def seed() -> None:
        await dl.open()
        for i in range(3):
            await dl.append({"kind": "call", "id": f"c{i}"})
        await dl.close()

    asyncio.run(seed())
    recs = lines(log)
    recs[0]["id"] = "forged"
    log.write_bytes(rehash(recs))
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(cfg), "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert b"refusing to start" in proc.stderr and b"does not sit where it was signed" in proc.stderr


async def _four_calls_with_a_redis_copy(make_gateway: GatewayFactory, key: Path, redis_server: RedisServer) -> Any:
    """A gateway keeping its checkpoint copy in Redis, after four calls, stopped."""
    redis_server.command("FLUSHALL")
    over = {
        "store": {"url": redis_server.url, "timeout_ms": 1000},
        "decision_log": {"checkpoints": {"key": {"file": str(key)}, "every_records": 2}},
    }
    gw = await make_gateway(**over)
    for _ in range(4):
        assert (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status == 200
    await gw.agent.close()
    await gw.admin.close()
    return gw


async def test_checkpoint_copy_in_redis_catches_a_replaced_export(
    make_gateway: GatewayFactory, tmp_path: Path, key: Path, redis_server: RedisServer
) -> None:
    gw = await _four_calls_with_a_redis_copy(make_gateway, key, redis_server)
    path = gw.settings.decision_log.path
    export = Path(str(path) + ".checkpoint")
    raw = path.read_bytes().splitlines(keepends=True)
    # cut the tail and the file export: only the Redis copy remembers how far the log went
    path.write_bytes(b"".join(raw[:3]))
    move(export, tmp_path / "gone")
    with pytest.raises(LogCheckFailed, match="Redis"):
        await Runtime(gw.settings).start()


async def test_a_malformed_checkpoint_copy_in_redis_stops_the_start_like_a_bad_export(
    make_gateway: GatewayFactory, tmp_path: Path, key: Path, redis_server: RedisServer
) -> None:
    gw = await _four_calls_with_a_redis_copy(make_gateway, key, redis_server)
    # someone who rewrote the log and its export spoils the third witness too
    import redis

    with redis.Redis.from_url(redis_server.url) as r:
        keys = r.keys("*audit:checkpoint:*")
        assert len(keys) == 1, keys
        r.set(keys[0], "{not a checkpoint")
    with pytest.raises(LogCheckFailed, match=r"Redis .* checkpoint copy is malformed"):
        await Runtime(gw.settings).start()
