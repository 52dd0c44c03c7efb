"""Steps run on this host, as awstoe does by default."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from imagewright.run import CommandResult, OutputCallback, StrPath, run


class HostExecutor:
    kind = "host"

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
        # awstoe runs steps in the caller's environment; so do we on the host.
        environment = dict(os.environ) if env is None else dict(env)
        return run(
            argv,
            env=environment,
            input=input,
            timeout=timeout,
            cwd=cwd,
            on_output=on_output,
            check=check,
            ok_codes=ok_codes,
        )

    def resolve(self, path: str) -> Path:
        return Path(path)
