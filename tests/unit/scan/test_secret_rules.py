"""Secret rules, the matcher (hyperscan and its pure-Python fallback) and key validation."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from imagewright.paths import ImageRoot
from imagewright.registry import KEBAB
from imagewright.scan import files
from imagewright.scan.files import scan_file
from imagewright.scan.keys import is_pem_private_key, is_putty_private_key
from imagewright.scan.matcher import SecretMatcher
from imagewright.scan.secrets import SECRET_RULES

PLANTED = Path(__file__).resolve().parents[2] / "data" / "scan" / "planted"


@pytest.fixture(scope="module")
def hyperscan_matcher() -> SecretMatcher:
    matcher = SecretMatcher()
    assert matcher.general.uses_hyperscan and matcher.bound.uses_hyperscan
    return matcher


@pytest.fixture(scope="module")
def fallback_matcher() -> SecretMatcher:
    matcher = SecretMatcher(use_hyperscan=False)
    assert matcher.engine == "re"
    return matcher


def found(matcher: SecretMatcher, text: str, path: str = "/opt/app/settings.conf") -> list[str]:
    return [m.rule.name for m in matcher.find(text.encode(), path)]


def test_every_rule_is_declared_completely() -> None:
    assert len(SECRET_RULES) >= 30
    for rule in SECRET_RULES:
        assert KEBAB.match(rule.name)
        assert rule.title and rule.remediation and rule.severity
        assert all(b"(?P<secret>" in pattern for pattern in rule.patterns)


def test_fallback_finds_what_hyperscan_finds(
    hyperscan_matcher: SecretMatcher, fallback_matcher: SecretMatcher
) -> None:
    compared = 0
    for host in sorted(PLANTED.rglob("*")):
        if host.is_file():
            path = "/" + str(host.relative_to(PLANTED))
            data = host.read_bytes()
            fast = [(m.rule.name, m.start) for m in hyperscan_matcher.find(data, path)]
            assert fast == [(m.rule.name, m.start) for m in fallback_matcher.find(data, path)]
            compared += len(fast)
    assert compared >= 55


@pytest.mark.parametrize(
    "text",
    [
        "password = ${DB_PASSWORD}",
        "password: <your password here>",
        "db_password = %(password)s",
        "password=********",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "token: eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiIxMjM0NTY3ODkwIn0x.notjsonnotjson123",
        "url = https://user:password@example.org/",
        "connection = mysql://keystone:foobar@127.0.0.1/keystone",
        "proxy http://user:pass@host:3128",
        '"auth": "bm90LWEtcGFpcg=="',
    ],
)
def test_placeholders_and_invalid_values_are_not_reported(
    hyperscan_matcher: SecretMatcher, text: str
) -> None:
    assert found(hyperscan_matcher, text) == []


def test_specific_rule_wins_over_generic_one(hyperscan_matcher: SecretMatcher) -> None:
    key = "SG." + "a1B2c3D4e5F6g7H8i9J0kL" + "." + "m" * 20 + "N0pQrStUvWxYz0123456789"
    assert found(hyperscan_matcher, f"SENDGRID_API_KEY={key}\n", "/opt/app/.env") == [
        "sendgrid-api-token"
    ]


def test_path_bound_rules_only_apply_to_their_files(hyperscan_matcher: SecretMatcher) -> None:
    line = "machine host login me password Wq8zKp2mVn\n"
    assert found(hyperscan_matcher, line, "/root/.netrc") == ["netrc-password"]
    assert found(hyperscan_matcher, line, "/usr/share/doc/x/README") == []
    assert hyperscan_matcher.find(line.encode(), None) == []  # raw blocks have no path


def _keygen(tmp_path: Path, *args: str) -> bytes:
    key = tmp_path / "key"
    key.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", *args, "-N", "", "-C", "", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    os.unlink(f"{key}.pub")
    return key.read_bytes()


def test_real_keys_validate_and_damaged_ones_do_not(tmp_path: Path) -> None:
    openssh = _keygen(tmp_path, "-t", "ed25519")
    pem = _keygen(tmp_path, "-t", "rsa", "-b", "1024", "-m", "PEM")
    pkcs8 = _keygen(tmp_path, "-t", "ecdsa", "-m", "PKCS8")
    for key in (openssh, pem, pkcs8):
        assert is_pem_private_key(key)
        lines = key.splitlines(keepends=True)
        assert not is_pem_private_key(lines[0] + lines[1][:-10] + b"\n" + lines[-1])
        assert not is_pem_private_key(lines[0] + b"Zm9vYmFy\n" + lines[-1])
    ppk = tmp_path / "key.ppk"
    empty = tmp_path / "empty"
    empty.write_text("")
    subprocess.run(
        [
            "puttygen",
            "-t",
            "ed25519",
            "-O",
            "private",
            "--new-passphrase",
            str(empty),
            "-o",
            str(ppk),
        ],
        check=True,
        capture_output=True,
    )
    assert is_putty_private_key(ppk.read_bytes())
    assert not is_putty_private_key(
        ppk.read_bytes().replace(b"Public-Lines: 2", b"Public-Lines: 5")
    )


def test_documentation_key_is_not_reported(hyperscan_matcher: SecretMatcher) -> None:
    text = "-----BEGIN RSA PRIVATE KEY-----\n...your key here...\n-----END RSA PRIVATE KEY-----\n"
    assert found(hyperscan_matcher, text) == []


def test_big_files_are_read_in_overlapping_chunks(
    tmp_path: Path, hyperscan_matcher: SecretMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CHUNK", 4096)
    monkeypatch.setattr(files, "OVERLAP", 512)
    token = "ghp_" + "C4unkB0und4ryT0k3nXyZ0123456789abcde"
    filler = "log line that is not a secret\n" * 136  # 4080 bytes: the token spans 4096
    (tmp_path / "app.log").write_text(filler + token + "\n" + filler * 3 + token + "\n")
    [entry] = [e for e in ImageRoot(tmp_path).walk() if e.is_file]
    size, findings = scan_file(entry, hyperscan_matcher)
    assert size == (tmp_path / "app.log").stat().st_size
    assert [(f.rule_id, f.line) for f in findings] == [("github-pat", 137), ("github-pat", 546)]


def test_two_secrets_of_one_rule_on_one_line(
    tmp_path: Path, hyperscan_matcher: SecretMatcher
) -> None:
    first, second = "AKIA" + "Q" * 8 + "RSTUVWXY", "AKIA" + "Z" * 8 + "ABCDEFGH"
    (tmp_path / "big.env").write_text("x" * (300 << 10) + f"\nKEYS={first},{second}\n")
    [entry] = [e for e in ImageRoot(tmp_path).walk() if e.is_file]
    _, findings = scan_file(entry, hyperscan_matcher)
    assert [(f.rule_id, f.line) for f in findings] == [("aws-access-key-id", 2)] * 2
