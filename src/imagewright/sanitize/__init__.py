"""Sanitize operations: one module per operation, each declared once with `@operation`.

A declaration names the operation, the profiles it belongs to, what it removes (for
`--list-operations` and the docs) and the check that proves it worked: a function returning the
paths that are still present. Operations change the image only through `ctx.ops` (a `Changes`
recorder), so a dry run is computed by the very code that deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from imagewright.errors import ConfigError, Problem
from imagewright.registry import Registry, load_all, suggest
from imagewright.sanitize.context import SKIP_MARKERS, Profile, SanitizeContext

__all__ = [
    "OPERATIONS",
    "Operation",
    "Profile",
    "SanitizeContext",
    "SanitizeFailed",
    "SanitizeReport",
    "operation",
    "sanitize_image",
    "select",
]

SEED = frozenset({Profile.ec2_image_builder, Profile.extended})
EXTENDED = frozenset({Profile.extended})

Body = Callable[[SanitizeContext], None]
Check = Callable[[SanitizeContext], list[PurePosixPath]]


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    summary: str  # first line of the docstring
    profiles: frozenset[Profile]
    removes: str
    verified_by: Check
    run: Body
    skip_marker: str | None  # the Image Builder marker file that skips this section
    order: int  # operations run by (order, name); the seed's sections come first


OPERATIONS: Registry[Operation] = Registry("sanitize operation")


def operation(
    name: str,
    *,
    profiles: frozenset[Profile],
    removes: str,
    verified_by: Check,
    skip_marker: str | None = None,
    order: int = 100,
) -> Callable[[Body], Body]:
    """Declare a sanitize operation. The function's docstring's first line is its summary."""

    def register(body: Body) -> Body:
        doc = (body.__doc__ or "").strip()
        if not doc:
            raise ValueError(f"sanitize operation {name} needs a docstring")
        if not profiles:
            raise ValueError(f"sanitize operation {name} belongs to no profile")
        if skip_marker is not None and skip_marker not in SKIP_MARKERS:
            raise ValueError(f"sanitize operation {name}: unknown skip marker {skip_marker}")
        OPERATIONS.add(
            Operation(
                name=name,
                summary=doc.splitlines()[0],
                profiles=profiles,
                removes=removes,
                verified_by=verified_by,
                run=body,
                skip_marker=skip_marker,
                order=order,
            )
        )
        return body

    return register


def none_left(*patterns: str) -> Check:
    """A check: the paths matching any of the patterns ({wd} is the working directory)."""

    def still_present(ctx: SanitizeContext) -> list[PurePosixPath]:
        return sorted({path for pattern in patterns for path in ctx.glob(pattern)})

    return still_present


def nothing_inside(*folders: str) -> Check:
    """A check: anything left inside the folders (the folders themselves may stay)."""

    def still_present(ctx: SanitizeContext) -> list[PurePosixPath]:
        inside = (
            PurePosixPath(folder) / name
            for folder in folders
            if ctx.image.is_dir(folder)
            for name in ctx.image.listdir(folder)
        )
        return sorted(path for path in inside if not ctx.is_marker(path))

    return still_present


def all_of(*checks: Check) -> Check:
    """A check combining others: everything any of them finds."""

    def still_present(ctx: SanitizeContext) -> list[PurePosixPath]:
        return sorted({path for check in checks for path in check(ctx)})

    return still_present


def select(
    profile: Profile, *, enable: Iterable[str] = (), disable: Iterable[str] = ()
) -> list[Operation]:
    """The operations a run performs, in order: the profile's, plus enable, minus disable."""
    enable, disable = list(enable), list(disable)
    problems = [
        Problem(
            f"unknown sanitize operation '{name}'",
            field=option,
            suggestion=suggest(name, OPERATIONS.names()),
        )
        for option, names in (("--enable", enable), ("--disable", disable))
        for name in names
        if name not in OPERATIONS
    ]
    if problems:
        raise ConfigError(problems, hint="'imagewright sanitize --list-operations' lists them")
    both = sorted(set(enable) & set(disable))
    if both:
        raise ConfigError(
            Problem(f"{', '.join(both)}: both enabled and disabled", field="--enable/--disable")
        )
    chosen = [
        op
        for op in OPERATIONS
        if (profile in op.profiles or op.name in enable) and op.name not in disable
    ]
    return sorted(chosen, key=lambda op: (op.order, op.name))


load_all(__name__)

# The entry point the build pipeline calls (its module was just imported by load_all).
from imagewright.sanitize.engine import SanitizeFailed, SanitizeReport  # noqa: E402
from imagewright.sanitize.image import sanitize_image  # noqa: E402
