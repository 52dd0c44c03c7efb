"""Range arithmetic of the free-space readers, against a byte-per-position model."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from imagewright.scan.freespace import merge, subtract

ranges = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 40)).map(lambda r: (r[0], r[0] + r[1])),
    max_size=12,
)


def covered(spans: list[tuple[int, int]]) -> set[int]:
    return {position for start, end in spans for position in range(start, end)}


@given(ranges)
def test_merge_is_sorted_disjoint_and_covers_the_same(spans: list[tuple[int, int]]) -> None:
    merged = merge(spans)
    assert covered(merged) == covered(spans)
    assert all(start < end for start, end in merged)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(merged))


@given(ranges, ranges)
def test_subtract_leaves_what_is_not_taken(
    spans: list[tuple[int, int]], taken: list[tuple[int, int]]
) -> None:
    result = subtract(spans, taken)
    assert covered(result) == covered(spans) - covered(taken)
    assert merge(result) == result
