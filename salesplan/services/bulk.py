"""Bulk writes on PostgreSQL: lift a table's indexes and keys while a large set-based write runs.

Building an index once over the finished rows is several times faster than updating it row by row, and
a foreign key added back is checked by one join instead of a trigger per row. The price is an exclusive
lock on the table until the transaction commits, so callers do this only for bulk loads (the write at
least doubles what the table holds), and only when the lock comes at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)


def _rows(sql: str, params: list[object]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def bulk_indexes_lift(table: str, *, primary_key: bool = False, lock_timeout: str = "2s") -> list[str]:
    """Inside a transaction: drop ``table``'s foreign keys and secondary indexes (and its primary key if
    ``primary_key``, for a table no other table references). Returns the statements that put them back,
    in order, for ``bulk_indexes_restore``; an empty list, with nothing dropped, if the table is busy or
    the database is not PostgreSQL."""
    if connection.vendor != "postgresql":
        return []
    kinds = ["f", "p"] if primary_key else ["f"]
    constraints = _rows(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = ANY(%s) ORDER BY contype DESC",
        [table, kinds],
    )
    indexes = _rows(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    quote = connection.ops.quote_name
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [lock_timeout])
            for name, _definition, _kind in constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    except OperationalError:
        logger.info("%s is busy: writing with its indexes in place", table)
        return []
    logger.info("%s: lifted %d indexes and %d keys for a bulk write", table, len(indexes), len(constraints))
    primary = [c for c in constraints if c[2] == "p"]
    foreign = [c for c in constraints if c[2] == "f"]
    return [
        *(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}" for name, definition, _k in primary),
        *(definition for _name, definition in indexes),
        *(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}" for name, definition, _k in foreign),
    ]


def bulk_indexes_restore(statements: list[str]) -> None:
    """Rebuild what ``bulk_indexes_lift`` dropped, in the same transaction."""
    if not statements:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for sql in statements:
            cursor.execute(sql)


def table_rows_estimate(table: str) -> int:
    """The planner's row count of a table (0 when never analyzed, or not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return 0
    return max(0, int(_rows("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])[0][0]))


def bulk_replace_scope(
    *,
    table: str,
    scope: tuple[str, int],
    key: str,
    columns: Sequence[str],
    select_sql: str,
    params: Sequence[object],
    stamp: dict[str, object] | None = None,
) -> int:
    """Make the rows of ``table`` in ``scope`` (column, value) what ``select_sql`` returns (``key`` and
    ``columns``), inside the caller's transaction; returns how many rows the scope holds now.

    The scope's first write is one ``INSERT … SELECT`` (a bulk load — at least doubling the table — with the
    indexes lifted and rebuilt after). Later writes compute the new rows into a temporary table and write
    only the difference: changed rows updated, vanished rows deleted, new rows inserted. ``stamp`` columns
    (e.g. a timestamp) are set on every row written.
    """
    postgres = connection.vendor == "postgresql"
    scope_column, scope_id = scope
    stamp = stamp or {}
    names = [scope_column, key, *columns, *stamp]
    insert = f"INSERT INTO {table} ({', '.join(names)}) "
    picked = ", ".join(f"n.{c}" for c in (key, *columns))
    stamps = "".join(", %s" for _ in stamp)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {scope_column} = %s LIMIT 1", [scope_id])
        if cursor.fetchone() is None:
            bulk = table_rows_estimate("accounts_account") >= max(table_rows_estimate(table), 10_000)
            lifted = bulk_indexes_lift(table, primary_key=True) if bulk else []
            cursor.execute(
                f"{insert}SELECT %s, {picked}{stamps} FROM ({select_sql}) n"
                # With the key index in place, rows in key order make it grow at its end, page after page.
                + ("" if lifted else f" ORDER BY n.{key}"),
                [scope_id, *stamp.values(), *params],
            )
            count = cursor.rowcount
            bulk_indexes_restore(lifted)
            return count
        temporary = f"sp_new_{table}"
        cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temporary} AS {select_sql}", list(params))
        cursor.execute(f"SELECT count(*) FROM {temporary}")
        count = cursor.fetchone()[0]
        if postgres:
            cursor.execute(f"ANALYZE {temporary}")
        differs = " OR ".join(f"t.{c} IS DISTINCT FROM n.{c}" if postgres else f"t.{c} IS NOT n.{c}" for c in columns)
        assignments = ", ".join([*(f"{c} = n.{c}" for c in columns), *(f"{c} = %s" for c in stamp)])
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {temporary} n "
            f"WHERE t.{scope_column} = %s AND t.{key} = n.{key} AND ({differs})",
            [*stamp.values(), scope_id],
        )
        cursor.execute(
            f"DELETE FROM {table} WHERE {scope_column} = %s AND NOT EXISTS "
            f"(SELECT 1 FROM {temporary} n WHERE n.{key} = {table}.{key})",
            [scope_id],
        )
        cursor.execute(
            f"{insert}SELECT %s, {picked}{stamps} FROM {temporary} n WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE t.{scope_column} = %s AND t.{key} = n.{key})",
            [scope_id, *stamp.values(), scope_id],
        )
        cursor.execute(f"DROP TABLE {temporary}")
    return count
