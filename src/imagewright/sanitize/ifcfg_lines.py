"""Dropping host-pinning lines from Red Hat style interface files (net-hostname, net-hwaddr)."""

from __future__ import annotations

from pathlib import PurePosixPath

from imagewright.sanitize import Check, SanitizeContext

IFCFG = "/etc/sysconfig/network-scripts/ifcfg-*"


def pinned(ctx: SanitizeContext, prefixes: tuple[str, ...]) -> list[PurePosixPath]:
    return [
        path
        for path in ctx.glob(IFCFG)
        if ctx.image.is_file(path)
        and any(line.startswith(prefixes) for line in ctx.image.read_text(path).splitlines())
    ]


def drop_lines(ctx: SanitizeContext, prefixes: tuple[str, ...]) -> None:
    ctx.ops.announce(f"lines starting {', '.join(prefixes)} in {IFCFG}")
    for path in pinned(ctx, prefixes):
        info = ctx.image.lstat(path)
        text = ctx.image.read_text(path)
        kept = [line for line in text.splitlines(keepends=True) if not line.startswith(prefixes)]
        mode = info.st_mode & 0o7777 if info else 0o644
        ctx.ops.write(path, "".join(kept).encode(), mode=mode)


def check(prefixes: tuple[str, ...]) -> Check:
    def still_present(ctx: SanitizeContext) -> list[PurePosixPath]:
        return pinned(ctx, prefixes)

    return still_present
