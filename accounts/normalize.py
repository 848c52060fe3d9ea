"""How raw spreadsheet values become account fields: the reference rules of the importer.

The same rules run in two places: here in Python (the portable import path on SQLite, the mapping
preview, and ``Account.save``), and as SQL functions on PostgreSQL (migration
``0003_import_sql_functions``) for the set-based fast path. ``tests/test_normalize_parity.py`` runs one
corpus through both and requires identical results, so change both together.

Every parser returns ``None`` for a value it cannot read; the importer turns "not blank but None"
into an error naming the row, column and value.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# Cells that mean "no value" in real spreadsheets.
BLANK_TOKENS = frozenset(
    {"", "n/a", "na", "n.a.", "n.a", "-", "--", "—", "–", "null", "none", "nil", "unknown", "#n/a", "?"}
)
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

# Amounts: "36.9 Million", "$1.2B", "1,234,567", "(1,200)", "USD 5k". The value is compacted (lower
# case; currency signs, commas, spaces and parentheses dropped; a minus sign anywhere or a leading
# parenthesis makes it negative), then read as a number (its leading digits and at most one dot)
# followed by an optional scale word. Written so that SQL can follow it without regular expressions.
SCALE = {
    "k": 10**3, "thousand": 10**3, "thousands": 10**3,
    "m": 10**6, "mm": 10**6, "mn": 10**6, "mil": 10**6, "million": 10**6, "millions": 10**6,
    "b": 10**9, "bn": 10**9, "billion": 10**9, "billions": 10**9,
    "t": 10**12, "tn": 10**12, "trillion": 10**12, "trillions": 10**12,
}  # fmt: skip
COMPACT_DROP = ",$€£() \t\r\n\f\v\u00a0"
_COMPACT = str.maketrans("", "", COMPACT_DROP)
_NUMBER = re.compile(r"[0-9.]*")
_YEAR = re.compile(r"[0-9]{4}(\.0+)?")
MAX_AMOUNT = 10**15  # beyond any real company, and beyond what we store

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


def is_blank(raw: str | None) -> bool:
    return clean_text(raw) is None


def clean_text(raw: str | None) -> str | None:
    """Entities decoded, whitespace collapsed and trimmed; None for a blank cell."""
    if raw is None:
        return None
    text = _SPACES.sub(" ", _unescape(raw)).strip(" ")
    return None if text.lower() in BLANK_TOKENS else text


def key(raw: str | None) -> str | None:
    """Text for matching: cleaned and lower-cased."""
    text = clean_text(raw)
    return text.lower() if text is not None else None


def compact_amount(text: str) -> str:
    return text.lower().replace("us$", "").replace("usd", "").translate(_COMPACT)


def _amount(raw: str | None, unit: int) -> tuple[Decimal, bool] | None:
    """(absolute amount, negative?) of a cell, or None if it is blank or not an amount."""
    if clean_text(raw) is None:
        return None
    compact = compact_amount(raw)
    negative = "-" in compact or "(" in raw
    compact = compact.replace("-", "")
    number = _NUMBER.match(compact).group(0)  # the leading run of digits and dots
    scale = compact[len(number) :].rstrip(".")
    if not number.replace(".", "") or number.count(".") > 1 or (scale and scale not in SCALE):
        return None
    return Decimal(number) * (SCALE[scale] if scale else unit), negative


def parse_money(raw: str | None, unit: int = 1) -> int | None:
    """Whole dollars. A scale word in the value wins over ``unit`` (which applies to bare numbers)."""
    parsed = _amount(raw, unit)
    if parsed is None:
        return None
    amount = parsed[0].to_integral_value(rounding="ROUND_HALF_UP")
    if amount >= MAX_AMOUNT:
        return None
    return -int(amount) if parsed[1] else int(amount)


def parse_count(raw: str | None) -> int | None:
    """A whole, non-negative count such as employees: "1,234", "12k"; "12.5" is not a count."""
    parsed = _amount(raw, 1)
    if parsed is None or parsed[1] or parsed[0] != parsed[0].to_integral_value() or parsed[0] >= MAX_AMOUNT:
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
