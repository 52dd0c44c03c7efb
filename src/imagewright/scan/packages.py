"""Files that an installed package shipped, with the digest they had when installed.

dpkg records an MD5 per file in /var/lib/dpkg/info/*.md5sums and per configuration file in the
Conffiles field of /var/lib/dpkg/status; rpm keeps a digest per file in its database (see
`rpmdb`). apt's downloaded package lists (/var/lib/apt/lists) are the distribution's data too:
their SHA-256 is in the repository's (In)Release file next to them. A file whose digest still
matches was put there by the distribution, not by the build, so its content is not reported as a
secret (package descriptions hold example URLs such as `mysql://keystone:foobar@127.0.0.1`).
The digests are trusted as much as dpkg's own database: the Release signature is not checked.
Bookworm installs packages' /bin, /sbin and /lib files through the merged-/usr symlinks, so a
path is also looked up under the name the package used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import PurePosixPath

from imagewright.paths import ImageRoot
from imagewright.scan.rpmdb import rpm_files

log = logging.getLogger(__name__)

DPKG_INFO = "/var/lib/dpkg/info"
DPKG_STATUS = "/var/lib/dpkg/status"
APT_LISTS = "/var/lib/apt/lists"


Digest = tuple[str, str]  # (hashlib algorithm name, hex digest)


def _parse_md5sums(text: str, into: dict[str, Digest]) -> None:
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if name and len(digest) == 32:
            into["/" + name.lstrip("/")] = ("md5", digest)


def _parse_conffiles(status: str, into: dict[str, Digest]) -> None:
    for stanza in status.split("\n\n"):
        if "Status: install ok installed" not in stanza or "\nConffiles:\n" not in stanza:
            continue
        block = stanza.split("\nConffiles:\n", 1)[1]
        for line in block.splitlines():
            if not line.startswith(" "):
                break
            fields = line.split()
            if len(fields) >= 2 and len(fields[1]) == 32 and "obsolete" not in fields[2:]:
                into[fields[0]] = ("md5", fields[1])


def _parse_release(name: str, text: str, into: dict[str, Digest]) -> None:
    """Digests of the lists apt fetched with the Release file `name` (`host_path_dists_suite_`
    + `InRelease`): a list's file name is that prefix and its path in the Release, `/` → `_`."""
    prefix = name.removesuffix("InRelease").removesuffix("Release")
    in_sha256 = False
    for line in text.splitlines():
        if not line.startswith(" "):
            in_sha256 = line == "SHA256:"
            continue
        fields = line.split()
        if in_sha256 and len(fields) == 3 and len(fields[0]) == 64:
            list_name = prefix + fields[2].replace("/", "_")
            into[f"{APT_LISTS}/{list_name}"] = ("sha256", fields[0])


class PackageFiles:
    """The package database of an image: which paths came from packages, and unchanged?"""

    def __init__(self, root: ImageRoot) -> None:
        self.root = root
        self.digests: dict[str, Digest] = {}
        for name in root.listdir(DPKG_INFO):
            if name.endswith(".md5sums"):
                _parse_md5sums(root.read_text(f"{DPKG_INFO}/{name}"), self.digests)
        if root.is_file(DPKG_STATUS):
            _parse_conffiles(root.read_text(DPKG_STATUS), self.digests)
        for name in root.listdir(APT_LISTS):
            if name.endswith("Release") and root.is_file(f"{APT_LISTS}/{name}"):
                text = root.read_bytes(f"{APT_LISTS}/{name}").decode("utf-8", errors="replace")
                _parse_release(name, text, self.digests)
        for path, algorithm, digest in rpm_files(root):
            self.digests[path] = (algorithm, digest)
        # merged /usr: /usr/bin/x was installed as /bin/x when /bin -> usr/bin
        self.aliases: list[tuple[str, str]] = []
        for name in root.listdir("/"):
            info = root.lstat(f"/{name}")
            if info is not None and stat.S_ISLNK(info.st_mode):
                target = str(root.resolve(f"/{name}", follow_final=False).readlink())
                real = str(PurePosixPath("/", target)) if not target.startswith("/") else target
                self.aliases.append((real.rstrip("/") + "/", f"/{name}/"))
        log.debug("package database: %d files", len(self.digests))

    def __bool__(self) -> bool:
        return bool(self.digests)

    def recorded_digest(self, path: str) -> Digest | None:
        digest = self.digests.get(path)
        if digest is None:
            for real, alias in self.aliases:
                if path.startswith(real):
                    digest = self.digests.get(alias + path[len(real) :])
                    if digest is not None:
                        break
        return digest

    def owns(self, path: str) -> bool:
        return self.recorded_digest(path) is not None

    def unchanged(self, path: str) -> bool:
        """True when path is a package's file and its content is what the package installed."""
        expected = self.recorded_digest(path)
        if expected is None:
            return False
        try:
            host = self.root.resolve(path, follow_final=False)
            fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return False
        algorithm, recorded = expected
        digest = hashlib.new(algorithm, usedforsecurity=False)
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest() == recorded
