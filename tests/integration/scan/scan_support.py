"""Shared by the scan tests: the planted corpus and real private keys made for each run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "data" / "scan"

Expected = tuple[str, int, str]  # image path, line, rule ID


def read_expected() -> list[Expected]:
    rows = []
    for line in (CORPUS / "expected.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        path, number, rule = line.split("\t")
        rows.append((path, int(number), rule))
    return rows


def _quiet(argv: list[str | Path]) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def make_private_keys(root: Path) -> list[Expected]:
    """Real key material in each form the rules know, generated now (never committed)."""
    planted: list[Expected] = []

    def target(path: str) -> Path:
        host = root / path.lstrip("/")
        host.parent.mkdir(parents=True, exist_ok=True)
        host.unlink(missing_ok=True)
        return host

    for path, args in (
        ("/root/.ssh/id_rsa", ["-t", "rsa", "-b", "2048"]),
        ("/home/deploy/.ssh/id_ed25519", ["-t", "ed25519"]),
        ("/opt/app/ec.pem", ["-t", "ecdsa", "-m", "PEM"]),
    ):
        _quiet(["ssh-keygen", "-q", *args, "-N", "", "-C", "", "-f", target(path)])
        target(path + ".pub")  # the public half is not a secret; leave it out
        planted.append((path, 1, "private-key"))
    _quiet(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            target("/etc/ssl/private/server.key"),
        ]
    )
    planted.append(("/etc/ssl/private/server.key", 1, "private-key"))
    _quiet(["openssl", "genrsa", "-traditional", "-out", target("/root/legacy.pem"), "2048"])
    planted.append(("/root/legacy.pem", 1, "private-key"))
    _quiet(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "ed25519",
            "-aes256",
            "-pass",
            "pass:build",
            "-out",
            target("/opt/app/signing.key"),
        ]
    )
    planted.append(("/opt/app/signing.key", 1, "private-key"))
    empty = root / "tmp" / "empty-passphrase"
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.write_text("")
    _quiet(
        [
            "puttygen",
            "-t",
            "ed25519",
            "-O",
            "private",
            "--new-passphrase",
            empty,
            "-o",
            target("/home/win/.putty/deploy.ppk"),
        ]
    )
    empty.unlink()
    planted.append(("/home/win/.putty/deploy.ppk", 1, "putty-private-key"))
    # a key inside a provisioning script, after other lines
    _quiet(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", root / "tmp" / "k"])
    key = (root / "tmp" / "k").read_text()
    (root / "tmp" / "k").unlink()
    (root / "tmp" / "k.pub").unlink()
    script = target("/usr/local/sbin/provision")
    script.write_text(f"#!/bin/sh\ncat > /root/.ssh/id <<EOF\n{key}EOF\n")
    planted.append(("/usr/local/sbin/provision", 3, "private-key"))
    return planted


def plant(root: Path) -> list[Expected]:
    """Copy the corpus into root and add fresh keys; the secrets that must be found."""

    def replace(source: str, destination: str) -> None:  # never write through a hard link
        Path(destination).unlink(missing_ok=True)
        shutil.copy2(source, destination)

    shutil.copytree(CORPUS / "planted", root, dirs_exist_ok=True, copy_function=replace)
    return read_expected() + make_private_keys(root)
