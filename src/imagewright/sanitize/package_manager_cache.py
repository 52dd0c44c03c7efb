from __future__ import annotations

from pathlib import PurePosixPath

from imagewright.sanitize import EXTENDED, SanitizeContext, operation

CACHES = (
    "/var/cache/apt/archives",
    "/var/cache/dnf",
    "/var/cache/yum",
    "/var/cache/zypp*",
    "/var/cache/apk",
    "/var/cache/pacman/pkg",
)
APT_BINARY_CACHES = ("/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin")


def _cached(ctx: SanitizeContext) -> list[PurePosixPath]:
    found = [path for pattern in APT_BINARY_CACHES for path in ctx.glob(pattern)]
    for pattern in CACHES:
        for folder in ctx.glob(pattern):
            if ctx.image.is_dir(folder):
                found += [e.path for e in ctx.image.walk(folder) if not e.is_dir]
    # apt's lock file is part of the folder layout, not a cached download.
    return sorted(p for p in found if p.name != "lock")


@operation(
    "package-manager-cache",
    profiles=EXTENDED,
    removes="downloaded packages and metadata of apt, dnf, yum, zypper, apk and pacman "
    "(files only, folders kept)",
    verified_by=_cached,
)
def package_manager_cache(ctx: SanitizeContext) -> None:
    """Remove package manager caches: downloaded packages and repository metadata."""
    ctx.ops.announce(", ".join((*CACHES, *APT_BINARY_CACHES)))
    for path in _cached(ctx):
        ctx.ops.remove(path)
