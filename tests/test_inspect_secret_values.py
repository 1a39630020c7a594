"""Secrets given to a name in free text, and the vendor formats added with them.

A generator of our own writes random secrets the way configuration, shell, code, HTTP and
connection strings carry them (``export AWS_SECRET_ACCESS_KEY=...``, ``client_secret: ...``,
``"apiKey": "..."``, ``Authorization: Basic ...``), and look-alikes that share the surface:
placeholders, templates, environment and attribute references, names about a secret rather
than holding one, reset links, algorithm names, public keys. Every secret must be found as a
``secrets`` finding, redacted from an output, and kept out of the evidence; no look-alike may
be flagged. Seeded, so a failure names its case.
"""

from __future__ import annotations

import base64
import random
import string

import pytest

from gateway.inspect.runner import InspectOptions, Inspector, redact
from gateway.inspect.secrets import assignments

INS = Inspector()
OPTS = InspectOptions()
ALNUM = string.ascii_letters + string.digits


def rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    """``n`` characters of ``alphabet``, with each of its classes (digit, upper, lower) present."""
    classes = [f for f in (str.isdigit, str.isupper, str.islower) if any(f(c) for c in alphabet)]
    for _ in range(1000):
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if all(any(f(c) for c in s) for f in classes):
            return s
    raise AssertionError(f"no value of {n} characters with every class of {alphabet!r}")


NAMES = [
    "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "db_password", "clientSecret",
    "client_secret", "API_KEY", "apiKey", "STRIPE_SECRET", "GITHUB_TOKEN", "auth_token", "refresh_token",
    "SLACK_BOT_TOKEN", "SecretAccessKey", "smtp_password", "REDIS_PASS", "signing_key", "MASTER_KEY",
    "accountKey", "credentials", "PGPASSWORD", "passphrase", "x-api-key",
]  # fmt: skip
FORMS = [
    "{n}={v}",
    "export {n}={v}",
    "{n}: {v}",
    '"{n}": "{v}"',
    "{n} = '{v}'",
    '{n} = "{v}"',
    "const {n} = '{v}';",
    "  - {n}={v}",
    "{n}:={v}",
    "'{n}' => '{v}',",
    "[default]\n{n} = {v}\n",
    "Server=db1;Database=app;User Id=svc;{n}={v};",
]


