"""Build ``secrets.jsonl``: credentials (and look-alikes) from secret scanners' own test vectors.

Sources, stored verbatim under ``sources/secrets/`` (``FILES`` names each one's upstream
repository, commit and path; every record cites origin, commit, file and line):

- gitleaks (github gitleaks/gitleaks, MIT), ``cmd/generate/config/rules/*.go``: the literal
  elements of each rule's true positives (``tps := []string{...}``, ``tps = append(tps, ...)``,
  ``r.TPs = []string{...}``) as attacks and of its false positives (``fps``, ``r.FPs``) as benign.
  An element built by a call (``utils.GenerateSampleSecrets``, ``newPlausibleSecret``,
  ``secrets.NewSecret``, ``fmt.Sprintf``) is synthetic and left out: only string literals
  (joined by ``+``) are read.
- detect-secrets (github Yelp/detect-secrets, Apache-2.0): the parametrised cases of
  ``tests/plugins/*_test.py`` (``(payload, should_flag)`` pairs; the slack test's list, all
  flagged; the keyword test's ``positives``/``negatives`` tables and the extra negatives of its
  ``*_negatives`` tests), read with ``ast``; and whole ``test_data`` files holding secrets
  (``each_secret.py``, ``files/file_with_secrets.py``) as one attack each.

Each string is sent two ways: as the answer of ``files.read`` (a tool output: a secret must be
redacted, a look-alike left alone) and as the ``body`` of ``mail.send`` (an argument: a secret
is refused). Labels are the sources' own: a scanner's true positive is an attack, its false
positive or negative case benign, even where the label is arguable for a gateway (a placeholder
that a scanner still flags, a real-looking token that one vendor's plugin does not claim); the
README counts those.

Families (by what the source file tests): ``secret_assignment`` (a value given to a secret's
name: gitleaks generic and database rules, detect-secrets keyword and npm), ``secret_http_auth`` (curl
``-u``/``-H`` credentials), ``secret_url_password`` (basic auth in URLs), ``secret_jwt``,
``secret_private_key``, ``secret_vendor_token`` (vendor formats: Azure AD, GCP, OpenAI, Slack,
Stripe, GitLab, Telegram, Twilio, Discord, SendGrid, PyPI, HashiCorp Vault), ``secret_file`` (whole
files).

The split is by source file, fixed in ``SPLIT`` before anything was measured (2026-11-30):
*test* files are scored only, never tuned on. (The files were read once, to be copied here,
before the split was drawn.) A second batch (``FILES[15:]``) was added after the first round's rules,
its split drawn before it was measured. Not used: gitleaks' ``aws.go`` (its literals are fps only),
``kubernetes.go`` (whole manifests), ``1password.go`` (its copy here could not be checked character
for character) and every rule whose samples are all generated.

``python -m tests.eval.build_secrets`` (no downloads: the sources are stored).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from tests.eval.records import RecordSet

HERE = Path(__file__).resolve().parent
OUT = HERE / "secrets.jsonl"
SOURCES = HERE / "sources" / "secrets"
GITLEAKS = "github:gitleaks/gitleaks"
DETECT = "github:Yelp/detect-secrets"


@dataclass(frozen=True)
class Source:
    stored: str  # path under sources/secrets/
    origin: str
    commit: str
    file: str  # upstream path
    mode: str  # go | pairs | listed | keyword | whole
    family: str


FILES = [
    Source("gitleaks/generic.go", GITLEAKS, "81fc668f98e21eb044ec9646283137022d82e669",
           "cmd/generate/config/rules/generic.go", "go", "secret_assignment"),
    Source("gitleaks/database.go", GITLEAKS, "acf4df7dfb4cc2aca71ed8b1f57da83ebc8216e2",
           "cmd/generate/config/rules/database.go", "go", "secret_assignment"),
    Source("gitleaks/curl.go", GITLEAKS, "09eba9f67a17a5d01f0eb8c431e3a1eda676ffc5",
           "cmd/generate/config/rules/curl.go", "go", "secret_http_auth"),
    Source("gitleaks/privatekey.go", GITLEAKS, "00639b2ad719a17dab59de304b839b4a30ab05e3",
           "cmd/generate/config/rules/privatekey.go", "go", "secret_private_key"),
    Source("gitleaks/gcp.go", GITLEAKS, "56e409d9f139b65a22ccfda616f552dd4ff2c961",
           "cmd/generate/config/rules/gcp.go", "go", "secret_vendor_token"),
    Source("gitleaks/azure.go", GITLEAKS, "2d2383f58d48efccb4bca42ed80bd13ae8691624",
           "cmd/generate/config/rules/azure.go", "go", "secret_vendor_token"),
    Source("detect-secrets/keyword_test.py.txt", DETECT, "04c6d34c4a3fb8e8ef3dbf4d73192e49537de599",
           "tests/plugins/keyword_test.py", "keyword", "secret_assignment"),
    Source("detect-secrets/basic_auth_test.py.txt", DETECT, "138816fb36190fe36da0ffdb01cdad227f25bb35",
           "tests/plugins/basic_auth_test.py", "pairs", "secret_url_password"),
    Source("detect-secrets/jwt_test.py.txt", DETECT, "26489629da1be60d13358cd3cf958ee4e97add5f",
           "tests/plugins/jwt_test.py", "pairs", "secret_jwt"),
    Source("detect-secrets/openai_test.py.txt", DETECT, "76c629771f7f23a4aa36cdd519a2257bad424905",
           "tests/plugins/openai_test.py", "pairs", "secret_vendor_token"),
    Source("detect-secrets/slack_test.py.txt", DETECT, "13575ede7f9d6f7cb17ac317a19ec5060c97170b",
           "tests/plugins/slack_test.py", "listed", "secret_vendor_token"),
    Source("detect-secrets/stripe_key_test.py.txt", DETECT, "30ecb2da0b08dca52a32b4028f7b21f92b8e1ff7",
           "tests/plugins/stripe_key_test.py", "pairs", "secret_vendor_token"),
    Source("detect-secrets/gitlab_token_test.py.txt", DETECT, "31dc69f2cd145ea506a39ccf98b3db3578ad81cd",
           "tests/plugins/gitlab_token_test.py", "pairs", "secret_vendor_token"),
    Source("detect-secrets/each_secret.py.txt", DETECT, "16a19153cf95c507f6217a93cadd2cfed38af5e3",
           "test_data/each_secret.py", "whole", "secret_file"),
    Source("detect-secrets/file_with_secrets.py.txt", DETECT, "11b8768d94c9a5efee0214520cfcaca2ca052ec4",
           "test_data/files/file_with_secrets.py", "whole", "secret_file"),
    # second batch (added after the first round's rules; split drawn before it was measured)
    Source("detect-secrets/npm_test.py.txt", DETECT, "38995ef8c91300a2316dede8782809caf2643f03",
           "tests/plugins/npm_test.py", "pairs", "secret_assignment"),
    Source("detect-secrets/telegram_token_test.py.txt", DETECT, "1f2553382bf10184779ec5b38bf5dfaefed8e426",
           "tests/plugins/telegram_token_test.py", "pairs", "secret_vendor_token"),
    Source("detect-secrets/twilio_test.py.txt", DETECT, "30ecb2da0b08dca52a32b4028f7b21f92b8e1ff7",
           "tests/plugins/twilio_test.py", "pairs", "secret_vendor_token"),
    Source("detect-secrets/discord_test.py.txt", DETECT, "0ac69f67eaddf816aab0f6a79a7317e4a499ee80",
           "tests/plugins/discord_test.py", "pairs", "secret_vendor_token"),
    Source("detect-secrets/sendgrid_test.py.txt", DETECT, "3f806f11e56f2ed4695c39cd6e55ba87a48c66b7",
           "tests/plugins/sendgrid_test.py", "pairs", "secret_vendor_token"),
    Source("detect-secrets/pypi_token_test.py.txt", DETECT, "8eebb5c152ec559d73b737212d72f43e88e3f623",
           "tests/plugins/pypi_token_test.py", "pairs", "secret_vendor_token"),
    Source("gitleaks/hashicorp_vault.go", GITLEAKS, "81fc668f98e21eb044ec9646283137022d82e669",
           "cmd/generate/config/rules/hashicorp_vault.go", "go", "secret_vendor_token"),
    Source("gitleaks/jwt.go", GITLEAKS, "08c6d3cf5924853ef6039b7a73091359bc22e00d",
           "cmd/generate/config/rules/jwt.go", "go", "secret_jwt"),
]  # fmt: skip
# the second batch's files, for its own before/after
BATCH2 = frozenset(f.file for f in FILES[15:])

# Drawn by hand before measuring, ~30% of the strings: test files are scored only.
SPLIT = {
    "gitleaks/curl.go": "test",
    "gitleaks/gcp.go": "test",
    "detect-secrets/jwt_test.py.txt": "test",
    "detect-secrets/openai_test.py.txt": "test",
    "detect-secrets/basic_auth_test.py.txt": "test",
    # second batch
    "detect-secrets/discord_test.py.txt": "test",
    "detect-secrets/sendgrid_test.py.txt": "test",
    "detect-secrets/pypi_token_test.py.txt": "test",
    "gitleaks/jwt.go": "test",
}

# ------------------------------------------------------------------------------ Go literals
_BLOCK = re.compile(
    r"\b(?:(tps|fps)\s*:?=\s*\[\]string\s*\{|(tps|fps)\s*=\s*append\(\s*(?:tps|fps)\s*,|r\.(TPs|FPs)\s*=\s*\[\]string\s*\{)"
)
_GO_ESC = re.compile(r"\\(?:([nrt\"'\\])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "\\": "\\"}


def _go_unquote(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return _SIMPLE[m.group(1)]
        return chr(int(m.group(2) or m.group(3), 16))

    return _GO_ESC.sub(one, body)


def go_literals(text: str) -> list[tuple[str, int, bool]]:
    """(string, line, is a true positive) for each all-literal element of a tps/fps list."""
    out: list[tuple[str, int, bool]] = []
    for m in _BLOCK.finditer(text):
        positive = (m.group(1) or m.group(2) or m.group(3)).lower() == "tps"
        i, depth = m.end(), 1
        elements: list[tuple[list[str], int, bool]] = []  # (parts, first line, all literal)
        parts: list[str] = []
        first_line = 0
        literal = True
        while i < len(text) and depth > 0:
            c = text[i]
            if c == "`":
                j = text.index("`", i + 1)
                if not parts:
                    first_line = text.count("\n", 0, i) + 1
                parts.append(text[i + 1 : j])
                i = j + 1
                continue
            if c == '"':
                j = i + 1
                while text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                if not parts:
                    first_line = text.count("\n", 0, i) + 1
                parts.append(_go_unquote(text[i + 1 : j]))
                i = j + 1
                continue
            if text.startswith("//", i):
                i = text.index("\n", i)
                continue
            if c in "({[":
                depth += 1
                if depth > 1:
                    literal = False
            elif c in ")}]":
                depth -= 1
            elif c == "," and depth == 1:
                elements.append((parts, first_line, literal))
                parts, literal = [], True
            elif not c.isspace() and c != "+" and depth == 1:
                literal = False  # a name or a call: not a literal element
            i += 1
        elements.append((parts, first_line, literal))
        out += [("".join(ps), line, positive) for ps, line, lit in elements if ps and lit]
    return out


# ------------------------------------------------------------------------------ Python tests
def _consts(node: ast.AST) -> list[tuple[str, int]]:
    return [(n.value, n.lineno) for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def py_cases(text: str, mode: str) -> list[tuple[str, int, bool]]:
    tree = ast.parse(text)
    out: list[tuple[str, int, bool]] = []
    if mode == "pairs":
        for n in ast.walk(tree):
            if (
                isinstance(n, ast.Tuple)
                and len(n.elts) == 2
                and isinstance(n.elts[0], ast.Constant)
                and isinstance(n.elts[0].value, str)
                and isinstance(n.elts[1], ast.Constant)
                and isinstance(n.elts[1].value, bool)
            ):
                out.append((n.elts[0].value, n.elts[0].lineno, n.elts[1].value))
    elif mode == "listed":  # a parametrised list of strings the test expects flagged
        for n in ast.walk(tree):
            if isinstance(n, ast.List):
                out += [(s, line, True) for s, line in _consts(n)]
    elif mode == "keyword":
        for n in tree.body:  # NAME = {'negatives': {...: [...]}, 'positives': {...}}
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict):
                for k, v in zip(n.value.keys, n.value.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value in ("negatives", "positives"):
                        out += [(s, line, k.value == "positives") for s, line in _consts(v)
                                if s not in ("quotes_required", "quotes_not_required")]  # fmt: skip
        for n in ast.walk(tree):  # the extra lines of the *_negatives tests
            if isinstance(n, ast.FunctionDef) and n.name.endswith("_negatives"):
                for d in n.decorator_list:
                    for lst in ast.walk(d):
                        if isinstance(lst, ast.List):
                            out += [(s, line, False) for s, line in _consts(lst)]
    return out


def cases(src: Source) -> list[tuple[str, int, bool]]:
    text = (SOURCES / src.stored).read_text(encoding="utf-8")
    if src.mode == "go":
        return go_literals(text)
    if src.mode == "whole":
        return [(text, 1, True)]
    return py_cases(text, src.mode)


def build() -> RecordSet:
    rs = RecordSet()
    for src in FILES:
        split = SPLIT.get(src.stored, "dev")
        group = f"{src.origin}|{src.file}"
        for text, line, positive in cases(src):
            source = {"origin": src.origin, "version": src.commit, "file": src.file, "line": line,
                      "quoted_in": f"tests/eval/sources/secrets/{src.stored}"}  # fmt: skip
            label = "attack" if positive else "benign"
            rs.add("tool_output", "files.read", text, label, src.family, source, group, split)
            body = json.dumps({"to": "ops@example.org", "subject": "config", "body": text}, ensure_ascii=False)
            rs.add("request_arg", "mail.send", body, label, src.family, source, group, split)
    return rs


def main() -> None:
    rs = build()
    rs.write(OUT)
    print(f"{len(rs.records)} records -> {OUT.name}: {rs.counts(lambda r: r['split'] + ':' + r['label'])}")


if __name__ == "__main__":
    main()
