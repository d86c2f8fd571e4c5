"""Counts of pieces read as English: '1 photo', '5 photos', '2.5 minutes'."""

import pytest

from piecepay.models import pieces_text, units


@pytest.mark.parametrize(
    ("milli", "unit", "said"),
    [
        (1000, "photo", "photo"),
        (2000, "photo", "photos"),
        (1500, "minute", "minutes"),
        (500, "minute", "minutes"),
        (999, "row", "rows"),
        (1001, "row", "rows"),
        (0, "word", "words"),
        (3000, "box", "boxes"),
        (3000, "batch", "batches"),
        (3000, "dish", "dishes"),
        (3000, "entry", "entries"),
        (3000, "survey", "surveys"),
        (3000, "audio minute", "audio minutes"),
        (3000, "pieces", "pieces"),
        (3000, "y", "ys"),
        (3000, "2y", "2ys"),
        (3000, "waltz", "waltzes"),
        (3000, "sky", "skies"),
        (3000, "by", "bies"),
        (3000, "key", "keys"),
        (3000, "x-ray", "x-rays"),
        (3000, "Box", "Boxes"),
        (3000, "ice box", "ice boxes"),
        (1000, "", ""),
    ],
)
def test_a_unit_is_plural_for_any_count_but_one(milli: int, unit: str, said: str) -> None:
    assert units(milli, unit) == said


def test_pieces_text_reads_the_count_and_its_unit() -> None:
    assert pieces_text(1000, "photo") == "1 photo"
    assert pieces_text(5000, "photo") == "5 photos"
    assert pieces_text(2500, "minute") == "2.5 minutes"
