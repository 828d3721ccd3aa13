"""The customer record's aging bar: each bucket as wide as its share of what is owed, always full."""

from __future__ import annotations

from arrears.services.customer_record import aging_bar


def widths(minors: tuple[int, ...], width: int = 1000) -> list[tuple[str, int, int]]:
    return [(s.bucket, s.x, s.width) for s in aging_bar(minors, width)]


def test_each_bucket_is_as_wide_as_its_share_and_the_segments_follow_each_other() -> None:
    assert widths((5000, 35000, 0, 0, 40000)) == [
        ("current", 0, 62),
        ("1-30", 62, 437),
        ("31-60", 499, 0),
        ("61-90", 499, 0),
        ("91+", 499, 501),
    ]


def test_the_last_owed_bucket_takes_the_rounding_so_the_bar_is_full() -> None:
    segments = aging_bar((1, 1, 1, 0, 0), 1000)

    assert [s.width for s in segments] == [333, 333, 334, 0, 0]
    assert sum(s.width for s in segments) == 1000


def test_nothing_owed_is_an_empty_bar_and_credits_take_no_room() -> None:
    assert [s.width for s in aging_bar((0, 0, 0, 0, 0))] == [0, 0, 0, 0, 0]
    assert [s.width for s in aging_bar((-500, 100, 0, 0, 0))] == [0, 1000, 0, 0, 0]
