"""The tangent cuts of the LP bound hold for every subset size of a client class."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clientbase.planning.relaxation import _envelope


@given(st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=60))
def test_envelope_cuts_contain_the_potential_of_every_possible_subset_size(
    values: list[float],
) -> None:
    desc = sorted(values, reverse=True)
    cuts = _envelope(values)
    for n in range(len(values) + 1):
        most = sum(desc[:n])
        least = sum(desc[len(desc) - n :]) if n else 0.0
        for a_high, b_high, a_low, b_low in cuts:
            assert most <= a_high + b_high * n + 1e-6 * (1 + most)
            assert least >= a_low + b_low * n - 1e-6 * (1 + least)