def secret_cases(seed: int = 7, n: int = 240) -> list[tuple[str, str]]:
    """(text, the secret in it): names x forms x random values, in prose, files and logs."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for i in range(n):
        name = NAMES[i % len(NAMES)]
        form = FORMS[(i // len(NAMES) + i) % len(FORMS)]
        if name.lower() in ("db_password", "smtp_password", "redis_pass", "pgpassword", "passphrase"):
            value = rand(rng, rng.randint(10, 20), ALNUM + "!%^+-_")
        else:
            value = rand(rng, rng.choice([20, 24, 32, 40]), ALNUM + ("/+" if i % 3 == 0 else ""))
        line = form.format(n=name, v=value)
        around = rng.choice(
            ["{}", "# .env for staging\n{}\nLOG_LEVEL=info", "Here is the config you asked for:\n\n{}\n",
             "2025-01-12 10:22:01 DEBUG loaded settings {}", "cat settings.ini\n{}"]
        )  # fmt: skip
        out.append((around.format(line), value))
    # vendor formats (random bodies)
    for _ in range(6):
        b = base64.b64encode(f"svc-{rand(rng, 5)}:{rand(rng, 14)}".encode()).decode()
        out.append((f"GET /v1/items HTTP/1.1\nAuthorization: Basic {b}\n", b))
        t = rand(rng, 40, ALNUM + "-_")
        out.append((f"curl -H 'Authorization: Bearer {t}' https://api.example.net/v1/me", t))
        for tok in (
            f"https://hooks.slack.com/services/T{rand(rng, 8, string.ascii_uppercase + string.digits)}/"
            f"B{rand(rng, 8, string.ascii_uppercase + string.digits)}/{rand(rng, 24)}",
            f"npm_{rand(rng, 36)}",
            f"glpat-{rand(rng, 20, ALNUM + '_-')}",
            f"SG.{rand(rng, 22, ALNUM + '_-')}.{rand(rng, 43, ALNUM + '_-')}",
            f"hf_{rand(rng, 34, string.ascii_letters)}",
            f"pypi-AgEIcHlwaS5vcmc{rand(rng, 60, ALNUM + '_-')}",
            f"AccountKey={rand(rng, 86, ALNUM + '+/')}==",
            f"{rng.randint(10**8, 10**9 - 1)}:AA{rand(rng, 33, ALNUM + '_-')}",
            f"dop_v1_{''.join(rng.choice('0123456789abcdef') for _ in range(64))}",
            f"shpat_{''.join(rng.choice('0123456789abcdef') for _ in range(32))}",
        ):
            out.append((f"the deploy log printed {tok} before failing", tok.removeprefix("AccountKey=")))
    return out


LOOK_ALIKES = [
    "API_KEY=<your-api-key>",
    "API_KEY=${API_KEY}",
    "export GITHUB_TOKEN=$(gh auth token)",
    "password: changeme",
    'password = os.environ["DB_PASSWORD"]',
    "token = get_token(user)",
    '"password": "********"',
    "PASSWORD=xxxxxxxxxxxx",
    "api_key = settings.API_KEY",
    "const API_KEY = process.env.TRELLO_API_KEY;",
    "secret_key: your-secret-key-here",
    "SECRET_KEY = 'replace-me-in-production'",
    "password_policy = MinLength12Upper1",
    "token_count: 12345678",
    "max_tokens=4096",
    "next_token: AbCdEfGh12345678",
    "password_hash = $2b$12$KIXQJ8Y0wQe1xUu6Q7t5eO2h3Vn4mR8sT9uW0xY1zA2bC3dE4fG5h",
    "SET password_encryption = 'scram-sha-256';",
    "Reset it here: https://accounts.example.org/reset?token=fjahwb24jab3XY9",
    "public_key = ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3x user@host",
    'password: "{{ vault_db_password }}"',
    "password: !vault |",
    "self.password = password",
    "def login(self, username, password=None):",
    "Your password must be at least 8 characters and include a digit.",
    "Authorization: Bearer <token>",
    "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE",
    "Send a Bearer token in the Authorization header; Basic authentication is refused.",
    "Authorization: Basic dXNlcjpwYXNzd29yZA==",  # user:password, the documentation example
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "glpat-xxxxxxxxxxxxxxxxxxxx",
    "from huggingface_hub import hf_hub_download",
    "SECRET_KEY = os.getenv('SECRET_KEY', 'dev')",
    "token_endpoint: https://login.example.com/oauth2/v2.0/token",
    "passenger_count=12345678 compass_heading=NNW",
    "tokenizer: BertTokenizerFast",
    "The access key id is shown once; the secret is never displayed again.",
    "credentials: read from ~/.aws/credentials",
    "auth_token: ${{ secrets.AUTH_TOKEN }}",
]


@pytest.mark.parametrize(("text", "secret"), secret_cases())
def test_secrets_in_text_are_found_redacted_and_kept_out_of_evidence(text: str, secret: str) -> None:
    fs = [f for f in INS.arguments({"text": text}, OPTS) if f.detector == "secrets"]
    assert fs, text
    assert all(secret not in f.evidence for f in fs)
    findings, hits = INS.output(text.encode(), OPTS)
    kinds = {f.kind for f in findings if f.detector == "secrets"}
    assert kinds, text
    assert secret not in redact(text, hits, kinds), text


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_not_secrets(text: str) -> None:
    fs = [f for f in INS.arguments({"text": text}, OPTS) if f.detector == "secrets"]
    assert fs == [], (text, [(f.kind, f.evidence) for f in fs])
    findings, _ = INS.output(text.encode(), OPTS)
    assert [f for f in findings if f.detector == "secrets"] == [], text


def test_assignment_search_is_bounded_and_linear() -> None:
    """At most 64 values per text, and a long run of name characters, separators or value
    characters costs no more than a short one (names are widened by hand, 40 characters at most)."""
    rng = random.Random(3)
    many = "\n".join(f"API_KEY_{i}={rand(rng, 24)}" for i in range(200))
    assert len(assignments(many)) == 64
    import time

    for hostile in ("password" * 20_000, "token=" * 20_000, "a" * 200_000, "secret: " + "Ab1" * 60_000,
                    "auth: " * 20_000, '"auth", "' * 20_000, '"api_token", "' + "a1" * 60_000):  # fmt: skip
        t0 = time.thread_time()
        assignments(hostile)
        assert time.thread_time() - t0 < 0.5, hostile[:30]


# ------------------------------------------------ classes missed on the scanners' test vectors (secrets.jsonl, dev)
# Entra ID client secrets, GitLab's other token prefixes, private keys as bare base64 DER, ``auth``/``creds``
# names, a quoted name and value as a call's arguments; and the look-alikes each shares its surface with.
AZ = ALNUM + "_~.-"


def _der_keys() -> list[str]:
    """Private keys of our own (RSA PKCS#1 and PKCS#8, EC SEC1 and PKCS#8, Ed25519) as bare base64 DER."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    raw = [
        rsa_key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.TraditionalOpenSSL, ser.NoEncryption()),
        rsa_key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, ser.NoEncryption()),
        ed_key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, ser.NoEncryption()),
    ]
    for curve in (ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1()):
        ec_key = ec.generate_private_key(curve)
        raw.append(ec_key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.TraditionalOpenSSL, ser.NoEncryption()))
        raw.append(ec_key.private_bytes(ser.Encoding.DER, ser.PrivateFormat.PKCS8, ser.NoEncryption()))
    return [base64.b64encode(b).decode() for b in raw]


