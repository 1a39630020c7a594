"""Agent identity: verify the agent's bearer JWT and turn it into an ``Agent``.

Keys are compiled once, by ``Verifier.start()``, into ``_Key`` objects. Each holds
ready-to-use key material and the set of algorithms *that key* may verify:

* ``HmacKey``: the secret's bytes and its HS* algorithms. The secret must be at least
  as long as the hash (RFC 7518 section 3.2) and must not look like a public key;
* ``PemKey``: the public key (or certificate) read from the file and its asymmetric
  algorithms, all of which must fit the key type (RSA: RS*/PS*, P-256: ES256, ...);
* ``JwksKey``: a ``_JwksSource`` that fetches a JWK set with the gateway's client
  session. Every JWK becomes a ``_Key`` whose algorithms are those its type allows, cut
  down to the source's list and to the JWK's own ``alg``. Symmetric (``oct``), private,
  encryption (``use`` other than ``sig``) and short RSA keys are skipped: a URL never
  provides an HMAC secret.

One ``verify(token)``:

1. The token cache (LRU keyed by the token string, cleared whenever the key set
   changes): on a hit only ``exp``/``nbf``/``iat`` are checked again, against now.
2. The header's ``alg`` must be in the union of all keys' algorithms, so ``none`` never
   passes. Key parameters in the header (``jku``, ``x5u``, ``jwk``) are never used.
3. Candidate keys: with a ``kid``, the keys with that id (when none has it, JWKS
   sources are fetched again, then looked up once more); without one, every key whose
   algorithms include ``alg``. A key is used only when ``alg`` is in its own list and
   ``jwt.decode`` gets ``algorithms=[alg]``: an HS256 token is never checked with an
   RSA key's bytes as an HMAC secret.
4. ``jwt.decode`` checks the signature, ``iss`` (allow-list) and ``aud``. The times are
   checked here, with ``time.time()`` and the configured leeway: ``exp`` is required,
   all must be finite numbers, and ``exp - iat`` (``exp - now`` without ``iat``) is
   capped by ``max_token_lifetime_s``.
5. The claims named in ``cfg.claims`` (a dotted name reaches into nested objects
   unless the payload has that literal key) become the ``Agent``.

JWKS sources are cached ``cache_ttl_s``; a stale set is fetched again when a call
needs it, and a failed fetch keeps the old set. Fetches of one source are rate limited
(one attempt per ``min_refresh_interval_s``) and single-flight (callers arriving
while a fetch is in flight wait for it instead of starting another). A failure at
start is logged, not fatal. ``Unavailable`` (503) is raised only when the token could
not be checked because a source that might hold its key has never been fetched.

Every rejection is ``Unauthenticated`` with a stable code: ``auth.missing``,
``auth.malformed``, ``auth.algorithm``, ``auth.unknown_key``, ``auth.invalid``,
``auth.expired``, ``auth.not_yet_valid``, ``auth.audience``, ``auth.issuer``,
``auth.claims``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

from gateway import jsondoc
from gateway.body import TooLarge, read_capped
from gateway.config import HmacKey, IdentityConfig, JwksKey, PemKey, Settings
from gateway.errors import ConfigError, Unauthenticated, Unavailable
from gateway.model import Agent

__all__ = ["Verifier", "extract_bearer", "mint_dev_token"]

log = logging.getLogger("callgate.identity")

_RSA_ALGS: Final = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_EC_ALGS: Final = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_MIN_RSA_BITS: Final = 2048
_MAX_JWKS_BYTES: Final = 1 << 20

# Signature, iss and aud are pyjwt's; the times are checked in _times() with time.time().
_JWT: Final = jwt.PyJWT(
    options={
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": True,
        "verify_iss": True,
        "enforce_minimum_key_length": True,
    }
)


def _fail(code: str, message: str) -> Unauthenticated:
    return Unauthenticated(message, code=code)


def extract_bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value."""
    if authorization is None or not authorization.strip():
        raise _fail("auth.missing", "an Authorization: Bearer <token> header is required")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _fail("auth.malformed", "the Authorization header must be 'Bearer <token>'")
    return token


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True, slots=True)
class _Key:
    kid: str | None
    algorithms: frozenset[str]
    material: Any  # bytes for HMAC, a cryptography public key otherwise
    origin: str  # for logs: "identity.keys.0" or the JWKS URL


