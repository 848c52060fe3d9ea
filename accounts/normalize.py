"""How raw spreadsheet values become account fields: the reference rules of the importer.

The same rules run in two places: here in Python (the portable import path on SQLite, the mapping
preview, and ``Account.save``), and as SQL functions on PostgreSQL (migration
``0003_import_sql_functions``) for the set-based fast path. ``tests/test_normalize_parity.py`` runs one
corpus through both and requires identical results, so change both together.

Every parser returns ``None`` for a value it cannot read; the importer turns "not blank but None"
into a problem naming the row, column and value (accounts/importing/problems.py says which problems
refuse the row). Spreadsheet artifacts are never values: an error a formula left behind (``#NAME?``,
``#REF!``, ``####``) is not blank, not text and not a number, and neither is a date in a numeric
column (``5/18/27``: a spreadsheet turned the number into a date).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# Cells that mean "no value" in real spreadsheets. "#N/A" is not one of them: it is a formula's error,
# which the importer reports (see SPREADSHEET_ERROR_PATTERN).
BLANK_TOKENS = frozenset({"", "n/a", "na", "n.a.", "n.a", "-", "--", "—", "–", "null", "none", "nil", "unknown", "?"})
# What spreadsheets write where a formula failed or a column is too narrow: Excel's and Google Sheets'
# error values, LibreOffice's "Err:502", and "####" (any run of #). Matched on the lower-cased cell.
SPREADSHEET_ERRORS = ("#name?", "#value!", "#ref!", "#n/a", "#div/0!", "#num!", "#null!", "#spill!", "#calc!",
                      "#field!", "#getting_data", "#blocked!", "#connect!", "#busy!", "#unknown!",
                      "#n/a n/a")  # fmt: skip
SPREADSHEET_ERROR_PATTERN = "^(?:#+|" + "|".join(e.replace("?", r"\?") for e in SPREADSHEET_ERRORS) + "|err:[0-9]{3})$"
_SPREADSHEET_ERROR = re.compile(SPREADSHEET_ERROR_PATTERN)
# A number a spreadsheet turned into a date: 5/18/27, 2027-05-18, 18.05.2027 (with or without a time, as
# an .xlsx date cell reads), 18-May, May-27, 18 May 2027, May 18, 2027. Matched on the lower-cased cell.
# The same patterns run in PostgreSQL: no capturing groups, nothing Python-only.
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
DATE_PATTERN = (
    r"^(?:[0-9]{1,4}(?:-[0-9]{1,2}-|/[0-9]{1,2}/|\.[0-9]{1,2}\.)[0-9]{1,4}"
    r"(?:[ t][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
    rf"|[0-9]{{1,2}}[- ]{_MONTHS}(?:[- ][0-9]{{2,4}})?"
    rf"|{_MONTHS}[- ][0-9]{{1,4}}(?:, [0-9]{{4}})?)$"
)
_DATE = re.compile(DATE_PATTERN)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")

# HTML entities seen in scraped company lists (Lowe&#8217;s, AT&amp;T). Numeric ones are decoded in full.
NAMED_ENTITIES = {
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "quot": '"',
    "apos": "'",
    "nbsp": "\u00a0",
    "rsquo": "\u2019",
    "lsquo": "\u2018",
    "rdquo": "\u201d",
    "ldquo": "\u201c",
    "ndash": "\u2013",
    "mdash": "\u2014",
    "hellip": "\u2026",
    "eacute": "é",
    "egrave": "è",
    "aacute": "á",
    "oacute": "ó",
    "uacute": "ú",
    "iacute": "í",
    "ntilde": "ñ",
    "ccedil": "ç",
    "uuml": "ü",
    "ouml": "ö",
    "auml": "ä",
    "copy": "©",
    "reg": "®",
    "trade": "™",
}
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")

# Amounts: "36.9 Million", "$1.2B", "1,234,567", "(1,200)", "USD 5k", and in files written with a
# decimal comma "1.234,5", "1,2 Mio €", "3 Mrd". The value is compacted (lower case; currency signs and
# words, spaces and parentheses dropped; a minus sign anywhere or a parenthesis makes it negative), its
# thousands separators checked (each one followed by three digits, so that "1,5" in a file of decimal
# points is not read as 15) and dropped, its decimal separator read as the point, then read as a number
# (its leading digits and at most one point) followed by an optional scale word. Written so that SQL
# can follow it with one regular expression, and only on cells that hold a thousands separator.
#
# The European scale words are the unambiguous ones: Tsd/Tausend (thousand), Mio/Mln/Millionen
# (million), Mrd/Mia/Md/Mld/Milliarde(n)/Milliard(s) (a thousand million). "Bio"/"Billion(en)" in German
# and "billion" in English differ by a factor of 1,000, so "Bio" is not read (the cell is reported);
# "billion" keeps its English meaning. "T€"/"TEUR" are thousands of euros, as German reports write them.
# Amounts are read in the currency written; nothing is converted.
SCALE = {
    "k": 10**3, "thousand": 10**3, "thousands": 10**3, "tsd": 10**3, "tausend": 10**3,
    "m": 10**6, "mm": 10**6, "mn": 10**6, "mil": 10**6, "million": 10**6, "millions": 10**6,
    "mio": 10**6, "mln": 10**6, "millionen": 10**6,
    "b": 10**9, "bn": 10**9, "billion": 10**9, "billions": 10**9,
    "mrd": 10**9, "mia": 10**9, "md": 10**9, "mds": 10**9, "mld": 10**9, "milliarde": 10**9, "milliarden": 10**9,
    "milliard": 10**9, "milliards": 10**9,
    "t": 10**12, "tn": 10**12, "trillion": 10**12, "trillions": 10**12,
}  # fmt: skip
# Currency words removed from an amount, in this order (after lower-casing): "teur"/"t€" first become
# "tsd", so that the "eur" and "€" removed after them leave the thousand behind.
CURRENCY_WORDS = (("t€", "tsd"), ("teur", "tsd"), ("us$", ""), ("usd", ""), ("eur", ""))
# With a decimal comma, "1.000,-" is a whole amount (German price style), not a negative one.
WHOLE_SUFFIXES = (",--", ",-", ",—", ",–")
COMPACT_DROP = "$€£' \t\r\n\f\v\u00a0\u2009\u202f\u2019"
_COMPACT = str.maketrans("", "", COMPACT_DROP)
# Number styles: the decimal separator, and the thousands separator that goes with it.
NUMBER_STYLES = {".": ",", ",": "."}
# A thousands separator (at the start, or after a digit) not followed by exactly three digits: "1,5"
# where "," groups thousands is not 15, and "1.2" where "." does is not 12.
GROUPING_PATTERNS = {sep: f"(?:^|[0-9])\\{sep}(?![0-9]{{3}}(?:[^0-9]|$))" for sep in NUMBER_STYLES.values()}
_GROUPING = {sep: re.compile(pattern) for sep, pattern in GROUPING_PATTERNS.items()}
_NUMBER = re.compile(r"[0-9.]*")
_YEAR = re.compile(r"[0-9]{4}(\.0+)?")
# Beyond any real company: a larger amount reads as MAX_AMOUNT, which the importer refuses as a wrong
# unit (the cell is never stored, and never taken for an unreadable one).
MAX_AMOUNT = 10**15

_APOSTROPHES = re.compile(r"['’‘]")
_PUNCTUATION = re.compile(r"[.,;:!?\"“”()\[\]{}/\\|@#*+=~^`<>_-]")
LEGAL_SUFFIXES = ("inc", "incorporated", "llc", "l l c", "corp", "corporation", "co", "company", "ltd", "limited",
                  "plc", "lp", "llp", "l l p", "gmbh", "ag", "sa", "nv", "bv")  # fmt: skip
LEGAL_SUFFIX_PATTERN = "(?: (?:" + "|".join(LEGAL_SUFFIXES) + "))+$"
_LEGAL_SUFFIXES = re.compile(LEGAL_SUFFIX_PATTERN)
# Groups are non-capturing: the same pattern runs in PostgreSQL, where capturing groups are slow.
DOMAIN_PATTERN = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z][a-z0-9-]*[a-z0-9]"
_DOMAIN = re.compile(DOMAIN_PATTERN)


def _unescape(text: str) -> str:
    def replace(match: re.Match) -> str:
        body = match.group(1)
        if body[0] == "#":
            code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)
        return NAMED_ENTITIES.get(body.lower(), match.group(0))

    return _ENTITY.sub(replace, text) if "&" in text else text


def _collapsed(raw: str) -> str:
    return _SPACES.sub(" ", _unescape(raw)).strip(" ")


def is_blank(raw: str | None) -> bool:
    """An empty cell or one that means "no value" (N/A, -, unknown); a spreadsheet error is not blank."""
    return raw is None or _collapsed(raw).lower() in BLANK_TOKENS


def spreadsheet_error(raw: str | None) -> bool:
    """Is the cell an error a spreadsheet wrote instead of a value (#NAME?, #REF!, ####, Err:502)?"""
    return raw is not None and bool(_SPREADSHEET_ERROR.match(_collapsed(raw).lower()))


def looks_like_date(raw: str | None) -> bool:
    """Is the cell a date (5/18/27, 2027-05-18, 18-May)? In a numeric column it is a number gone wrong."""
    return raw is not None and bool(_DATE.match(_collapsed(raw).lower()))


def clean_text(raw: str | None) -> str | None:
    """Entities decoded, whitespace collapsed and trimmed; None for a blank cell or a spreadsheet error."""
    if raw is None:
        return None
    text = _collapsed(raw)
    lower = text.lower()
    if lower in BLANK_TOKENS or _SPREADSHEET_ERROR.match(lower):
        return None
    return text


def key(raw: str | None) -> str | None:
    """Text for matching: cleaned and lower-cased."""
    text = clean_text(raw)
    return text.lower() if text is not None else None


def compact_amount(text: str, decimal: str = ".") -> str:
    """Lower case, currency words and signs and spaces removed; separators, signs and parentheses kept."""
    text = text.lower()
    for word, replacement in CURRENCY_WORDS:
        text = text.replace(word, replacement)
    if decimal == ",":
        for suffix in WHOLE_SUFFIXES:
            text = text.replace(suffix, "")
    return text.translate(_COMPACT)


def _amount(raw: str | None, unit: int, decimal: str) -> tuple[Decimal, bool] | None:
    """(absolute amount, at most MAX_AMOUNT; negative?) of a cell, or None if it is blank or not an amount."""
    if clean_text(raw) is None or looks_like_date(raw):
        return None
    compact = compact_amount(raw, decimal)
    negative = "-" in compact or "(" in compact
    thousands = NUMBER_STYLES[decimal]
    if thousands in compact and _GROUPING[thousands].search(compact):
        return None
    for char in "-()":
        compact = compact.replace(char, "")
    compact = compact.replace(thousands, "").replace(decimal, ".")
    number = _NUMBER.match(compact).group(0)  # the leading run of digits and points
    scale = compact[len(number) :].rstrip(".")
    if not number.replace(".", "") or number.count(".") > 1 or (scale and scale not in SCALE):
        return None
    return min(Decimal(number) * (SCALE[scale] if scale else unit), Decimal(MAX_AMOUNT)), negative


def parse_money(raw: str | None, unit: int = 1, *, decimal: str = ".") -> int | None:
    """Whole dollars. A scale word in the value wins over ``unit`` (which applies to bare numbers)."""
    parsed = _amount(raw, unit, decimal)
    if parsed is None:
        return None
    amount = parsed[0].to_integral_value(rounding="ROUND_HALF_UP")
    return -int(amount) if parsed[1] else int(amount)


def parse_count(raw: str | None, *, decimal: str = ".") -> int | None:
    """A whole, non-negative count such as employees: "1,234", "12k"; "12.5" is not a count."""
    parsed = _amount(raw, 1, decimal)
    if parsed is None or parsed[1] or parsed[0] != parsed[0].to_integral_value():
        return None
    return int(parsed[0])


def parse_year(raw: str | None, *, latest: int | None = None) -> int | None:
    """A four-digit year from 1800 to next year; "2015.0" (as spreadsheets export it) is accepted."""
    text = clean_text(raw)
    if text is None or not _YEAR.fullmatch(text):
        return None
    year = int(text[:4])
    latest = latest or dt.date.today().year + 1
    return year if 1800 <= year <= latest else None


def normalize_domain(raw: str | None) -> str | None:
    """``https://www.Acme.com/about`` and ``sales@acme.com`` -> ``acme.com``; None if not a web address."""
    text = key(raw)
    if text is None:
        return None
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.sub(r"^[^@/]*@", "", text)
    text = re.sub(r"[:/?#].*$", "", text)
    text = re.sub(r"^www[0-9]*\.", "", text)
    text = text.rstrip(".")
    return text if _DOMAIN.fullmatch(text) else None


def name_key(raw: str | None) -> str:
    """The name as matched: lower case, "&" as "and", no punctuation, no legal suffix (Inc., LLC…)."""
    text = key(raw)
    if text is None:
        return ""
    text = _PUNCTUATION.sub(" ", _APOSTROPHES.sub("", text).replace("&", " and "))
    text = _SPACES.sub(" ", text).strip(" ")
    return _LEGAL_SUFFIXES.sub("", text).strip(" ") or text
