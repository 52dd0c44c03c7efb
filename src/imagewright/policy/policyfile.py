"""The lint policy file: trusted accounts and organizations, public images, threshold,
suppressions with a reason and an expiry date."""

from __future__ import annotations

import datetime
from pathlib import Path

from pydantic import Field, PrivateAttr

from imagewright.config.distribution import AccountId
from imagewright.config.imagebuilder import ImageBuilderModel
from imagewright.config.yamlload import position, read_yaml, validate
from imagewright.errors import ConfigError, Problem
from imagewright.findings import Severity


class Suppression(ImageBuilderModel):
    rule: str  # a rule ID
    resource: str | None = None  # only this resource (logical ID, name, ARN, group ID)
    file: str | None = None  # only findings in this file (a glob on its path)
    reason: str = Field(min_length=1)
    expires: datetime.date


class Policy(ImageBuilderModel):
    trusted_accounts: list[AccountId] = Field(default_factory=list)
    trusted_organizations: list[str] = Field(default_factory=list)  # organization ARNs or o-… IDs
    trusted_organizational_units: list[str] = Field(default_factory=list)  # OU ARNs or ou-… IDs
    allow_public_images: bool = False
    severity_threshold: Severity = Severity.high
    suppressions: list[Suppression] = Field(default_factory=list)

    _source: str | None = PrivateAttr(default=None)
    _suppression_lines: list[int | None] = PrivateAttr(default_factory=list)

    @property
    def source(self) -> str | None:
        return self._source

    def suppression_line(self, index: int) -> int | None:
        lines = self._suppression_lines
        return lines[index] if index < len(lines) else None

    def with_trusted_accounts(self, accounts: list[str]) -> Policy:
        merged = self.model_copy(update={"trusted_accounts": [*self.trusted_accounts, *accounts]})
        merged._source, merged._suppression_lines = self._source, self._suppression_lines
        return merged


def load_policy(path: Path) -> Policy:
    from imagewright.policy.rules import RULES

    tree = read_yaml(path)
    if tree is None:
        tree = {}
    policy = validate(Policy, tree, path)
    problems = []
    for index, suppression in enumerate(policy.suppressions):
        if suppression.rule not in RULES:
            line, column = position(tree, ["suppressions", index, "rule"])
            problems.append(
                Problem(
                    f"unknown rule '{suppression.rule}'",
                    file=path,
                    line=line,
                    column=column,
                    field=f"suppressions[{index}].rule",
                    suggestion=RULES.suggest(suppression.rule),
                )
            )
    if problems:
        raise ConfigError(problems)
    policy._source = str(path)
    policy._suppression_lines = [
        position(tree, ["suppressions", i])[0] for i in range(len(policy.suppressions))
    ]
    return policy


def parse_accounts(text: str) -> list[str]:
    """--trusted-accounts 111122223333,444455556666 (commas or spaces)."""
    accounts = [a for a in text.replace(",", " ").split() if a]
    wrong = [a for a in accounts if not (len(a) == 12 and a.isdigit())]
    if wrong:
        raise ConfigError(f"--trusted-accounts: not a 12-digit AWS account ID: {', '.join(wrong)}")
    return accounts
