from __future__ import annotations

import pytest

from imagewright.pipeline.versions import BuildVersion, VersionFilter

VERSIONS = [BuildVersion.of(v, b) for v, b in [("1.0.0", 1), ("1.0.0", 2), ("1.2.0", 1),
                                                ("2.0.1", 3), ("1.10.0", 1)]]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x.x.x", "2.0.1/3"),
        ("1.x.x", "1.10.0/1"),
        ("1.0.x", "1.0.0/2"),
        ("1.0.0", "1.0.0/2"),
        ("1.0.0/1", "1.0.0/1"),
        ("3.x.x", None),
    ],
)
def test_filter_selects_the_highest_accepted_build(text: str, expected: str | None) -> None:
    best = VersionFilter.parse(text).best(VERSIONS)
    assert (str(best) if best else None) == expected


@pytest.mark.parametrize("text", ["1.x.0", "x.1.x", "1.0", "1.x.x/2", "1.0.0/0", "v1.0.0"])
def test_malformed_filters_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=text.replace(".", r"\.")):
        VersionFilter.parse(text)


def test_versions_order_numerically() -> None:
    assert BuildVersion.of("1.10.0", 1) > BuildVersion.of("1.9.0", 7)
    assert str(BuildVersion.of("1.2.3", 4)) == "1.2.3/4"
