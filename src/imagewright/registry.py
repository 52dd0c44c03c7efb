"""One generic registry for every kind of declared unit (actions, sanitize operations, checks,
rules, CLI verbs). A package's `__init__` calls `load_all(__name__)` so that adding a unit is
adding its module."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator
from typing import Generic, Protocol, TypeVar

from imagewright.errors import ConfigError, Problem


class Named(Protocol):
    @property
    def name(self) -> str: ...


SpecT = TypeVar("SpecT", bound=Named)

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Registry(Generic[SpecT]):
    """Named specs of one kind. Duplicate names are a programming error."""

    def __init__(self, kind: str, *, name_pattern: re.Pattern[str] | None = KEBAB) -> None:
        self.kind = kind
        self.name_pattern = name_pattern
        self._specs: dict[str, SpecT] = {}

    def add(self, spec: SpecT) -> SpecT:
        if spec.name in self._specs:
            raise ValueError(f"{self.kind} '{spec.name}' is declared twice")
        if self.name_pattern is not None and not self.name_pattern.match(spec.name):
            raise ValueError(f"{self.kind} name '{spec.name}' does not match {self.name_pattern}")
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> SpecT:
        try:
            return self._specs[name]
        except KeyError:
            raise ConfigError(
                Problem(f"unknown {self.kind} '{name}'", suggestion=self.suggest(name))
            ) from None

    def suggest(self, name: str) -> str | None:
        return suggest(name, self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[SpecT]:
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def __len__(self) -> int:
        return len(self._specs)

    def names(self) -> list[str]:
        return sorted(self._specs)


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """The closest known name, for "did you mean"; case-insensitive first."""
    options = list(choices)
    for option in options:
        if option.lower() == name.lower():
            return option
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


def load_all(package: str) -> None:
    """Import every submodule of package so their declarations register themselves."""
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__, prefix=f"{package}."):
        importlib.import_module(info.name)
