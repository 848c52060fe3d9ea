"""The PostgreSQL import reads values exactly as the Python rules do (one corpus through both)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts import normalize
from accounts.importing.sqlexpr import PostgresRules, levels_select

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CORPUS = [
    "36.9 Million", "$1.2B", "1,234,567", "611289", "USD 5k", "(1,200)", "$ -3.5m", "2.5 billion", " 7 ", "12.5%",
    "1.2.3", "lots", "N/A", "-", "", "5 million dollars", "12k", "12.5", "2.1M", "2015", "2015.0", "0", "1700",
    "https://www.Acme.com/about", "http://user@www.acme.com:8080/x?y=1", "sales@acme.co.uk", "www.stock.walmart.com",
    "acme.com.", "http://jbkwellnesslab", "www,j-ldimensional.com", "1.2.3.4", "Lowe&#8217;s Companies, Inc.",
    "AT&amp;T   Inc.", "Procter & Gamble Co.", "Acme, L.L.C.", "\u00a0Société Générale\t", "Inc.", "Tab\there",
    "&#x41;&#66;c &bogus; &#0;", "McDonald's", "Line\nbreak", "  ", "unknown", "$", "€ 1.000", "1,5", ".5", "5.",
    "(5)", "1e6", "+5", "US$ 3 mn", "3 thousands", "999999999999999999", "None", "#N/A", "HTTPS://WWW.X.COM/a",
    "www2.acme.com", "wwwacme.com", "www.", "ftp://acme.org", "Acme Inc Inc", "Acme L L C", "Foo Co. Ltd.", "Disco",
    "Taco Co", "Acme  Corp", "A\u00a0 B", "Lowe’s", "1,000,000,000,000,000", "999999999999999.5", "12.0", "1.5k",
    "Co", "inc", " co inc", "Ag Sa Nv", "co.uk", "x@y", "http://", "a b  c\r\nd",
    # Spreadsheet artifacts: errors a formula left behind, and numbers turned into dates.
    "#NAME?", "#name?", " #VALUE! ", "#REF!", "#n/a", "#N/A N/A", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#",
    "####", "########", "Err:502", "#Acme", "##5", "5/18/27", "2027-05-18", "18.05.2027", "2027-05-18 00:00:00",
    "2027/5/18", "18-May", "May-27", "18 May 2027", "May 18, 2027", "sept. 3", "12-Mar-2019", "1.2.3.4.5",
    # Files written with a decimal comma, European scale words, and thousands that are not thousands.
    "1,234", "1.234", "1.234,5", "1.234.567,89", "1,2 Mio €", "1,2 Mio. EUR", "3 Mrd", "3 Mrd.", "250 Tsd",
    "250 T€", "500 TEUR", "2,5 Mia", "4 Md€", "1,5 Bio", "12,5", "1,5", "1,23", "1,2345", "1.2345", "12.34.56",
    "1 234 567,8", "1\u202f234", "1'234.50", "1,234.56", "1.234.56", "(1.234,5)", "-1,5 Mio", "1,,234",
    "12,345,67", ",5", "5,", "1.000.000", "€ 1.000,-", "1,2mio", "3 mln", "7 milliarden", "2 bio",
]  # fmt: skip


def _sql_results(value: str, latest: int = 2027, decimal: str = ".") -> dict[str, object]:
    """Step A and step B of the PostgreSQL import over one cell holding ``value``, read as every kind."""
    rules = PostgresRules(decimal=decimal)
    step_a = levels_select(
        rules.read_levels([(0, "name"), (1, "money"), (2, "website")]),
        "(SELECT 1 AS row_no, '' AS extra, CAST(%s AS text) AS c0, CAST(%s AS text) AS c1, CAST(%s AS text) AS c2)",
        fence=True,
    )
    sql = (
        f"SELECT {rules.text('a.t0')}, {rules.money('a.t1', ('a.m1', 'a.s1', 'a.n1'), 1000)}, "
        f"{rules.count('a.t1', ('a.m1', 'a.s1', 'a.n1'))}, {rules.year('a.t0', latest)}, "
        f"{rules.domain('a.t2', 'a.u2')}, {rules.name_key('a.name_words')}, {rules.is_blank('a.t0')}, "
        f"COALESCE({rules.spreadsheet_error('a.t0')}, false), COALESCE({rules.is_date('a.t0')}, false), "
        f"{rules.website('a.t2')} IS NULL FROM ({step_a}) a"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value, value, value])
        text, money, count, year, domain, name_key, blank, error, date, no_website = cursor.fetchone()
    return {
        "text": text,
        "money": money,
        "count": count,
        "year": year,
        "domain": domain,
        "name_key": name_key,
        "blank": blank,
        "spreadsheet_error": error,
        "date": date,
        "website_empty": no_website,
    }


@pytest.mark.parametrize("decimal", [".", ","])
@pytest.mark.parametrize("value", CORPUS)
def test_postgres_reads_like_python(value, decimal):
    expected = {
        "text": normalize.clean_text(value),
        "money": normalize.parse_money(value, 1000, decimal=decimal),
        "count": normalize.parse_count(value, decimal=decimal),
        "year": normalize.parse_year(value, latest=2027),
        "domain": normalize.normalize_domain(value),
        "name_key": normalize.name_key(value) if normalize.clean_text(value) is not None else None,
        "blank": normalize.is_blank(value),
        "spreadsheet_error": normalize.spreadsheet_error(value),
        "date": normalize.looks_like_date(value),
        "website_empty": normalize.clean_text(value) is None,
    }
    got = _sql_results(value, decimal=decimal)
    if expected["name_key"] is None:
        got["name_key"] = None  # blank names are rejected before their key matters
    assert got == expected
