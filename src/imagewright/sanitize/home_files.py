"""Files inside every user's home folder (bash-history, zsh-history, ssh-userdir, ...)."""

from __future__ import annotations

from pathlib import PurePosixPath

from imagewright.sanitize import Check, SanitizeContext


def remove_in_homes(ctx: SanitizeContext, names: tuple[str, ...]) -> None:
    ctx.ops.announce(", ".join(f"~/{name}" for name in names) + " of every user")
    for path in ctx.in_homes(*names):
        ctx.ops.remove(path)


def none_in_homes(*names: str) -> Check:
    def still_present(ctx: SanitizeContext) -> list[PurePosixPath]:
        return ctx.in_homes(*names)

    return still_present
