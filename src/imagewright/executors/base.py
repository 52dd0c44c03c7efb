"""How commands run and paths resolve inside a target: this host, or an image root."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from imagewright.run import CommandResult, OutputCallback, StrPath


class Executor(Protocol):
    """A place where steps run. Actions use only this, never chroot or mount themselves."""

    kind: str  # "host", "chroot", ...

    def run(
        self,
        argv: Sequence[StrPath],
        *,
        env: Mapping[str, str] | None = None,
        input: str | bytes | None = None,
        timeout: float | None = None,
        cwd: str | None = None,
        on_output: OutputCallback | None = None,
        check: bool = True,
        ok_codes: Sequence[int] = (0,),
    ) -> CommandResult:
        """Run argv inside the target; cwd and every path in argv are the target's."""
        ...

    def resolve(self, path: str) -> Path:
        """The host path of a path inside the target, confined to the target's root."""
        ...
