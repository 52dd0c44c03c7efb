"""The policy file: trusted principals, public images, threshold, suppressions that expire."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from imagewright.errors import ConfigError
from imagewright.policy.engine import SUPPRESSION_EXPIRED, lint
from imagewright.policy.policyfile import Policy, load_policy, parse_accounts

CORPUS = Path(__file__).parents[2] / "data" / "lint"
SHARED = CORPUS / "awscli" / "get-distribution-configuration-shared.json"
PUBLIC = CORPUS / "imagewright" / "distribution-public.yml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yml"
    path.write_text(text)
    return path


def test_without_trusted_accounts_every_share_is_reported() -> None:
    findings = lint([SHARED], Policy()).findings
    accounts = [f for f in findings if f.rule_id == "share-untrusted-account"]
    assert len(accounts) == 3
    assert all("no trusted accounts are configured" in f.title for f in accounts)


def test_trusted_accounts_from_the_command_line_are_added() -> None:
    policy = Policy().with_trusted_accounts(parse_accounts("111122223333, 210987654321"))
    titles = [f.title for f in lint([SHARED], policy).findings if f.rule_id.startswith("share-")]
    assert len(titles) == 2
    assert any("555566667777" in t for t in titles)
    assert any("o-other00000" in t for t in titles)


def test_bad_trusted_account_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="12-digit"):
        parse_accounts("1234")


def test_ou_of_a_trusted_organization_is_trusted() -> None:
    policy = Policy(trusted_organizations=["o-other00000"], trusted_accounts=["111122223333"])
    rules = [f.rule_id for f in lint([SHARED], policy).findings]
    assert "share-untrusted-organization" not in rules


def test_public_image_allowed_by_policy_is_not_an_error() -> None:
    allowed = Policy(allow_public_images=True)
    findings = [f for f in lint([PUBLIC], allowed).findings if f.rule_id == "image-public"]
    assert [f.severity.value for f in findings] == ["info"]
    denied = [f for f in lint([PUBLIC], Policy()).findings if f.rule_id == "image-public"]
    assert [f.severity.value for f in denied] == ["high"]


def test_suppression_hides_a_finding_until_it_expires(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "trustedAccounts: ['111122223333']\n"
            "suppressions:\n"
            "  - rule: share-untrusted-account\n"
            "    resource: partners\n"
            "    reason: partner contract 2026-17\n"
            "    expires: 2026-12-31\n",
        )
    )
    before = lint([SHARED], policy, today=datetime.date(2026, 12, 1)).findings
    assert "share-untrusted-account" not in {f.rule_id for f in before}
    after = lint([SHARED], policy, today=datetime.date(2027, 1, 1)).findings
    assert "share-untrusted-account" in {f.rule_id for f in after}
    (expired,) = [f for f in after if f.rule_id == SUPPRESSION_EXPIRED]
    assert expired.path == str(tmp_path / "policy.yml")
    assert expired.line == 3
    assert "expired on 2026-12-31" in expired.title
    assert "partner contract" in expired.title


def test_suppression_of_another_resource_does_not_apply(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "suppressions:\n"
            "  - {rule: image-public, resource: other, reason: r, expires: 2999-01-01}\n",
        )
    )
    assert "image-public" in {f.rule_id for f in lint([PUBLIC], policy).findings}


def test_unknown_rule_in_a_suppression_says_where_and_suggests(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "suppressions:\n  - rule: image-publik\n    reason: r\n    expires: 2030-01-01\n",
    )
    with pytest.raises(ConfigError) as error:
        load_policy(path)
    (problem,) = error.value.problems
    assert (problem.line, problem.suggestion) == (2, "image-public")


def test_suppression_without_reason_or_expiry_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_policy(write(tmp_path, "suppressions:\n  - rule: image-public\n"))
    fields = sorted(p.field or "" for p in error.value.problems)
    assert fields == ["suppressions[0].expires", "suppressions[0].reason"]


def test_unknown_policy_field_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_policy(write(tmp_path, "trustedAccount: ['111122223333']\n"))
    (problem,) = error.value.problems
    assert (problem.line, problem.suggestion) == (1, "trustedAccounts")