def _asymmetric_algorithms(key: object) -> frozenset[str]:
    """The algorithms a public key can verify (empty for anything else)."""
    if isinstance(key, rsa.RSAPublicKey):
        return _RSA_ALGS
    if isinstance(key, ec.EllipticCurvePublicKey):
        alg = _EC_ALGS.get(key.curve.name)
        return frozenset({alg}) if alg else frozenset()
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return frozenset({"EdDSA"})
    return frozenset()


def _hmac_secret(key: HmacKey) -> bytes:
    """Resolve an HMAC secret; ``ValueError`` when absent, too short or key-like."""
    secret = key.secret.resolve().get_secret_value().encode("utf-8")
    for alg in key.algorithms:
        algorithm = jwt.get_algorithm_by_name(alg)
        try:
            prepared = algorithm.prepare_key(secret)
        except jwt.InvalidKeyError as e:
            raise ValueError(str(e)) from None
        problem = algorithm.check_key_length(prepared)
        if problem:
            raise ValueError(problem)
    return secret


def _pem_key(cfg: PemKey, loc: str) -> _Key:
    try:
        data = cfg.path.read_bytes()
    except OSError as e:
        raise ConfigError([(f"{loc}.path", f"cannot read {cfg.path}: {e.strerror}")]) from None
    public: object
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        try:
            public = x509.load_pem_x509_certificate(data).public_key()
        except ValueError:
            msg = f"{cfg.path} is not a PEM public key or certificate (a private key does not belong here)"
            raise ConfigError([(f"{loc}.path", msg)]) from None
    fits = _asymmetric_algorithms(public)
    if not fits:
        raise ConfigError([(f"{loc}.path", f"{cfg.path}: unsupported key type {type(public).__name__}")])
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < _MIN_RSA_BITS:
        raise ConfigError([(f"{loc}.path", f"{cfg.path}: RSA key of {public.key_size} bits, at least 2048 needed")])
    wrong = [a for a in cfg.algorithms if a not in fits]
    if wrong:
        msg = f"{', '.join(wrong)} cannot be used with this key; it fits {', '.join(sorted(fits))}"
        raise ConfigError([(f"{loc}.algorithms", msg)])
    return _Key(cfg.id, frozenset(cfg.algorithms), public, loc)


class _FetchError(Exception):
    pass


@dataclass(slots=True, eq=False)
class _JwksSource:
    cfg: JwksKey
    url: str
    algorithms: frozenset[str]
    keys: tuple[_Key, ...] = ()
    fingerprint: str | None = None
    loaded: bool = False  # a set was fetched at least once
    fetched_at: float = -math.inf  # time.monotonic() of the last successful fetch
    attempted_at: float = -math.inf  # time.monotonic() of the last attempt
    fetches: int = 0  # attempts, for tests and logs
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def parse(self, doc: Any) -> tuple[tuple[_Key, ...], str]:
        """The usable signing keys of a JWK set and a fingerprint of them."""
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise _FetchError("not a JWK set (no 'keys' list)")
        keys: list[_Key] = []
        used: list[dict[str, Any]] = []
        for data in doc["keys"]:
            if not isinstance(data, dict) or data.get("use", "sig") != "sig":
                continue
            kid = data.get("kid")
            if data.get("kty") not in ("RSA", "EC", "OKP") or not (kid is None or isinstance(kid, str)):
                continue  # never a symmetric key from a URL
            try:
                public = jwt.PyJWK(data).key
            except jwt.PyJWTError as e:
                log.debug("JWKS %s: skipping key %r: %s", self.url, kid, e)
                continue
            algs = _asymmetric_algorithms(public) & self.algorithms  # empty for private keys
            if "alg" in data:
                algs &= {data["alg"]}
            if isinstance(public, rsa.RSAPublicKey) and public.key_size < _MIN_RSA_BITS:
                algs = frozenset()
            if not algs:
                log.debug("JWKS %s: skipping key %r: no allowed algorithm fits it", self.url, kid)
                continue
            keys.append(_Key(kid, algs, public, self.url))
            used.append(data)
        if not keys:
            raise _FetchError("the JWK set has no usable signing key")
        fingerprint = json.dumps(sorted(json.dumps(d, sort_keys=True) for d in used))
        return tuple(keys), fingerprint


# --------------------------------------------------------------------------- verifier


