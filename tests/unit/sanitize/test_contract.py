"""Registry-wide contract: every operation is declared completely and is covered by the corpus."""

from __future__ import annotations

import pytest
from tests.unit.sanitize.corpus import CORPUS

from imagewright.cli import main
from imagewright.errors import ConfigError
from imagewright.sanitize import EXTENDED, OPERATIONS, SEED, Profile, select
from imagewright.sanitize.context import SKIP_MARKERS


@pytest.mark.parametrize("name", OPERATIONS.names())
def test_declaration_is_complete(name: str) -> None:
    op = OPERATIONS.get(name)
    assert op.summary and op.summary[0].isupper() and op.summary.endswith(".")
    assert op.removes
    assert op.profiles in (SEED, EXTENDED)
    assert callable(op.verified_by)
    assert name in CORPUS, f"{name} has no planted corpus (tests/unit/sanitize/corpus.py)"


def test_extended_profile_is_a_superset_of_the_seed() -> None:
    seed = {op.name for op in select(Profile.ec2_image_builder)}
    extended = {op.name for op in select(Profile.extended)}
    assert seed < extended
    assert "machine-id" in seed


def test_seed_sections_carry_image_builders_skip_markers() -> None:
    markers = {op.skip_marker for op in OPERATIONS if op.skip_marker}
    assert markers == set(SKIP_MARKERS)


def test_enable_and_disable_adjust_a_profile() -> None:
    names = [op.name for op in select(Profile.ec2_image_builder, enable=["bash-history"])]
    assert "bash-history" in names
    names = [op.name for op in select(Profile.extended, disable=["logfiles"])]
    assert "logfiles" not in names


def test_unknown_operation_names_suggest_the_closest() -> None:
    with pytest.raises(ConfigError) as raised:
        select(Profile.extended, enable=["bash-histroy"])
    assert "did you mean 'bash-history'" in str(raised.value)


def test_list_operations_shows_every_operation_with_its_profiles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sanitize", "--list-operations"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for op in OPERATIONS:
        (line,) = [line for line in lines if line.split()[0] == op.name]
        assert ("ec2-image-builder" in line) == (Profile.ec2_image_builder in op.profiles)
        assert "extended" in line
