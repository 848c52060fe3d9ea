"""The importer's SQL functions on SQLite: the Python rules of accounts.normalize under the names the
PostgreSQL migration gives their SQL versions, so one set of import statements serves both databases."""

from __future__ import annotations

from typing import Any

from accounts import normalize


def _money(raw: str | None, unit: Any, decimal: str) -> int | None:
    return normalize.parse_money(raw, int(unit) if unit is not None else 1, decimal=decimal)


def _count(raw: str | None, decimal: str) -> int | None:
    return normalize.parse_count(raw, decimal=decimal)


def _year(raw: str | None, latest: Any) -> int | None:
    return normalize.parse_year(raw, latest=int(latest))


FUNCTIONS = {
    "sp_is_blank": (1, lambda raw: int(normalize.is_blank(raw))),
    "sp_text": (1, normalize.clean_text),
    "sp_key": (1, normalize.key),
    "sp_spreadsheet_error": (1, lambda raw: int(normalize.spreadsheet_error(raw))),
    "sp_is_date": (1, lambda raw: int(normalize.looks_like_date(raw))),
    "sp_money": (3, _money),
    "sp_count": (2, _count),
    "sp_year": (2, _year),
    "sp_domain": (1, normalize.normalize_domain),
    "sp_name_key": (1, normalize.name_key),
}


def register_sqlite_functions(sender: object, connection: Any, **kwargs: object) -> None:
    """``connection_created`` receiver: give every new SQLite connection the importer's functions."""
    if connection.vendor != "sqlite":
        return
    for name, (arity, function) in FUNCTIONS.items():
        connection.connection.create_function(name, arity, function, deterministic=True)