def _unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, parsed only to choose a key.

    Cheaper than ``jwt.get_unverified_header`` (which decodes and checks every segment);
    safe because ``jwt.decode`` parses the header again and refuses any ``alg`` but the
    one chosen here.
    """
    head, dot, _ = token.partition(".")
    try:
        if not dot:
            raise ValueError("no header segment")
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, RecursionError):
        raise _fail("auth.malformed", "the bearer token is not a JWT") from None
    if not isinstance(header, dict) or not isinstance(header.get("kid", ""), str):
        raise _fail("auth.malformed", "the bearer token's header is not valid")
    return header


@dataclass(frozen=True, slots=True)
class _Cached:
    agent: Agent
    exp: float
    nbf: float | None
    iat: float | None


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    """``claims[name]``, else the dotted path ``a.b`` into nested objects; None if absent."""
    if name in claims:
        return claims[name]
    node: Any = claims
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail("auth.claims", f"the {name} claim must be a finite number")
    return float(value)


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = _claim(claims, name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _fail("auth.claims", f"the {name} claim must be a non-empty string")
    return value


def _scopes(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = _claim(claims, name)
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(dict.fromkeys(value.split()))
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return tuple(dict.fromkeys(s for s in value if s))
    raise _fail("auth.claims", f"the {name} claim must be a space-separated string or a list of strings")


class Verifier:
    """Verifies agent JWTs against the configured keys; see the module docstring."""

    def __init__(self, cfg: IdentityConfig) -> None:
        self._cfg = cfg
        self._leeway = cfg.leeway_s
        self._issuers = list(cfg.issuers)
        self._static: list[_Key] = []
        self._sources: list[_JwksSource] = []
        self._by_kid: dict[str, list[_Key]] = {}
        self._by_alg: dict[str, list[_Key]] = {}
        self._algorithms: frozenset[str] = frozenset()
        self._session: aiohttp.ClientSession | None = None
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._cache_size = cfg.token_cache_size
        self._generation = 0
        self._started = False
        self.cache_hits = 0
        self.cache_misses = 0

    # ---------------------------------------------------------------- lifecycle

    async def start(self, session: aiohttp.ClientSession) -> None:
        errors: list[tuple[str, str]] = []
        static: list[_Key] = []
        sources: list[_JwksSource] = []
        for i, key in enumerate(self._cfg.keys):
            loc = f"identity.keys.{i}"
            if isinstance(key, HmacKey):
                try:
                    static.append(_Key(key.id, frozenset(key.algorithms), _hmac_secret(key), loc))
                except ValueError as e:
                    errors.append((f"{loc}.secret", str(e)))
            elif isinstance(key, PemKey):
                try:
                    static.append(_pem_key(key, loc))
                except ConfigError as e:
                    errors.extend(e.errors)
            else:
                sources.append(_JwksSource(key, str(key.url), frozenset(key.algorithms)))
        if errors:
            raise ConfigError(errors)
        self._static, self._sources, self._session = static, sources, session
        self._algorithms = frozenset().union(*(k.algorithms for k in static), *(s.algorithms for s in sources))
        self._rebuild()
        self._started = True
        await asyncio.gather(*(self._refresh(s) for s in sources))

    async def close(self) -> None:
        self._started = False
        self._cache.clear()
        self._session = None

    @property
    def key_generation(self) -> int:
        """Bumps whenever the key set changes (and the token cache is cleared)."""
        return self._generation

    def _rebuild(self) -> None:
        by_kid: dict[str, list[_Key]] = {}
        by_alg: dict[str, list[_Key]] = {}
        for key in [*self._static, *(k for s in self._sources for k in s.keys)]:
            if key.kid is not None:
                by_kid.setdefault(key.kid, []).append(key)
            for alg in key.algorithms:
                by_alg.setdefault(alg, []).append(key)
        self._by_kid, self._by_alg = by_kid, by_alg
        self._cache.clear()
        self._generation += 1

    # ---------------------------------------------------------------- JWKS

    async def _refresh(self, src: _JwksSource) -> None:
        """Fetch ``src`` unless rate limited; callers arriving mid-fetch share it."""
        joined = src.lock.locked()
        async with src.lock:
            if joined or time.monotonic() - src.attempted_at < src.cfg.min_refresh_interval_s:
                return
            src.attempted_at = time.monotonic()
            src.fetches += 1
            try:
                keys, fingerprint = src.parse(await self._fetch(src))
            except (_FetchError, aiohttp.ClientError, TimeoutError, ValueError) as e:
                kept = f"keeping the {len(src.keys)} keys fetched before" if src.loaded else "no keys yet"
                log.warning("JWKS %s: fetch failed (%s): %s", src.url, kept, str(e) or type(e).__name__)
                return
            src.fetched_at = time.monotonic()
            src.loaded = True
            if fingerprint != src.fingerprint:
                log.info("JWKS %s: %d signing keys (%s)", src.url, len(keys), ", ".join(str(k.kid) for k in keys))
                src.keys, src.fingerprint = keys, fingerprint
                self._rebuild()

    async def _fetch(self, src: _JwksSource) -> Any:
        if self._session is None:
            raise _FetchError("the verifier is closed")
        timeout = aiohttp.ClientTimeout(total=src.cfg.timeout_s)
        headers = {"Accept": "application/json"}
        async with self._session.get(src.url, timeout=timeout, headers=headers) as resp:
            if resp.status != 200:
                raise _FetchError(f"HTTP {resp.status}")
            try:
                body = await read_capped(resp.content, _MAX_JWKS_BYTES)
            except TooLarge as e:
                raise _FetchError(f"larger than {_MAX_JWKS_BYTES} bytes") from e
        return jsondoc.loads(body)

    async def _ensure_fresh(self, alg: str) -> bool:
        """Fetch the sources for ``alg`` whose sets are stale; True if any was tried."""
        now = time.monotonic()
        due = [
            s
            for s in self._sources
            if alg in s.algorithms
            and now - s.fetched_at >= s.cfg.cache_ttl_s
            and now - s.attempted_at >= s.cfg.min_refresh_interval_s
        ]
        if due:
            await asyncio.gather(*(self._refresh(s) for s in due))
        return bool(due)

    def _unavailable(self, alg: str) -> Unavailable | None:
        missing = [s.url for s in self._sources if not s.loaded and alg in s.algorithms]
        if not missing:
            return None
        return Unavailable(
            f"the signing keys at {', '.join(missing)} could not be fetched", code="identity.unavailable"
        )

    # ---------------------------------------------------------------- verify

    async def verify(self, token: str) -> Agent:
        """The agent a token names, or ``Unauthenticated``/``Unavailable``.

        The returned ``Agent`` may be shared by calls with the same token: read-only.
        """
        if not self._started:
            raise RuntimeError("Verifier.start() has not run (or close() has)")
        if self._cache_size:
            hit = self._cache.get(token)
            if hit is not None:
                try:
                    self._times(hit.exp, hit.nbf, hit.iat, time.time())
                except Unauthenticated:
                    self._cache.pop(token, None)
                    raise
                self._cache.move_to_end(token)
                self.cache_hits += 1
                return hit.agent
        self.cache_misses += 1
        generation = self._generation
        header = _unverified_header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise _fail("auth.algorithm", f"algorithm {alg!r} is not accepted")
        claims = await self._decode(token, alg, kid)
        entry = self._validate(claims, time.time())
        if self._cache_size and generation == self._generation:
            self._cache[token] = entry
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return entry.agent

    async def _decode(self, token: str, alg: str, kid: str | None) -> dict[str, Any]:
        refreshed = await self._ensure_fresh(alg)
        if kid is not None:
            keys = self._by_kid.get(kid)
            if not keys and self._sources and not refreshed:
                await asyncio.gather(*(self._refresh(s) for s in self._sources))
                keys = self._by_kid.get(kid)
            if not keys:
                raise self._unavailable(alg) or _fail("auth.unknown_key", f"no key has id {kid!r}")
            candidates = [k for k in keys if alg in k.algorithms]
            if not candidates:
                raise _fail("auth.algorithm", f"key {kid!r} does not accept algorithm {alg}")
        else:
            candidates = self._by_alg.get(alg, [])
            if not candidates:
                raise self._unavailable(alg) or _fail("auth.unknown_key", f"no key accepts algorithm {alg}")
        for key in candidates:
            try:
                return _JWT.decode(
                    token, key.material, algorithms=[alg], audience=self._cfg.audience, issuer=self._issuers
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.InvalidAudienceError:
                raise _fail("auth.audience", "the token is not meant for this gateway (aud)") from None
            except jwt.InvalidIssuerError:
                raise _fail("auth.issuer", "the token's issuer is not trusted (iss)") from None
            except jwt.MissingRequiredClaimError as e:
                if e.claim == "aud":
                    raise _fail("auth.audience", "the token has no audience (aud)") from None
                if e.claim == "iss":
                    raise _fail("auth.issuer", "the token has no issuer (iss)") from None
                raise _fail("auth.claims", f"the {e.claim} claim is required") from None
            except (InvalidSubjectError, InvalidJTIError) as e:
                raise _fail("auth.claims", str(e)) from None
            except jwt.InvalidAlgorithmError:
                raise _fail("auth.algorithm", f"algorithm {alg!r} is not accepted") from None
            except jwt.DecodeError:
                raise _fail("auth.malformed", "the bearer token is not a well-formed JWT") from None
            except jwt.PyJWTError:
                raise _fail("auth.invalid", "the token could not be verified") from None
        if kid is None and (unavailable := self._unavailable(alg)) is not None:
            raise unavailable
        raise _fail("auth.invalid", "the token's signature is not valid")

    def _times(self, exp: float, nbf: float | None, iat: float | None, now: float) -> None:
        if exp <= now - self._leeway:
            raise _fail("auth.expired", "the token has expired")
        if nbf is not None and nbf > now + self._leeway:
            raise _fail("auth.not_yet_valid", "the token is not valid yet (nbf)")
        if iat is not None and iat > now + self._leeway:
            raise _fail("auth.not_yet_valid", "the token was issued in the future (iat)")

    def _validate(self, claims: dict[str, Any], now: float) -> _Cached:
        exp = _number(claims, "exp")
        if exp is None:
            raise _fail("auth.claims", "the exp claim is required")
        nbf, iat = _number(claims, "nbf"), _number(claims, "iat")
        self._times(exp, nbf, iat, now)
        cap = self._cfg.max_token_lifetime_s
        if cap is not None and exp - (iat if iat is not None else now) > cap:
            raise _fail("auth.claims", f"the token lives longer than the {cap:g} s allowed")
        names = self._cfg.claims
        agent_id = _claim(claims, names.agent)
        if not isinstance(agent_id, str) or not agent_id:
            raise _fail("auth.claims", f"the {names.agent} claim (the agent) must be a non-empty string")
        agent = Agent(
            id=agent_id,
            tenant=_optional_str(claims, names.tenant),
            scopes=_scopes(claims, names.scopes),
            on_behalf_of=_optional_str(claims, names.on_behalf_of),
            claims=claims,
        )
        return _Cached(agent, exp, nbf, iat)


# --------------------------------------------------------------------------- dev tokens


def _put(claims: dict[str, Any], name: str, value: Any) -> None:
    *parents, last = name.split(".")
    node = claims
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValueError(f"claim {part!r} is not an object, cannot set {name!r}")
        node = child
    node[last] = value


def mint_dev_token(
    settings: Settings,
    *,
    agent: str,
    tenant: str | None,
    scopes: list[str],
    ttl_s: int = 3600,
    on_behalf_of: str | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A token signed with the first ``hmac`` key marked ``dev: true``.

    ``extra_claims`` are merged last and may override any claim.
    """
    ident = settings.identity
    key = next((k for k in ident.keys if isinstance(k, HmacKey) and k.dev), None)
    if key is None:
        raise ValueError("identity has no dev signing key (an hmac key with dev: true)")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    if ident.max_token_lifetime_s is not None and ttl_s > ident.max_token_lifetime_s:
        raise ValueError(f"ttl_s exceeds identity.max_token_lifetime_s ({ident.max_token_lifetime_s:g})")
    secret = _hmac_secret(key)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ident.issuers[0],
        "aud": ident.audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
    }
    names = ident.claims
    _put(claims, names.agent, agent)
    if tenant is not None:
        _put(claims, names.tenant, tenant)
    _put(claims, names.scopes, " ".join(scopes))
    if on_behalf_of is not None:
        _put(claims, names.on_behalf_of, on_behalf_of)
    claims.update(extra_claims or {})
    headers = {"kid": key.id} if key.id is not None else None
    return jwt.encode(claims, secret, algorithm=key.algorithms[0], headers=headers)
