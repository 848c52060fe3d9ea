"""The value-reading rules of imports (accounts/normalize.py)."""

from __future__ import annotations

import pytest

from accounts import normalize


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("36.9 Million", 1, 36_900_000),
        ("$1.2B", 1, 1_200_000_000),
        ("1,234,567", 1, 1_234_567),
        ("611289", 1_000_000, 611_289_000_000),  # Fortune's Revenues_M column
        ("USD 5k", 1, 5_000),
        ("(1,200)", 1, -1_200),
        ("$ -3.5m", 1, -3_500_000),
        ("2.5 billion", 1, 2_500_000_000),
        (" 7 ", 1_000, 7_000),
        ("12.5%", 1, None),
        ("1.2.3", 1, None),
        ("lots", 1, None),
        ("N/A", 1, None),
        ("-", 1, None),
        ("", 1, None),
        (None, 1, None),
        ("5 million dollars", 1, None),
    ],
)
def test_parse_money(raw, unit, expected):
    assert normalize.parse_money(raw, unit) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,234", 1_234), ("12k", 12_000), ("40", 40), ("12.5", None), ("-3", None), ("2.1M", 2_100_000), ("n/a", None)],
)
def test_parse_count(raw, expected):
    assert normalize.parse_count(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2015", 2015), ("2015.0", 2015), ("0", None), ("1700", None), ("2101", None), ("founded 1999", None)],
)
def test_parse_year(raw, expected):
    assert normalize.parse_year(raw, latest=2027) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("http://user@www.acme.com:8080/x?y=1", "acme.com"),
        ("sales@acme.co.uk", "acme.co.uk"),
        ("www.stock.walmart.com", "stock.walmart.com"),
        ("acme.com.", "acme.com"),
        ("http://jbkwellnesslab", None),
        ("www,j-ldimensional.com", None),
        ("1.2.3.4", None),
        ("not a url", None),
    ],
)
def test_normalize_domain(raw, expected):
    assert normalize.normalize_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "text", "key"),
    [
        ("Lowe&#8217;s Companies, Inc.", "Lowe’s Companies, Inc.", "lowes companies"),
        ("AT&amp;T   Inc.", "AT&T Inc.", "at and t"),
        ("Procter & Gamble Co.", "Procter & Gamble Co.", "procter and gamble"),
        ("Acme, L.L.C.", "Acme, L.L.C.", "acme"),
        ("\u00a0Société Générale\t", "Société Générale", "société générale"),
        ("Inc.", "Inc.", "inc"),
    ],
)
def test_clean_text_and_name_key(raw, text, key):
    assert normalize.clean_text(raw) == text
    assert normalize.name_key(raw) == key


@pytest.mark.parametrize("raw", ["", "  ", "N/A", "n.a.", "-", "—", "null", "None", "unknown", "&nbsp;"])
def test_blank_cells(raw):
    assert normalize.is_blank(raw)
    assert normalize.clean_text(raw) is None