def _der_public() -> list[str]:
    """Public keys and a certificate as bare base64 DER: not secrets, same alphabet and prefix."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key()
    ec_pub = ec.generate_private_key(ec.SECP256R1()).public_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "svc.internal")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pub).serial_number(7)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256())
    )  # fmt: skip
    raw = [
        pub.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo),
        pub.public_bytes(ser.Encoding.DER, ser.PublicFormat.PKCS1),
        ec_pub.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo),
        cert.public_bytes(ser.Encoding.DER),
    ]
    return [base64.b64encode(b).decode() for b in raw]


def scanner_class_cases(seed: int = 11) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for _ in range(8):
        az = rand(rng, 3, ALNUM + "_~.") + str(rng.randint(0, 9)) + "Q~" + rand(rng, rng.randint(31, 34), AZ)
        for form in ("the app's client secret is {} (expires in 24 months)", "({})", "-ClientSecret '{}'",
                     '<value xsi:type="xsd:string">{}</value>'):  # fmt: skip
            out.append((form.format(az), az))
    from gateway.inspect.secrets import _GITLAB_PREFIXES

    for prefix in _GITLAB_PREFIXES:
        tok = prefix + rand(rng, rng.randint(20, 50), ALNUM + "_-")
        out.append((f"CI printed {tok} in the job log", tok))
    for der in _der_keys():
        out.append((f"the service key (DER, base64) is {der}\nkeep it safe", der))
        out.append((f'{{"kid": "k1", "der": "{der}"}}', der))
    for _ in range(4):
        b = base64.b64encode(f"svc-{rand(rng, 4)}:{rand(rng, 16)}".encode()).decode()
        out.append((f'{{"auths": {{"registry.corp.io": {{"auth": "{b}"}}}}}}', b))
        out.append((f"registry=https://npm.corp.io/\n_auth={b}\nalways-auth=true", b))
        v = rand(rng, 24, ALNUM + "+/")
        out.append((f"proxy_auth: {v}", v))
        v = rand(rng, 30)
        out.append((f"creds = {v}", v))
        out.append((f"DB_CREDS={v}", v))
        v = rand(rng, 32, ALNUM + "-")
        out.append((f'token = os.getenv("API_TOKEN", "{v}")', v))
        out.append((f"config.set('db_password', '{v}')", v))
        out.append((f'conn.headers.put("X-Api-Key", "{v}");', v))
    return out


def scanner_look_alikes(seed: int = 12) -> list[str]:
    rng = random.Random(seed)
    out = [
        "separator ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
        "client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "glsoat-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "glpat_ is GitLab's prefix with a dash, not an underscore",
        "auth_realm: MyRealm2024",
        "auth_server = 10.0.0.12",
        "auth_type: oauth2",
        "author: Jane Doe <jane@corp.io>",
        '"authority": "https://login.corp.io/tenant-7"',
        "two_factor_auth: enabled",
        "implementation 'io.jsonwebtoken:jjwt-jackson:0.12.6'",
        "io.jsonwebtoken:jjwt-api:0.11.5",
        "token_service_host: 10.20.30.40",
        'api_token = os.getenv("API_TOKEN", "")',
        'password = os.getenv("DB_PASSWORD", "changeme")',
        'form.field("password", "Password")',
        "translate('api_key', 'API key')",
    ]
    for _ in range(4):
        two = rand(rng, 2, string.ascii_lowercase)
        out.append(f"CloudFront-Signature: {rand(rng, 40, AZ)}~{two}8Q~{rand(rng, 60, AZ)}")
        out.append(f"csrf-token={rand(rng, 64, ALNUM + '+/')}==")
        out.append(f"X-CSRF-Token: {rand(rng, 40)}")
        out.append(f"_xsrf_token = '{rand(rng, 32)}'")
    return out + _der_public()


@pytest.mark.parametrize(("text", "secret"), scanner_class_cases())
def test_scanner_classes_are_found_redacted_and_kept_out_of_evidence(text: str, secret: str) -> None:
    test_secrets_in_text_are_found_redacted_and_kept_out_of_evidence(text, secret)


@pytest.mark.parametrize("text", scanner_look_alikes())
def test_scanner_class_look_alikes_are_not_secrets(text: str) -> None:
    test_look_alikes_are_not_secrets(text)


# ------------------------------------------------ second batch (secrets.jsonl dev): Vault tokens, Telegram in bot URLs,
# dotted tokens given to a name
def batch2_cases(seed: int = 21) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for _ in range(6):
        hvs = "hvs." + rand(rng, rng.randint(90, 120), ALNUM + "_-")
        hvb = "hvb." + rand(rng, rng.randint(138, 300), ALNUM + "_-")
        out.append((f"vault login -method=token {hvs}", hvs))
        out.append((f'{{"auth": null, "wrap_info": {{"token": "{hvb}"}}}}', hvb))
        tg = f"{rng.randint(10**8, 10**10 - 1)}:AA{rand(rng, 33, ALNUM + '_-')}"
        out.append((f"curl https://api.telegram.org/bot{tg}/sendMessage -d chat_id=42", tg))
    return out


@pytest.mark.parametrize(("text", "secret"), batch2_cases())
def test_batch2_classes_are_found_redacted_and_kept_out_of_evidence(text: str, secret: str) -> None:
    test_secrets_in_text_are_found_redacted_and_kept_out_of_evidence(text, secret)


def test_dotted_tokens_given_to_a_name() -> None:
    """Vault's older service tokens (``s.`` and 24 letters and digits) given to a name: a dotted value is
    no attribute path when a segment switches between digit, capital and small letter at least every
    second character. Random tokens do so ~89% of the time; methods and constants never."""
    rng = random.Random(22)
    found = 0
    for i in range(200):
        tok = "s." + "".join(rng.choice(ALNUM) for _ in range(24))
        form = ("VAULT_TOKEN={}", "token: {}", '"client_token": "{}"', "export VAULT_TOKEN='{}'")[i % 4]
        found += bool(assignments(form.format(tok)))
    assert found >= 160, found
    for text in ("token: s.AcceptanceTimeoutSeconds", "secret = obj.computeHmacSha256Digest",
                 "api_key = config.readApiKeyFromVault2FA", "token = self.tokenCacheTTLSeconds2",
                 "password: settings.DB_PASSWORD_2024_PROD", "VAULT_TOKEN=s.xxxxxxxxxxxxxxxxxxxxxxxx",
                 "token: s.THISSTRINGISALLUPPERCASE", "token: s.thisstringisalllowercase"):  # fmt: skip
        assert assignments(text) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "hvs.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "the Vault docs abbreviate a token as hvs.CAES... in examples",
        "invite bot110201543 to the channel (its user id is 110201543)",
        "see https://core.telegram.org/bots/api#sendmessage",
    ],
)
def test_batch2_look_alikes_are_not_secrets(text: str) -> None:
    test_look_alikes_are_not_secrets(text)
