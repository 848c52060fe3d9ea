"""What the importer reports about a cell: which problems refuse the row, which only leave a value empty.

The line, as the README's "Imports" bullet and the mapping screen state it:

* **Error: the row is refused** (all or nothing by default) when it cannot be imported without
  misstating the account — it has no name, or a name that is a spreadsheet error or has no letter or
  digit; it has more cells than the header (its values may sit under the wrong columns); an amount that
  reads but cannot be right (negative, over $10 trillion, over 5 million employees: a wrong unit or a
  wrong column, which would make every other value of that column suspect); a lifecycle we cannot read
  (a new account would silently become a prospect, and its strategy with it); an owner who is no active
  user (the account would not go to the person the file names, and visibility follows the owner).
* **Warning: the row is imported without that value** for everything else a cell of an optional
  column can get wrong — a web address, year, amount or count that does not read, a spreadsheet error
  (``#VALUE!``) or a date (``5/18/27``) where a value belongs, an unknown country or ownership, text too
  long for its field. The value stays unknown (never zero, never a guess) and the problems CSV keeps
  what the cell held, so nothing is lost.

The pipeline (accounts/importing/pipeline.py) writes these rules as SQL over every row; the mapping
preview reads the first rows with :func:`cell_problem`, so both name the same problem in the same words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts import normalize

ERROR = "error"
WARNING = "warning"
MAX_MONEY = 10**13  # $10 trillion: more than any company's revenue, so a wrong unit is caught
MAX_EMPLOYEES = 5_000_000


@dataclass(frozen=True)
class Problem:
    code: str
    kind: str  # ERROR refuses the row; WARNING leaves the value empty
    reason: str


def _latest_year() -> int:
    return dt.date.today().year + 1


_UNREADABLE = {
    "money": "not an amount: use digits with an optional $ and K, M or B (1,200,000 · $1.2M · 36.9 Million)",
    "count": "not a whole number (1,234 or 12k)",
    "domain": "not a web address (acme.com or https://www.acme.com)",
    "website": "not a web address (acme.com or https://www.acme.com)",
    "country": "not a country we know: use a name (Canada) or an ISO code (CA)",
    "lifecycle": "not a lifecycle: use prospect, customer or former customer",
    "ownership": "not an ownership: use public or private",
    "owner": "no active user has this username or email",
}
# Kinds whose unreadable value refuses the row (see the module docstring for why).
_REFUSED_WHEN_UNREADABLE = {"lifecycle", "owner"}
_MARK = "is a spreadsheet's error mark (a formula that failed, or #### for a column too narrow)"
SPREADSHEET_ERROR = f"{_MARK}, not a value"
DATE_IN_NUMBER = "is a date, not a number: the spreadsheet turned this number into a date"


def problem(code: str, *, field: str, kind: str, max_length: int = 0) -> Problem:
    """The problem ``code`` in a cell of ``field`` (whose reading kind is ``kind``): how bad, and why."""
    if field == "name":
        reasons = {
            "spreadsheet_error": f"{_MARK}, not a company name",
            "required": "a company name is required",
            "no_letters": "has no letter or digit: not a company name",
            "too_long": f"is longer than {max_length} characters",
        }
        return Problem(code, ERROR, reasons[code])
    if code == "spreadsheet_error":
        return Problem(code, WARNING, SPREADSHEET_ERROR)
    if code == "date":
        return Problem(code, WARNING, DATE_IN_NUMBER)
    if code == "negative":
        return Problem(code, ERROR, "must not be negative")
    if code == "too_large":
        if kind == "count":
            return Problem(code, ERROR, "is more than 5 million employees: check this column")
        return Problem(code, ERROR, "is more than $10 trillion: check the unit of this column")
    if code == "percent":
        return Problem(code, WARNING, "is a percentage, not an amount")
    if code == "unreadable":
        reason = f"not a year between 1800 and {_latest_year()}" if kind == "year" else _UNREADABLE[kind]
        return Problem(code, ERROR if kind in _REFUSED_WHEN_UNREADABLE else WARNING, reason)
    if code == "too_long":
        return Problem(code, WARNING, f"is longer than {max_length} characters")
    raise ValueError(f"unknown problem {code!r}")


def extra_cells(width: int) -> Problem:
    """A row longer than the header: its values may sit under the wrong columns."""
    return Problem("extra_cells", ERROR, f"has more cells than the header's {width} columns")


def cell_problem(*, field: str, kind: str, raw: str, value: object, max_length: int = 0) -> Problem | None:
    """The problem of one cell as the import will see it, given the value read from it (None: unread).

    The Python side of the rules that the pipeline writes as SQL; the mapping preview uses it.
    """
    if normalize.is_blank(raw):
        return problem("required", field=field, kind=kind) if field == "name" else None
    if normalize.spreadsheet_error(raw):
        return problem("spreadsheet_error", field=field, kind=kind)
    if field == "name":
        if normalize.name_key(raw) == "":
            return problem("no_letters", field=field, kind=kind)
    elif kind in {"money", "count", "year"} and value is None and normalize.looks_like_date(raw):
        return problem("date", field=field, kind=kind)
    if kind in {"money", "count"} and isinstance(value, int):
        if value < 0:
            return problem("negative", field=field, kind=kind)
        if value > (MAX_EMPLOYEES if kind == "count" else MAX_MONEY):
            return problem("too_large", field=field, kind=kind)
    if value is None and field != "name":
        if kind == "money" and "%" in raw:
            return problem("percent", field=field, kind=kind)
        if kind in _UNREADABLE or kind == "year":
            return problem("unreadable", field=field, kind=kind)
    if max_length and isinstance(value, str) and len(value) > max_length:
        return problem("too_long", field=field, kind=kind, max_length=max_length)
    return None
