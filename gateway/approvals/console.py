"""The operator console: ``/console`` on the admin listener.

Server-rendered HTML, one small script and one stylesheet served from here (no
external assets; a Content-Security-Policy of ``'self'`` forbids any other source and
every inline script). It shows the pending approvals (tool, agent, on-behalf-of,
intent, arguments as the decision log records them — digest and the tool's
``record_fields`` — findings, policy reasons) with approve / deny forms, the kill
switches with engage / release, and the live decision stream (server-sent events).

**Login.** The admin token plus the operator's name, once. The session is a signed
cookie (``HttpOnly; SameSite=Strict; Path=/console``): ``{operator, expiry, nonce}``
with an HMAC-SHA256 under a key derived from the admin token, so every worker process
(``serve --workers``) and replica with the same token accepts it, and changing the
admin token ends every session. It lives at most ``console_session_s``; logging out
deletes the cookie (a copied cookie stays valid until it expires). The operator's
name is the approver: separation of duties applies to it.

**CSRF.** Every form carries the session's CSRF token (an HMAC of the session cookie,
compared in constant time);
the login form a double-submit token (cookie + field). A POST whose ``Origin`` names
another host is refused as well. ``SameSite=Strict`` keeps the session cookie off
cross-site requests in the first place.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from gateway.audit.log import AuditUnavailable
from gateway.clock import iso
from gateway.errors import GatewayError
from gateway.store.base import validate_scope

if TYPE_CHECKING:
    from gateway.admin import AdminAuth
    from gateway.runtime import Runtime

SESSION_COOKIE = "cg_session"
LOGIN_COOKIE = "cg_login"
SSE_MAX_S = 3600.0  # one event stream lasts at most this long; the browser reconnects
SSE_PING_S = 15.0
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

SCRIPT = """
'use strict';
(function () {
  var list = document.getElementById('events');
  var pending = document.getElementById('pending');
  var state = document.getElementById('stream-state');
  function refreshPending() {
    fetch('/console/pending', {credentials: 'same-origin'}).then(function (r) {
      if (r.ok) { return r.text(); }
      throw new Error(r.status);
    }).then(function (t) { pending.innerHTML = t; }).catch(function () {});
  }
  var es = new EventSource('/console/events');
  es.onopen = function () { state.textContent = 'live'; };
  es.onerror = function () { state.textContent = 'reconnecting'; };
  es.onmessage = function (m) {
    var e = JSON.parse(m.data);
    var li = document.createElement('li');
    var parts = [e.time || '', e.kind || ''];
    if (e.kind === 'approval') { parts.push(e.event, e.approval, e.tool, e.agent); }
    else { parts.push(e.tool, e.agent, e.outcome, e.code || '', e.approval || ''); }
    if (e.dropped) { parts.push('(' + e.dropped + ' events dropped)'); }
    li.textContent = parts.join(' ');
    li.className = 'ev-' + (e.outcome || e.event || e.kind);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 200) { list.removeChild(list.lastChild); }
    if (e.kind === 'approval' || e.outcome === 'pending') { refreshPending(); }
  };
})();
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; vertical-align: top; text-align: left; font-size: .9rem; }
code, pre { font-size: .8rem; white-space: pre-wrap; word-break: break-all; }
.msg { background: #eef; padding: .5rem; } .err { background: #fee; padding: .5rem; }
#events { font-family: monospace; font-size: .8rem; max-height: 20rem; overflow: auto; }
.ev-denied, .ev-denied_approval { color: #a00; } .ev-pending, .ev-requested { color: #a60; }
.ev-allowed, .ev-granted, .ev-used { color: #070; }
form.inline { display: inline; }
"""


@dataclass(slots=True)
class Session:
    operator: str
    csrf: str
    expires: float


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _page(title: str, body: str, status: int = 200) -> web.Response:
    doc = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(title)}</title><link rel=stylesheet href=/console/app.css></head><body>{body}</body></html>"
    )
    return web.Response(text=doc, content_type="text/html", status=status, headers=HEADERS)


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={**HEADERS, "Location": location})


class Console:
    def __init__(self, rt: Runtime, auth: AdminAuth) -> None:
        self.rt = rt
        self.auth = auth
        self.lifetime = rt.settings.approvals.console_session_s
        self.key = hashlib.sha256(b"callgate console session\0" + (auth.token or secrets.token_bytes(32))).digest()

    # ------------------------------------------------------------ sessions

    def _sign(self, data: bytes) -> str:
        return _b64(hmac.new(self.key, data, hashlib.sha256).digest())

    def new_session(self, operator: str) -> str:
        payload = json.dumps({"op": operator, "exp": time.time() + self.lifetime, "n": secrets.token_hex(8)})
        body = _b64(payload.encode())
        return f"{body}.{self._sign(body.encode())}"

    def session(self, request: web.Request) -> Session | None:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        body, _, sig = cookie.partition(".")
        if not body or len(cookie) > 1024 or not hmac.compare_digest(sig.encode(), self._sign(body.encode()).encode()):
            return None
        try:
            doc = json.loads(_unb64(body))
            operator, expires = str(doc["op"]), float(doc["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires <= time.time() or not operator:
            return None
        return Session(operator, self._sign(b"csrf\0" + cookie.encode()), expires)

    def csrf_ok(self, request: web.Request, s: Session, form: Any) -> bool:
        origin = request.headers.get("Origin")
        if origin is not None and origin != "null" and origin.split("://", 1)[-1] != request.host:
            return False
        sent = form.get("csrf", "")
        return isinstance(sent, str) and hmac.compare_digest(sent.encode(), s.csrf.encode())

    @staticmethod
    def _secure(request: web.Request) -> bool:
        return request.scheme == "https"

    # ------------------------------------------------------------ pages

    async def login_form(self, request: web.Request, error: str = "") -> web.Response:
        token = secrets.token_urlsafe(24)
        err = f"<p class=err>{_e(error)}</p>" if error else ""
        body = (
            "<h1>callgate console</h1>" + err + "<form method=post action=/console/login>"
            f"<input type=hidden name=csrf value='{_e(token)}'>"
            "<p><label>Operator name <input name=operator id=operator required maxlength=64></label></p>"
            "<p><label>Admin token <input type=password name=token id=token required></label></p>"
            "<p><button type=submit id=login>Log in</button></p></form>"
        )
        resp = _page("callgate console: log in", body, 401 if error else 200)
        resp.set_cookie(
            LOGIN_COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            path="/console",
            max_age=600,
            secure=self._secure(request),
        )
        return resp

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        sent, cookie = form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")
        if not (isinstance(sent, str) and cookie and hmac.compare_digest(sent.encode(), cookie.encode())):
            return await self.login_form(request, "The form expired; try again.")
        token, operator = form.get("token", ""), form.get("operator", "")
        operator = operator.strip()[:64] if isinstance(operator, str) else ""
        if not isinstance(token, str) or not self.auth.token_ok(token) or not operator:
            return await self.login_form(request, "Wrong admin token, or no operator name.")
        sid = self.new_session(operator)
        resp = _redirect("/console")
        resp.set_cookie(
            SESSION_COOKIE,
            sid,
            httponly=True,
            samesite="Strict",
            path="/console",
            max_age=int(self.lifetime),
            secure=self._secure(request),
        )
        resp.del_cookie(LOGIN_COOKIE, path="/console")
        return resp

    async def logout(self, request: web.Request) -> web.StreamResponse:
        resp = _redirect("/console/login")
        resp.del_cookie(SESSION_COOKIE, path="/console")
        return resp

    async def pending_html(self, s: Session) -> str:
        items = await self.rt.approvals.store.query("pending", 100)
        if not items:
            return "<p id=no-pending>No approvals are waiting.</p>"
        rows = []
        for a in items:
            b, sm = a.binding, a.summary
            findings = "".join(
                f"<li>{_e(f.get('severity'))} {_e(f.get('detector'))}/{_e(f.get('kind'))} at {_e(f.get('path'))}</li>"
                for f in sm.get("findings", [])
            )
            reasons = "".join(
                f"<li><code>{_e(r.get('code'))}</code> {_e(r.get('message'))}</li>" for r in sm.get("reasons", [])
            )
            votes = ", ".join(_e(x.name) for x in a.approvers) or "none yet"
            csrf = f"<input type=hidden name=csrf value='{_e(s.csrf)}'>"
            rows.append(
                f"<tr class=approval data-id='{_e(a.id)}'>"
                f"<td><code>{_e(a.id)}</code><br>expires {_e(iso(a.expires_at))}</td>"
                f"<td><b>{_e(b.get('tool'))}</b><br><code>{_e(b.get('action'))}</code><br>"
                f"{_e(sm.get('effect'))}, risk {_e(sm.get('risk'))}</td>"
                f"<td>{_e(b.get('agent'))}<br>tenant {_e(b.get('tenant'))}<br>for {_e(b.get('on_behalf_of'))}</td>"
                f"<td>{_e(sm.get('intent'))}</td>"
                f"<td><pre>{_e(json.dumps(sm.get('args'), indent=1, sort_keys=True))}</pre></td>"
                f"<td><ul>{findings}</ul></td><td><ul>{reasons}</ul></td>"
                f"<td>{len(a.approvers)} of {a.required}: {votes}</td>"
                "<td>"
                f"<form class=inline method=post action='/console/approvals/{_e(a.id)}/approve'>{csrf}"
                "<input name=reason placeholder='reason (optional)' maxlength=500>"
                f"<button type=submit class=approve id='approve-{_e(a.id)}'>Approve</button></form><br>"
                f"<form class=inline method=post action='/console/approvals/{_e(a.id)}/deny'>{csrf}"
                "<input name=reason placeholder='reason (required)' required maxlength=500>"
                f"<button type=submit class=deny id='deny-{_e(a.id)}'>Deny</button></form>"
                "</td></tr>"
            )
        head = (
            "<tr><th>approval</th><th>tool</th><th>agent</th><th>intent</th><th>arguments (as recorded)</th>"
            "<th>findings</th><th>policy reasons</th><th>approvals</th><th>decide</th></tr>"
        )
        return f"<table>{head}{''.join(rows)}</table>"

    async def index(self, request: web.Request) -> web.StreamResponse:
        s = self.session(request)
        if s is None:
            return _redirect("/console/login")
        msg = request.query.get("msg", "")[:300]
        err = request.query.get("err", "")[:300]
        csrf = f"<input type=hidden name=csrf value='{_e(s.csrf)}'>"
        switches = await self.rt.killswitch.entries()
        ks_rows = "".join(
            f"<tr><td><code>{_e(e.scope)}</code></td><td>{_e(e.reason)}</td><td>{_e(e.operator)}</td>"
            f"<td>{_e(iso(e.since))}</td><td><form class=inline method=post action=/console/killswitch>{csrf}"
            f"<input type=hidden name=action value=release><input type=hidden name=scope value='{_e(e.scope)}'>"
            "<button type=submit>Release</button></form></td></tr>"
            for e in switches
        )
        ks = (
            f"<table><tr><th>scope</th><th>reason</th><th>by</th><th>since</th><th></th></tr>{ks_rows}</table>"
            if switches
            else "<p id=ks-none>No kill switch is engaged.</p>"
        )
        body = (
            f"<h1>callgate console</h1><p>Signed in as <b id=who>{_e(s.operator)}</b>. "
            f"<form class=inline method=post action=/console/logout>{csrf}"
            "<button type=submit>Log out</button></form></p>"
            + (f"<p class=msg id=msg>{_e(msg)}</p>" if msg else "")
            + (f"<p class=err id=err>{_e(err)}</p>" if err else "")
            + "<h2>Pending approvals</h2><div id=pending>"
            + await self.pending_html(s)
            + "</div><h2>Kill switches</h2>"
            + ks
            + f"<form method=post action=/console/killswitch>{csrf}<input type=hidden name=action value=engage>"
            "<input name=scope placeholder='global | tenant:x | agent:x | tool:x' required> "
            "<input name=reason placeholder=reason required maxlength=500> <button type=submit>Engage</button></form>"
            "<h2>Live decisions <small id=stream-state>connecting</small></h2><ul id=events></ul>"
            "<script src=/console/app.js></script>"
        )
        return _page("callgate console", body)

    async def pending(self, request: web.Request) -> web.Response:
        s = self.session(request)
        if s is None:
            return web.Response(status=401, text="log in", headers=HEADERS)
        return web.Response(text=await self.pending_html(s), content_type="text/html", headers=HEADERS)

    @staticmethod
    def _back(msg: str = "", err: str = "") -> web.Response:
        q = f"?msg={quote(msg)}" if msg else f"?err={quote(err)}"
        return _redirect("/console" + q)

    async def _posted(self, request: web.Request) -> tuple[Session, Any] | web.StreamResponse:
        """The signed-in operator and the posted form; or, for a post that is refused (not
        signed in, a missing or wrong CSRF token), the answer to send instead."""
        s = self.session(request)
        if s is None:
            return _redirect("/console/login")
        form = await request.post()
        if not self.csrf_ok(request, s, form):
            return _page("refused", "<p class=err>Refused: missing or wrong CSRF token.</p>", 403)
        return s, form

    async def decide(self, request: web.Request) -> web.StreamResponse:
        posted = await self._posted(request)
        if isinstance(posted, web.StreamResponse):
            return posted
        s, form = posted
        approve = request.match_info["verdict"] == "approve"
        reason = form.get("reason", "")
        reason = reason.strip()[:500] if isinstance(reason, str) else ""
        aid = request.match_info["id"]
        if not approve and not reason:
            return self._back(err="A denial needs a reason.")
        try:
            a = await self.rt.approvals.decide(aid, s.operator, approve, reason, f"console:{s.operator}")
        except GatewayError as e:
            return self._back(err=f"{e.code}: {e.message}")
        return self._back(msg=f"{aid} is {a.state} ({len(a.approvers)} of {a.required} approvals)")

    async def killswitch(self, request: web.Request) -> web.StreamResponse:
        from gateway.admin import refresh_killswitch_gauge

        posted = await self._posted(request)
        if isinstance(posted, web.StreamResponse):
            return posted
        s, form = posted
        action, scope, reason = (str(form.get(k, "")).strip() for k in ("action", "scope", "reason"))
        try:
            validate_scope(scope)
        except ValueError as e:
            return self._back(err=str(e))
        operator = f"console:{s.operator}"
        rec = {"kind": "admin", "id": uuid.uuid4().hex, "time": iso(time.time()), "operator": operator, "scope": scope}
        if action == "engage":
            if not reason:
                return self._back(err="Engaging a kill switch needs a reason.")
            entry = await self.rt.killswitch.engage(scope, reason[:500], operator)  # engage first, then record
            await refresh_killswitch_gauge(self.rt, scope)
            with contextlib.suppress(AuditUnavailable):
                await self.rt.log.append({**rec, "action": "killswitch.engage", "reason": entry.reason})
            return self._back(msg=f"kill switch {scope} engaged")
        if action == "release":
            try:  # release only once it is on record
                await self.rt.log.append({**rec, "action": "killswitch.release"})
            except AuditUnavailable:
                return self._back(err="The decision log cannot be written; the switch stays engaged.")
            await self.rt.killswitch.release(scope)
            await refresh_killswitch_gauge(self.rt)
            return self._back(msg=f"kill switch {scope} released")
        return self._back(err="unknown action")

    async def events(self, request: web.Request) -> web.StreamResponse:
        if self.session(request) is None:
            return web.Response(status=401, text="log in", headers=HEADERS)
        sub = self.rt.stream.subscribe()
        if sub is None:
            return web.Response(status=503, text="too many live streams", headers=HEADERS)
        resp = web.StreamResponse(headers={**HEADERS, "Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
        try:
            await resp.prepare(request)
            await resp.write(b"retry: 2000\n\n")
            deadline = time.monotonic() + SSE_MAX_S
            while time.monotonic() < deadline:
                try:
                    async with asyncio.timeout(SSE_PING_S):
                        event = await sub.queue.get()
                except TimeoutError:
                    await resp.write(b": ping\n\n")
                    continue
                if not event:  # close_all: the server is shutting down
                    break
                await resp.write(b"data: " + json.dumps(event).encode() + b"\n\n")
        except ConnectionResetError:
            pass
        finally:
            self.rt.stream.unsubscribe(sub)
        return resp

    async def script(self, request: web.Request) -> web.Response:
        return web.Response(text=SCRIPT, content_type="application/javascript", headers=HEADERS)

    async def style(self, request: web.Request) -> web.Response:
        return web.Response(text=STYLE, content_type="text/css", headers=HEADERS)


def add_console_routes(app: web.Application, rt: Runtime, auth: AdminAuth) -> None:
    c = Console(rt, auth)

    async def end_streams(app: web.Application) -> None:
        rt.stream.close_all()  # open event streams must not hold the shutdown

    app.on_shutdown.append(end_streams)
    app.router.add_get("/console", c.index)
    app.router.add_get("/console/login", c.login_form)
    app.router.add_post("/console/login", c.login)
    app.router.add_post("/console/logout", c.logout)
    app.router.add_get("/console/pending", c.pending)
    app.router.add_get("/console/events", c.events)
    app.router.add_get("/console/app.js", c.script)
    app.router.add_get("/console/app.css", c.style)
    app.router.add_post("/console/approvals/{id}/{verdict:approve|deny}", c.decide)
    app.router.add_post("/console/killswitch", c.killswitch)
