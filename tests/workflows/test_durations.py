"""ISO 8601 durations used in SLA policies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.durations import format_duration, parse_duration, parse_duration_parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT30S", timedelta(seconds=30)),
        ("PT2S", timedelta(seconds=2)),
        ("P3D", timedelta(days=3)),
        ("PT4H30M", timedelta(hours=4, minutes=30)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P2W", timedelta(days=14)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT1,25S", timedelta(seconds=1, milliseconds=250)),
        ("PT36H", timedelta(hours=36)),
        (" p1dt1m ", timedelta(days=1, minutes=1)),
    ],
)
def test_parse_valid(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("P3D", (3, timedelta(0))),
        ("P1DT2H", (1, timedelta(hours=2))),
        ("P1W", (7, timedelta(0))),
        ("PT36H", (0, timedelta(hours=36))),  # not folded into days: that is working-day math
    ],
)
def test_parse_parts(text: str, parts: tuple[int, timedelta]) -> None:
    assert parse_duration_parts(text) == parts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P1Y", "years and months"),
        ("P1M", "years and months"),
        ("P1Y2M3D", "years and months"),
        ("P0D", "positive"),
        ("PT0S", "positive"),
        ("-P1D", "negative"),
        ("", "invalid"),
        ("P", "invalid"),
        ("PT", "invalid"),
        ("P1DT", "invalid"),
        ("1D", "invalid"),
        ("PT1.5H", "invalid"),
        ("P1.5D", "invalid"),
        ("P1W2D", "invalid"),
        ("PT1M1H", "invalid"),
        ("P1DT2H3", "invalid"),
        ("thirty seconds", "invalid"),
        ("PT99999999999999999999S", "out of range"),
    ],
)
def test_parse_invalid(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_duration(30)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(days=1, hours=2, minutes=30), "P1DT2H30M"),
        (timedelta(seconds=2), "PT2S"),
        (timedelta(milliseconds=500), "PT0.5S"),
        (timedelta(days=3), "P3D"),
        (timedelta(hours=36), "P1DT12H"),
        (timedelta(0), "PT0S"),
    ],
)
def test_format(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


def test_format_rejects_negative() -> None:
    with pytest.raises(ValueError):
        format_duration(timedelta(seconds=-1))


@settings(max_examples=200, deadline=None)
@given(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=10_000)))
def test_format_parse_round_trip(td: timedelta) -> None:
    assert parse_duration(format_duration(td)) == td
