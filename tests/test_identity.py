"""Tests for gateway.identity: real keys, a real JWKS server, no mocks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gateway.config import IdentityConfig, Settings
from gateway.errors import ConfigError, Unauthenticated, Unavailable
from gateway.identity import Verifier, extract_bearer, mint_dev_token

ISS = "https://issuer.test"
AUD = "callgate"
SECRET = "s" * 40
SECRET_ENV = "CALLGATE_TEST_HMAC"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


# --------------------------------------------------------------------------- factories


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_key2() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_pem(tmp_path: Path, key: PrivateKey, name: str = "key.pem") -> Path:
    path = tmp_path / name
    path.write_bytes(public_pem(key))
    return path


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    c: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "sub": "agent-1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "scope": "read write",
        "tenant": "acme",
    }
    for k, v in overrides.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def token(key: Any, alg: str, payload: dict[str, Any] | None = None, kid: str | None = None) -> str:
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(claims() if payload is None else payload, key, algorithm=alg, headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_hs256(secret: bytes, payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """An HS256 token built by hand, so any bytes (even a PEM) can be the secret."""
    head = b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def identity(keys: list[dict[str, Any]], **fields: Any) -> IdentityConfig:
    return IdentityConfig.model_validate({"issuers": [ISS], "audience": AUD, "keys": keys, **fields})


def hmac_key(**fields: Any) -> dict[str, Any]:
    return {"kind": "hmac", "secret": {"env": SECRET_ENV}, **fields}


@pytest.fixture(autouse=True)
def _secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


MakeVerifier = Callable[[IdentityConfig], Awaitable[Verifier]]


@pytest.fixture
async def make_verifier(session: aiohttp.ClientSession) -> AsyncIterator[MakeVerifier]:
    started: list[Verifier] = []

    async def make(cfg: IdentityConfig) -> Verifier:
        v = Verifier(cfg)
        await v.start(session)
        started.append(v)
        return v

    yield make
    for v in started:
        await v.close()


async def rejected(v: Verifier, tok: str) -> str:
    with pytest.raises(Unauthenticated) as e:
        await v.verify(tok)
    assert e.value.status == 401
    return e.value.code


# --------------------------------------------------------------------------- JWKS server


def jwk(key: PrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        data = jwt.algorithms.RSAAlgorithm.to_jwk(pub, as_dict=True)
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        data = jwt.algorithms.ECAlgorithm.to_jwk(pub, as_dict=True)
    else:
        data = jwt.algorithms.OKPAlgorithm.to_jwk(pub, as_dict=True)
    return {**data, "kid": kid, **extra}


@dataclass
class Jwks:
    server: TestServer
    keys: list[Any] = field(default_factory=list)
    fetches: int = 0
    up: bool = True
    delay_s: float = 0.0

    @property
    def url(self) -> str:
        return str(self.server.make_url("/jwks.json"))


@pytest.fixture
async def jwks(aiohttp_server: Callable[[web.Application], Awaitable[TestServer]]) -> Jwks:
    state: Jwks

    async def handler(request: web.Request) -> web.Response:
        state.fetches += 1
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        if not state.up:
            return web.Response(status=503, text="down")
        return web.json_response({"keys": state.keys})

    app = web.Application()
    app.router.add_get("/jwks.json", handler)
    state = Jwks(await aiohttp_server(app))
    return state


def jwks_key(j: Jwks, **fields: Any) -> dict[str, Any]:
    return {"kind": "jwks", "url": j.url, **fields}


# --------------------------------------------------------------------------- extract_bearer


@pytest.mark.parametrize("value", ["Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER   abc.def.ghi  "])
def test_extract_bearer_accepts(value: str) -> None:
    assert extract_bearer(value) == "abc.def.ghi"


@pytest.mark.parametrize(("value", "code"), [(None, "auth.missing"), ("", "auth.missing"), ("  ", "auth.missing")])
def test_extract_bearer_missing(value: str | None, code: str) -> None:
    with pytest.raises(Unauthenticated) as e:
        extract_bearer(value)
    assert e.value.code == code


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "abc.def.ghi", "Bearer a b", "Token x"])
def test_extract_bearer_malformed(value: str) -> None:
    with pytest.raises(Unauthenticated) as e:
        extract_bearer(value)
    assert e.value.code == "auth.malformed"


# --------------------------------------------------------------------------- valid tokens


async def test_hs256_valid(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    agent = await v.verify(token(SECRET, "HS256"))
    assert agent.id == "agent-1"
    assert agent.tenant == "acme"
    assert agent.scopes == ("read", "write")
    assert agent.on_behalf_of is None
    assert agent.claims["iss"] == ISS


@pytest.mark.parametrize(
    ("key_name", "alg"), [("rsa_key", "RS256"), ("rsa_key", "PS256"), ("ec_key", "ES256"), ("ed_key", "EdDSA")]
)
async def test_asymmetric_pem_valid(
    key_name: str, alg: str, request: pytest.FixtureRequest, tmp_path: Path, make_verifier: MakeVerifier
) -> None:
    key = request.getfixturevalue(key_name)
    v = await make_verifier(
        identity([{"kind": "pem", "id": "k1", "path": str(write_pem(tmp_path, key)), "algorithms": [alg]}])
    )
    assert (await v.verify(token(key, alg, kid="k1"))).id == "agent-1"
    assert (await v.verify(token(key, alg))).id == "agent-1"  # without kid: chosen by alg


@pytest.mark.parametrize(("key_name", "alg"), [("rsa_key", "RS256"), ("ec_key", "ES256"), ("ed_key", "EdDSA")])
async def test_asymmetric_jwks_valid(
    key_name: str, alg: str, request: pytest.FixtureRequest, jwks: Jwks, make_verifier: MakeVerifier
) -> None:
    key = request.getfixturevalue(key_name)
    jwks.keys = [jwk(key, "j1")]
    v = await make_verifier(identity([jwks_key(jwks)]))
    assert (await v.verify(token(key, alg, kid="j1"))).id == "agent-1"
    assert jwks.fetches == 1


# --------------------------------------------------------------------------- algorithms


async def test_alg_none_rejected(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key(id="k1")]))
    body = b64(json.dumps(claims()).encode())
    for header in ({"alg": "none"}, {"alg": "none", "kid": "k1"}, {"alg": "None"}, {"alg": "NONE", "kid": "k1"}):
        assert await rejected(v, f"{b64(json.dumps(header).encode())}.{body}.") == "auth.algorithm"
    # ...and with the signature of a valid token appended
    sig = token(SECRET, "HS256", kid="k1").split(".")[2]
    none_header = b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
    assert await rejected(v, f"{none_header}.{body}.{sig}") == "auth.algorithm"


async def test_hs_rs_confusion_rejected(
    rsa_key: rsa.RSAPrivateKey, tmp_path: Path, make_verifier: MakeVerifier
) -> None:
    pem_path = write_pem(tmp_path, rsa_key)
    forged = raw_hs256(public_pem(rsa_key), claims())
    forged_kid = raw_hs256(public_pem(rsa_key), claims(), {"alg": "HS256", "typ": "JWT", "kid": "rsa"})
    pem = {"kind": "pem", "id": "rsa", "path": str(pem_path), "algorithms": ["RS256"]}

    only_pem = await make_verifier(identity([pem]))
    assert await rejected(only_pem, forged) == "auth.algorithm"
    assert await rejected(only_pem, forged_kid) == "auth.algorithm"

    both = await make_verifier(identity([hmac_key(), pem]))
    assert await rejected(both, forged) == "auth.invalid"  # tried with the HMAC secret only
    assert await rejected(both, forged_kid) == "auth.algorithm"  # the key named does not take HS256
    assert (await both.verify(token(rsa_key, "RS256", kid="rsa"))).id == "agent-1"


async def test_alg_outside_the_keys_list_rejected(
    rsa_key: rsa.RSAPrivateKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_verifier: MakeVerifier
) -> None:
    long_secret = "L" * 64  # HS512 needs 64 bytes
    monkeypatch.setenv(SECRET_ENV, long_secret)
    pem = {"kind": "pem", "id": "rsa", "path": str(write_pem(tmp_path, rsa_key)), "algorithms": ["RS256"]}
    v = await make_verifier(identity([pem, hmac_key(algorithms=["HS512"])]))
    assert await rejected(v, token(rsa_key, "PS256", kid="rsa")) == "auth.algorithm"
    assert await rejected(v, token(long_secret, "HS256")) == "auth.algorithm"
    assert (await v.verify(token(long_secret, "HS512"))).id == "agent-1"


async def test_jwks_never_supplies_hmac_keys(
    jwks: Jwks, rsa_key: rsa.RSAPrivateKey, make_verifier: MakeVerifier
) -> None:
    oct_secret = b"o" * 40
    jwks.keys = [jwk(rsa_key, "r1"), {"kty": "oct", "kid": "sym", "k": b64(oct_secret)}]
    v = await make_verifier(identity([hmac_key(), jwks_key(jwks, min_refresh_interval_s=0)]))
    forged = jwt.encode(claims(), oct_secret, algorithm="HS256", headers={"kid": "sym"})
    assert await rejected(v, forged) == "auth.unknown_key"


async def test_jwk_alg_restricts_the_key(jwks: Jwks, rsa_key: rsa.RSAPrivateKey, make_verifier: MakeVerifier) -> None:
    jwks.keys = [jwk(rsa_key, "r1", alg="RS256")]
    v = await make_verifier(identity([jwks_key(jwks, algorithms=["RS256", "PS256"])]))
    assert (await v.verify(token(rsa_key, "RS256", kid="r1"))).id == "agent-1"
    assert await rejected(v, token(rsa_key, "PS256", kid="r1")) == "auth.algorithm"


# --------------------------------------------------------------------------- signatures and form


async def test_tampered_signature(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    head, body, sig = token(SECRET, "HS256").split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[0] ^= 1
    assert await rejected(v, f"{head}.{body}.{b64(bytes(raw))}") == "auth.invalid"
    assert await rejected(v, token("t" * 40, "HS256")) == "auth.invalid"


async def test_tampered_payload(rsa_key: rsa.RSAPrivateKey, tmp_path: Path, make_verifier: MakeVerifier) -> None:
    pem = {"kind": "pem", "path": str(write_pem(tmp_path, rsa_key)), "algorithms": ["RS256"]}
    v = await make_verifier(identity([pem]))
    head, _, sig = token(rsa_key, "RS256").split(".")
    forged_body = b64(json.dumps(claims(sub="admin-agent")).encode())
    assert await rejected(v, f"{head}.{forged_body}.{sig}") == "auth.invalid"


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("abc", "auth.malformed"),
        ("a.b", "auth.malformed"),
        ("!!!.e30.sig", "auth.malformed"),
        ("bm90IGpzb24.e30.c2ln", "auth.malformed"),  # header is not JSON
        ("e30.e30.", "auth.algorithm"),  # header has no alg
    ],
)
async def test_malformed(bad: str, code: str, make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    assert await rejected(v, bad) == code


async def test_signed_garbage_payload_is_malformed(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    head = b64(b'{"alg":"HS256"}')
    body = b64(b"[1, 2]")
    sig = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert await rejected(v, f"{head}.{body}.{b64(sig)}") == "auth.malformed"


async def test_non_string_kid_is_malformed(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    tok = raw_hs256(SECRET.encode(), claims(), {"alg": "HS256", "kid": 7})
    assert await rejected(v, tok) == "auth.malformed"


async def test_unknown_kid(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key(id="k1")]))
    assert await rejected(v, token(SECRET, "HS256", kid="k2")) == "auth.unknown_key"
    assert (await v.verify(token(SECRET, "HS256", kid="k1"))).id == "agent-1"


# --------------------------------------------------------------------------- time, audience, issuer


async def test_expired(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()], leeway_s=0))
    now = int(time.time())
    assert (
        await rejected(v, token(SECRET, "HS256", claims(iat=now - 100, nbf=now - 100, exp=now - 1))) == "auth.expired"
    )


async def test_not_yet_valid(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()], leeway_s=5))
    now = int(time.time())
    assert await rejected(v, token(SECRET, "HS256", claims(nbf=now + 60))) == "auth.not_yet_valid"
    assert await rejected(v, token(SECRET, "HS256", claims(iat=now + 60, nbf=None))) == "auth.not_yet_valid"


async def test_leeway_honoured(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()], leeway_s=30))
    now = int(time.time())
    late = claims(iat=now - 100, nbf=now - 100, exp=now - 10)
    early = claims(iat=now + 10, nbf=now + 10, exp=now + 600)
    assert (await v.verify(token(SECRET, "HS256", late))).id == "agent-1"
    assert (await v.verify(token(SECRET, "HS256", early))).id == "agent-1"
    assert await rejected(v, token(SECRET, "HS256", claims(iat=now - 100, exp=now - 40))) == "auth.expired"
    assert await rejected(v, token(SECRET, "HS256", claims(nbf=now + 40))) == "auth.not_yet_valid"


@pytest.mark.parametrize("bad", [None, "soon", True, float("nan"), float("inf")])
async def test_exp_required_and_finite(bad: Any, make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()], max_token_lifetime_s=None))
    payload = claims()
    if bad is None:
        del payload["exp"]
    else:
        payload["exp"] = bad
    assert await rejected(v, token(SECRET, "HS256", payload)) == "auth.claims"


async def test_audience(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    assert await rejected(v, token(SECRET, "HS256", claims(aud="other"))) == "auth.audience"
    assert await rejected(v, token(SECRET, "HS256", claims(aud=None))) == "auth.audience"
    assert (await v.verify(token(SECRET, "HS256", claims(aud=["other", AUD])))).id == "agent-1"


async def test_issuer(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(
        IdentityConfig.model_validate({"issuers": [ISS, "https://second.test"], "audience": AUD, "keys": [hmac_key()]})
    )
    assert await rejected(v, token(SECRET, "HS256", claims(iss="https://evil.test"))) == "auth.issuer"
    assert await rejected(v, token(SECRET, "HS256", claims(iss=None))) == "auth.issuer"
    assert (await v.verify(token(SECRET, "HS256", claims(iss="https://second.test")))).id == "agent-1"


async def test_lifetime_cap(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()], max_token_lifetime_s=3600))
    now = int(time.time())
    assert await rejected(v, token(SECRET, "HS256", claims(iat=now, exp=now + 3601))) == "auth.claims"
    assert await rejected(v, token(SECRET, "HS256", claims(iat=None, exp=now + 7200))) == "auth.claims"
    assert (await v.verify(token(SECRET, "HS256", claims(iat=now, exp=now + 3600)))).id == "agent-1"
    assert (await v.verify(token(SECRET, "HS256", claims(iat=None, exp=now + 1800)))).id == "agent-1"


# --------------------------------------------------------------------------- claims mapping


async def test_custom_claim_names(make_verifier: MakeVerifier) -> None:
    names = {"agent": "client_id", "tenant": "https://example.com/org", "scopes": "scp", "on_behalf_of": "act.sub"}
    v = await make_verifier(identity([hmac_key()], claims=names))
    payload = claims(
        sub="someone-else",
        client_id="bot-7",
        scp=["tickets:read", "tickets:write", "tickets:read"],
        act={"sub": "alice@example.com"},
        **{"https://example.com/org": "globex"},
    )
    agent = await v.verify(token(SECRET, "HS256", payload))
    assert agent.id == "bot-7"
    assert agent.tenant == "globex"
    assert agent.scopes == ("tickets:read", "tickets:write")
    assert agent.on_behalf_of == "alice@example.com"


async def test_scopes_string_or_list_and_optional_claims(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    as_list = await v.verify(token(SECRET, "HS256", claims(scope=["a", "b"], tenant=None)))
    assert as_list.scopes == ("a", "b")
    assert as_list.tenant is None
    assert (await v.verify(token(SECRET, "HS256", claims(scope="  a   b ")))).scopes == ("a", "b")
    assert (await v.verify(token(SECRET, "HS256", claims(scope=None)))).scopes == ()


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": None},
        {"sub": ""},
        {"sub": 42},
        {"scope": 5},
        {"scope": ["a", 1]},
        {"tenant": ["acme"]},
        {"act": {"sub": 3}},
    ],
)
async def test_bad_claims(overrides: dict[str, Any], make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()]))
    assert await rejected(v, token(SECRET, "HS256", claims(**overrides))) == "auth.claims"


# --------------------------------------------------------------------------- token cache


async def test_cache_hit_still_rejects_once_expired(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()], leeway_s=0))
    now = time.time()
    tok = token(SECRET, "HS256", claims(iat=int(now), nbf=int(now), exp=now + 0.3))
    assert (await v.verify(tok)).id == "agent-1"
    assert (await v.verify(tok)).id == "agent-1"
    assert (v.cache_hits, v.cache_misses) == (1, 1)
    await asyncio.sleep(0.4)
    assert await rejected(v, tok) == "auth.expired"
    assert v.cache_hits == 1
    assert await rejected(v, tok) == "auth.expired"  # evicted: checked in full again
    assert v.cache_misses == 2


async def test_cache_is_lru_and_can_be_disabled(make_verifier: MakeVerifier) -> None:
    v = await make_verifier(identity([hmac_key()], token_cache_size=2))
    a, b, c = (token(SECRET, "HS256", claims(sub=f"agent-{i}")) for i in range(3))
    for t in (a, b, a, c, a, b):
        await v.verify(t)
    # a, b miss; a hit; c miss evicts b; a hit; b miss
    assert (v.cache_hits, v.cache_misses) == (2, 4)

    off = await make_verifier(identity([hmac_key()], token_cache_size=0))
    for _ in range(3):
        assert (await off.verify(a)).id == "agent-0"
    assert (off.cache_hits, off.cache_misses) == (0, 3)


# --------------------------------------------------------------------------- JWKS behaviour


async def test_jwks_rotation_picks_up_new_kid(
    jwks: Jwks, rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey, make_verifier: MakeVerifier
) -> None:
    jwks.keys = [jwk(rsa_key, "k1")]
    v = await make_verifier(identity([jwks_key(jwks, min_refresh_interval_s=0)]))
    gen = v.key_generation
    old = token(rsa_key, "RS256", kid="k1")
    assert (await v.verify(old)).id == "agent-1"
    assert jwks.fetches == 1

    jwks.keys = [jwk(rsa_key, "k1"), jwk(rsa_key2, "k2")]
    assert (await v.verify(token(rsa_key2, "RS256", kid="k2"))).id == "agent-1"
    assert jwks.fetches == 2
    assert v.key_generation == gen + 1

    # k1 withdrawn: a cached k1 token stops working once the set changes
    assert (await v.verify(old)).id == "agent-1"
    jwks.keys = [jwk(rsa_key2, "k2"), jwk(rsa_key, "k3")]
    assert (await v.verify(token(rsa_key, "RS256", kid="k3"))).id == "agent-1"
    assert v.key_generation == gen + 2
    assert await rejected(v, old) == "auth.unknown_key"


async def test_jwks_refresh_is_rate_limited_and_single_flight(
    jwks: Jwks, rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey, make_verifier: MakeVerifier
) -> None:
    jwks.keys = [jwk(rsa_key, "k1")]
    jwks.delay_s = 0.05
    v = await make_verifier(identity([jwks_key(jwks, min_refresh_interval_s=0.5)]))
    assert jwks.fetches == 1
    jwks.keys = [jwk(rsa_key, "k1"), jwk(rsa_key2, "k2")]
    unknown = [token(rsa_key2, "RS256", kid=f"nope-{i}") for i in range(30)]

    # within the interval after start: no fetch at all
    codes = await asyncio.gather(*(rejected(v, t) for t in unknown))
    assert set(codes) == {"auth.unknown_key"}
    assert jwks.fetches == 1

    await asyncio.sleep(0.55)
    # interval over: 30 concurrent unknown kids cause one fetch, which brings k2
    codes = await asyncio.gather(*(rejected(v, t) for t in unknown))
    assert set(codes) == {"auth.unknown_key"}
    assert jwks.fetches == 2
    assert (await v.verify(token(rsa_key2, "RS256", kid="k2"))).id == "agent-1"
    assert jwks.fetches == 2


async def test_jwks_single_flight_without_interval(
    jwks: Jwks, rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey, make_verifier: MakeVerifier
) -> None:
    jwks.keys = [jwk(rsa_key, "k1")]
    jwks.delay_s = 0.05
    v = await make_verifier(identity([jwks_key(jwks, min_refresh_interval_s=0)]))
    jwks.keys = [jwk(rsa_key, "k1"), jwk(rsa_key2, "k2")]
    k2 = [token(rsa_key2, "RS256", claims(sub=f"agent-{i}"), kid="k2") for i in range(20)]
    agents = await asyncio.gather(*(v.verify(t) for t in k2))
    assert [a.id for a in agents] == [f"agent-{i}" for i in range(20)]
    assert jwks.fetches == 2


async def test_jwks_down_at_start_then_up(
    jwks: Jwks, rsa_key: rsa.RSAPrivateKey, make_verifier: MakeVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    jwks.keys = [jwk(rsa_key, "k1")]
    jwks.up = False
    v = await make_verifier(identity([jwks_key(jwks, min_refresh_interval_s=0)]))
    assert jwks.fetches == 1
    assert "fetch failed" in caplog.text
    tok = token(rsa_key, "RS256", kid="k1")
    with pytest.raises(Unavailable) as e:
        await v.verify(tok)
    assert (e.value.code, e.value.status) == ("identity.unavailable", 503)
    with pytest.raises(Unavailable):
        await v.verify(token(rsa_key, "RS256"))  # no kid: still cannot be checked
    jwks.up = True
    assert (await v.verify(tok)).id == "agent-1"


async def test_jwks_unreachable_at_start_with_static_keys(
    rsa_key: rsa.RSAPrivateKey, unused_tcp_port: int, make_verifier: MakeVerifier
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/jwks.json"
    v = await make_verifier(identity([hmac_key(), {"kind": "jwks", "url": url, "timeout_s": 1}]))
    assert (await v.verify(token(SECRET, "HS256"))).id == "agent-1"  # the HMAC key is unaffected
    with pytest.raises(Unavailable):
        await v.verify(token(rsa_key, "RS256", kid="k1"))


async def test_stale_jwks_refetched_and_kept_on_failure(
    jwks: Jwks, rsa_key: rsa.RSAPrivateKey, make_verifier: MakeVerifier
) -> None:
    jwks.keys = [jwk(rsa_key, "k1")]
    v = await make_verifier(identity([jwks_key(jwks, cache_ttl_s=0.1, min_refresh_interval_s=0)]))
    tok = token(rsa_key, "RS256", kid="k1")
    assert (await v.verify(tok)).id == "agent-1"
    assert jwks.fetches == 1
    jwks.up = False
    await asyncio.sleep(0.15)
    # fresh token (cache miss): the stale set is fetched again, fails, the old set is kept
    assert (await v.verify(token(rsa_key, "RS256", claims(sub="agent-2"), kid="k1"))).id == "agent-2"
    assert jwks.fetches == 2


async def test_jwks_skips_unusable_keys(
    jwks: Jwks, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey, make_verifier: MakeVerifier
) -> None:
    jwks.keys = [
        jwk(rsa_key, "enc", use="enc"),
        {"kty": "RSA", "kid": "junk", "n": "AQAB"},
        "not-a-key",
        jwk(ec_key, "ec1"),
    ]
    v = await make_verifier(identity([jwks_key(jwks, algorithms=["RS256", "ES256"], min_refresh_interval_s=60)]))
    assert (await v.verify(token(ec_key, "ES256", kid="ec1"))).id == "agent-1"
    assert await rejected(v, token(rsa_key, "RS256", kid="enc")) == "auth.unknown_key"


# --------------------------------------------------------------------------- configuration


async def test_missing_hmac_secret_is_config_error(
    monkeypatch: pytest.MonkeyPatch, session: aiohttp.ClientSession
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(ConfigError) as e:
        await Verifier(identity([hmac_key()])).start(session)
    assert e.value.errors[0][0] == "identity.keys.0.secret"
    assert SECRET_ENV in e.value.errors[0][1]


async def test_short_or_pem_hmac_secret_is_config_error(
    monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey, session: aiohttp.ClientSession
) -> None:
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(ConfigError) as e:
        await Verifier(identity([hmac_key()])).start(session)
    assert e.value.errors[0][0] == "identity.keys.0.secret"
    monkeypatch.setenv(SECRET_ENV, public_pem(rsa_key).decode())
    with pytest.raises(ConfigError):
        await Verifier(identity([hmac_key()])).start(session)


async def test_unreadable_or_wrong_pem_is_config_error(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, session: aiohttp.ClientSession
) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    private = tmp_path / "private.pem"
    private.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cfg = identity(
        [
            {"kind": "pem", "path": str(tmp_path / "missing.pem"), "algorithms": ["RS256"]},
            {"kind": "pem", "path": str(garbage), "algorithms": ["RS256"]},
            {"kind": "pem", "path": str(private), "algorithms": ["RS256"]},
            {"kind": "pem", "path": str(write_pem(tmp_path, rsa_key)), "algorithms": ["ES256"]},
        ]
    )
    with pytest.raises(ConfigError) as e:
        await Verifier(cfg).start(session)
    locs = [loc for loc, _ in e.value.errors]
    assert locs == [
        "identity.keys.0.path",
        "identity.keys.1.path",
        "identity.keys.2.path",
        "identity.keys.3.algorithms",
    ]


async def test_verify_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        await Verifier(identity([hmac_key()])).verify(token(SECRET, "HS256"))


# --------------------------------------------------------------------------- dev tokens


def settings(keys: list[dict[str, Any]], **ident: Any) -> Settings:
    return Settings.model_validate({"identity": {"issuers": [ISS], "audience": AUD, "keys": keys, **ident}})


async def test_mint_dev_token_round_trip(monkeypatch: pytest.MonkeyPatch, make_verifier: MakeVerifier) -> None:
    monkeypatch.setenv(SECRET_ENV, "m" * 48)  # HS384 needs 48 bytes
    s = settings(
        [hmac_key(id="dev", dev=True, algorithms=["HS384"])],
        claims={"agent": "client_id", "on_behalf_of": "act.sub", "scopes": "scp"},
    )
    tok = mint_dev_token(
        s, agent="bot", tenant="acme", scopes=["a", "b"], on_behalf_of="alice", extra_claims={"run": "r1"}
    )
    v = await make_verifier(s.identity)
    agent = await v.verify(tok)
    assert jwt.get_unverified_header(tok)["alg"] == "HS384"
    assert jwt.get_unverified_header(tok)["kid"] == "dev"
    assert (agent.id, agent.tenant, agent.scopes, agent.on_behalf_of) == ("bot", "acme", ("a", "b"), "alice")
    assert agent.claims["act"] == {"sub": "alice"}
    assert agent.claims["run"] == "r1"
    assert uuid.UUID(hex=agent.claims["jti"])
    assert agent.claims["exp"] - agent.claims["iat"] == 3600


async def test_mint_dev_token_defaults_verify(make_verifier: MakeVerifier) -> None:
    s = settings([hmac_key(dev=True)])
    v = await make_verifier(s.identity)
    agent = await v.verify(mint_dev_token(s, agent="bot", tenant=None, scopes=[], ttl_s=60))
    assert (agent.id, agent.tenant, agent.scopes, agent.on_behalf_of) == ("bot", None, (), None)


def test_mint_dev_token_needs_a_dev_key(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    pem = {"kind": "pem", "path": str(write_pem(tmp_path, rsa_key)), "algorithms": ["RS256"]}
    for keys in ([hmac_key()], [pem]):
        with pytest.raises(ValueError, match="no dev signing key"):
            mint_dev_token(settings(keys), agent="bot", tenant=None, scopes=[])


def test_mint_dev_token_respects_lifetime_cap() -> None:
    s = settings([hmac_key(dev=True)], max_token_lifetime_s=600)
    with pytest.raises(ValueError, match="max_token_lifetime_s"):
        mint_dev_token(s, agent="bot", tenant=None, scopes=[], ttl_s=601)
