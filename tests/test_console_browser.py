"""The operator console in a real headless Chromium (Debian's ``chromium``), driven over the
DevTools protocol with aiohttp's WebSocket client — async, so the gateway under test keeps
serving on the same event loop while the browser talks to it.

The flow: log in, see a pending approval appear (pushed by the live stream), approve it with the
button, see the agent's retry succeed and the live stream show it. ``.ci/run`` installs chromium
when it is missing; this test skips only when no chromium binary can be found.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import ADMIN_TOKEN, GatewayFactory, Upstream

PAY = ["tool:transfer:payment"]
ARGS = {"to": "DE89", "amount": 5}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-port=0",
]


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Page:
    """One browser tab over the DevTools protocol: navigate, evaluate, wait for a condition."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        await self.ws.send_json({"id": msg_id, "method": method, "params": params})
        async with asyncio.timeout(20):
            while True:
                msg = await self.ws.receive_json()
                if msg.get("id") == msg_id:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    result: dict[str, Any] = msg.get("result", {})
                    return result

    async def eval(self, expression: str) -> Any:
        out = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in out:
            raise RuntimeError(f"{expression}: {out['exceptionDetails']}")
        return out["result"].get("value")

    async def wait_for(self, expression: str, within: float = 15.0) -> Any:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            with contextlib.suppress(RuntimeError):
                value = await self.eval(expression)
                if value:
                    return value
            if asyncio.get_running_loop().time() > deadline:
                html = await self.eval("document.documentElement.outerHTML")
                raise AssertionError(f"timed out waiting for {expression!r}; page:\n{str(html)[:3000]}")
            await asyncio.sleep(0.1)

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")


@contextlib.asynccontextmanager
async def browser() -> AsyncIterator[Page]:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install chromium chromium-driver; .ci/run does it)")
    # The profile is removed by hand after the whole process group is gone: chromium's
    # helper processes can still be writing into it after the browser process exits, and
    # TemporaryDirectory's cleanup then fails with "Directory not empty" (seen in CI).
    profile = tempfile.mkdtemp(prefix="callgate-chromium-")
    try:
        proc = await asyncio.create_subprocess_exec(
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            async with asyncio.timeout(30):
                while not port_file.exists() or not port_file.read_text().strip():
                    if proc.returncode is not None:
                        raise RuntimeError(f"chromium exited with {proc.returncode}")
                    await asyncio.sleep(0.05)
            port = int(port_file.read_text().split()[0])
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/json/list") as r:
                    targets = await r.json(content_type=None)
                page = next(t for t in targets if t.get("type") == "page")
                async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=64 << 20) as ws:
                    p = Page(ws)
                    await p.send("Page.enable")
                    await p.send("Runtime.enable")
                    yield p
        finally:
            await stop_group(proc)
    finally:
        await remove_profile(profile)


async def stop_group(proc: asyncio.subprocess.Process) -> None:
    """Stop chromium and every helper process it started (one process group)."""
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # helpers (zygote, crashpad) left behind


async def remove_profile(profile: str) -> None:
    """Remove the profile directory, retrying while killed helpers finish dying (bounded: 5 s)."""
    for _ in range(50):
        try:
            shutil.rmtree(profile)
            return
        except FileNotFoundError:
            return
        except OSError:
            await asyncio.sleep(0.1)
    shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.timeout(120)
async def test_console_login_approve_and_retry(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    base = str(gw.admin.make_url("")).rstrip("/")
    async with browser() as page:
        await page.goto(f"{base}/console")  # not logged in: sent to the login form
        assert await page.eval("location.pathname") == "/console/login"
        await page.eval(
            "document.getElementById('operator').value = 'alice';"
            f"document.getElementById('token').value = {json.dumps(ADMIN_TOKEN)};"
            "document.getElementById('login').click(); true"
        )
        await page.wait_for("location.pathname === '/console' && document.getElementById('who') !== null")
        assert await page.eval("document.getElementById('who').textContent") == "alice"
        assert await page.eval("document.cookie") == ""  # the session cookie is HttpOnly
        await page.wait_for("document.getElementById('stream-state').textContent === 'live'")

        # The agent's call is held; the pending approval appears without a reload (live stream).
        r = await gw.agent.post(
            "/tools/transfer/send",
            json=ARGS,
            headers={**gw.auth(scopes=PAY, on_behalf_of="carol"), "X-Agent-Intent": "pay invoice 42"},
        )
        assert r.status == 202
        aid = (await r.json())["id"]
        row = f"document.querySelector('tr.approval[data-id=\"{aid}\"]')"
        await page.wait_for(f"{row} !== null")
        text = await page.eval(f"{row}.textContent")
        assert "transfer" in text and "pay invoice 42" in text and "carol" in text and "approval.required" in text

        await page.eval(f"document.getElementById('approve-{aid}').click(); true")
        await page.wait_for("document.getElementById('msg') !== null")
        assert f"{aid} is granted" in await page.eval("document.getElementById('msg').textContent")
        await page.wait_for("document.getElementById('stream-state').textContent === 'live'")
        assert await page.eval(f"{row} === null")  # no longer pending

        r = await gw.agent.post(
            "/tools/transfer/send",
            json=ARGS,
            headers={**gw.auth(scopes=PAY, on_behalf_of="carol"), "X-Callgate-Approval": aid},
        )
        assert r.status == 200
        assert len(upstream.seen) == 1
        await page.wait_for(
            "Array.from(document.querySelectorAll('#events li')).some(li => li.textContent.includes(' allowed'))"
        )
    granted = [x for x in gw.records("approval") if x["event"] == "granted"]
    assert granted[0]["operator"] == "console:alice" and granted[0]["approver"] == "alice"
