"""The set-based import: stage the raw file, read every value with SQL, report problems, dedupe, match
and merge, in a handful of statements whatever the number of rows.

Stages, each one statement over all rows (the row loop lives in the database, never in Python):

1. **load**   raw cells into ``imp_raw_<id>``: PostgreSQL streams the file itself through COPY (falling
   back to a Python-read stream when the file needs repair, e.g. blank or short lines); SQLite gets
   batches of rows from Python's csv reader.
2. **read**   ``imp_rows_<id>``: one typed column per mapped field, computed by accounts/importing/sqlexpr.py
   (SQL on PostgreSQL, the same rules in Python on SQLite), joined with alias tables for countries,
   states and owners.
3. **check**  one INSERT…SELECT of ``ImportIssue`` rows per rule: row, column, value, reason.
4. **match**  by normalized domain, else by normalized name and country; duplicates inside the file.
5. **merge**  one UPDATE of changed accounts and one INSERT of new ones, in a single transaction.

The staging tables are UNLOGGED on PostgreSQL (fast, and unlike TEMP tables they can be scanned in
parallel), named after the import so that a re-run after a crash starts clean, and dropped at the end.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from accounts.importing.fields import (
    FIELDS_BY_KEY,
    LIFECYCLE_ALIASES,
    OWNERSHIP_ALIASES,
    country_aliases,
    state_aliases,
)
from accounts.importing.files import CsvStream, FileInfo, file_rows, numbered_rows, pg_encoding
from accounts.importing.problems import MAX_EMPLOYEES, MAX_MONEY, WARNING, Problem, extra_cells, problem
from accounts.importing.sqlexpr import levels_select, rules_for
from accounts.models import Account, AccountImport, ImportIssue, IndustryMapping
from accounts.normalize import BLANK_TOKENS
from salesplan.services.bulk import bulk_indexes_lift, bulk_indexes_restore, table_rows_estimate

logger = logging.getLogger(__name__)
ACCOUNT = Account._meta.db_table
ISSUE = ImportIssue._meta.db_table
MAPPING = IndustryMapping._meta.db_table
# Columns of imp_rows and their SQL types; every field exists even when unmapped (then NULL).
_ROW_COLUMNS = {
    "name": "text", "domain": "text", "website": "text", "industry": "text", "annual_revenue": "bigint",
    "employees": "bigint", "country": "text", "state": "text", "city": "text", "postal_code": "text",
    "ownership": "text", "ticker": "text", "founded_year": "integer", "lifecycle": "text", "current_sales": "bigint",
    "wallet": "bigint", "owner_id": "bigint", "parent_domain": "text",
}  # fmt: skip
# Fields an import may change on an existing account: a blank cell never erases what is known.
_MERGE_FIELDS = [
    "name", "website", "industry", "annual_revenue", "employees", "country", "state", "city", "postal_code",
    "ownership", "ticker", "founded_year", "lifecycle", "current_sales", "wallet", "owner_id",
]  # fmt: skip


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class ImportCounts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0


Progress = Callable[[int, str], None]


def active_user_keys(*, value: str = "username") -> dict[str, object]:
    """Lower-case usernames and emails of active users -> their ``value``: how an owner cell is read.
    A username wins over another user's email; of two users with one email, the newest."""
    from salesplan.models import User

    owners: dict[str, object] = {}
    for found, username, email in (
        User.objects.filter(is_active=True).order_by("-pk").values_list(value, "username", "email")
    ):
        owners[username.lower()] = found
        if email:
            owners.setdefault(email.lower(), found)
    return owners


class ImportPipeline:
    """Runs one AccountImport through the stages above on the default database connection."""

    def __init__(self, account_import: AccountImport, *, path: Path, info: FileInfo, progress: Progress) -> None:
        self.imp = account_import
        self.path = path
        self.info = info
        self.progress = progress
        self.postgres = connection.vendor == "postgresql"
        self.decimal = account_import.mapping.get("decimal") or "."
        self.sql = rules_for(connection.vendor, decimal=self.decimal)
        self.raw = f"imp_raw_{account_import.pk}"
        self.clean = f"imp_clean_{account_import.pk}"
        self.rows = f"imp_rows_{account_import.pk}"
        self.alias = f"imp_alias_{account_import.pk}"
        self.width = len(info.headers)
        self.columns: dict[str, int] = {field: int(index) for index, field in account_import.mapping["columns"].items()}
        self.units: dict[str, int] = {k: int(v) for k, v in account_import.mapping.get("units", {}).items()}
        self.default_country = account_import.mapping.get("default_country") or "US"
        self.latest_year = dt.date.today().year + 1

    # --- helpers ----------------------------------------------------------------------------------

    def _sql(self, sql: str, params: Iterable[object] = ()) -> int:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            count = cursor.rowcount
        logger.debug("import %s: %.3f s, %s rows: %s", self.imp.pk, time.perf_counter() - started, count, sql[:160])
        return count

    def _rows(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()

    def _scalar(self, sql: str, params: Iterable[object] = ()) -> object:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchone()[0]

    def _drop(self) -> None:
        for table in (self.raw, self.clean, self.rows, self.alias):
            self._sql(f"DROP TABLE IF EXISTS {table}")

    @property
    def _unlogged(self) -> str:
        return "UNLOGGED" if self.postgres else ""

    def _distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.postgres else f"{a} IS NOT {b}"

    # --- 1. load ----------------------------------------------------------------------------------

    def load(self) -> int:
        self._drop()
        cells = ", ".join(f"c{i} text" for i in range(self.width))
        # The identity numbers rows in file order when PostgreSQL reads the file itself (COPY … HEADER).
        row_no = "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if self.postgres else "bigint PRIMARY KEY"
        self._sql(f"CREATE {self._unlogged} TABLE {self.raw} (row_no {row_no}, {cells}, extra text)")
        if self.postgres:
            self._load_postgres()
        else:
            self._load_portable()
        total = int(self._scalar(f"SELECT count(*) FROM {self.raw}"))
        if self.postgres:
            self._sql(f"ANALYZE {self.raw}")
        return total

    def _load_postgres(self) -> None:
        if self.info.file_format == "csv" and self._copy_file_directly():
            return
        columns = ", ".join(["row_no", *(f"c{i}" for i in range(self.width)), "extra"])
        rows = numbered_rows(self._data_rows(), self.width)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {self.raw} ({columns}) FROM STDIN WITH (FORMAT csv)", CsvStream(rows))

    def _copy_file_directly(self) -> bool:
        """Let PostgreSQL parse a well-formed CSV itself; False (and nothing loaded) if it needs repair.

        Blank lines, rows shorter or longer than the header, or a mixed encoding make COPY stop: the
        Python reader then takes over, repairing what it can and numbering rows the same way. So does an
        encoding COPY cannot read (Mac Roman, UTF-16): the Python reader decodes it and hands COPY UTF-8.
        """
        import psycopg2

        encoding = pg_encoding(self.info.encoding)
        delimiter = {",": "','", ";": "';'", "\t": "E'\\t'", "|": "'|'"}.get(self.info.delimiter)
        if encoding is None or delimiter is None:
            return False
        columns = ", ".join(f"c{i}" for i in range(self.width))
        sql = (
            f"COPY {self.raw} ({columns}) FROM STDIN WITH "
            f"(FORMAT csv, HEADER true, DELIMITER {delimiter}, ENCODING '{encoding}')"
        )
        try:
            with transaction.atomic(), connection.cursor() as cursor, self.path.open("rb") as handle:
                cursor.cursor.copy_expert(sql, handle, size=1 << 20)
        except psycopg2.Error as exc:
            logger.info(
                "import %s: COPY could not read the file as is (%s); reading it in Python",
                self.imp.pk,
                str(exc).splitlines()[0],
            )
            return False
        return True

    def _load_portable(self) -> None:
        placeholders = ", ".join(["%s"] * (self.width + 2))
        batch: list[list[str]] = []
        with connection.cursor() as cursor:
            for row in numbered_rows(self._data_rows(), self.width):
                batch.append(row)
                if len(batch) == 10_000:
                    cursor.executemany(f"INSERT INTO {self.raw} VALUES ({placeholders})", batch)
                    batch = []
            if batch:
                cursor.executemany(f"INSERT INTO {self.raw} VALUES ({placeholders})", batch)

    def _data_rows(self) -> Iterable[list[str]]:
        rows = iter(file_rows(self.path, self.info))
        next(rows, None)  # the header
        return rows

    # --- 2. read ----------------------------------------------------------------------------------

    def _aliases(self) -> None:
        self._sql(f"CREATE {self._unlogged} TABLE {self.alias} (kind text, alias text, value text)")
        entries = [("country", k, v) for k, v in country_aliases().items()]
        if "state" in self.columns:
            entries += [("state", k, v) for k, v in state_aliases().items()]
        entries += [("lifecycle", k, v) for k, v in LIFECYCLE_ALIASES.items()]
        entries += [("ownership", k, v) for k, v in OWNERSHIP_ALIASES.items()]
        if "owner" in self.columns:
            entries += [("owner", k, str(v)) for k, v in active_user_keys(value="pk").items()]
        entries = [entry for entry in entries if entry[1] not in BLANK_TOKENS]  # a blank cell matches nothing
        with connection.cursor() as cursor:
            for start in range(0, len(entries), 500):  # a few statements, not one round trip per alias
                chunk = entries[start : start + 500]
                values = ", ".join(["(%s, %s, %s)"] * len(chunk))
                cursor.execute(f"INSERT INTO {self.alias} VALUES {values}", [v for entry in chunk for v in entry])
        self._sql(f"CREATE INDEX {self.alias}_idx ON {self.alias} (kind, alias)")
        if self.postgres:
            self._sql(f"ANALYZE {self.alias}")

    def _cell(self, field: str) -> str:
        return f"a.t{self.columns[field]}"

    def _join(self, joins: list[str], alias: str, kind: str, cell: str) -> str:
        joins.append(
            f"LEFT JOIN {self.alias} {alias} ON {alias}.kind = '{kind}' AND {alias}.alias = {self.sql.key(cell)}"
        )
        return f"{alias}.value"

    def _select_list(self) -> tuple[list[str], list[str], list[object]]:
        """SELECT expressions reading every field from the raw cells, their joins, and their parameters."""
        rules, mapped, joins = self.sql, self.columns, []
        exprs: dict[str, str] = {}
        if "country" in mapped:
            looked_up = self._join(joins, "co", "country", self._cell("country"))
            country = f"COALESCE({looked_up}, CASE WHEN {rules.is_blank(self._cell('country'))} THEN %s END)"
        else:
            country = "%s"
        for field in _ROW_COLUMNS:
            kind = FIELDS_BY_KEY[field].kind if field in FIELDS_BY_KEY else field
            cell = self._cell(field) if field in mapped else ""
            if field == "domain":
                sources = [
                    rules.domain(self._cell(f), f"a.u{self.columns[f]}") for f in ("domain", "website") if f in mapped
                ]
                exprs[field] = f"COALESCE({', '.join(sources)}, NULL)" if sources else "NULL"
            elif field == "country":
                exprs[field] = country
            elif field == "owner_id":
                exprs[field] = self._join(joins, "ow", "owner", self._cell("owner")) if "owner" in mapped else "NULL"
            elif field not in mapped:
                exprs[field] = "NULL"
            elif kind == "money":
                i = self.columns[field]
                exprs[field] = rules.money(cell, (f"a.m{i}", f"a.s{i}", f"a.n{i}"), self.units.get(field, 1))
            elif kind == "count":
                i = self.columns[field]
                exprs[field] = rules.count(cell, (f"a.m{i}", f"a.s{i}", f"a.n{i}"))
            elif kind == "year":
                exprs[field] = rules.year(cell, self.latest_year)
            elif kind == "website":
                exprs[field] = rules.website(cell)
            elif kind == "domain":
                exprs[field] = rules.domain(cell, f"a.u{self.columns[field]}")
            elif kind in {"lifecycle", "ownership"}:
                exprs[field] = self._join(joins, {"lifecycle": "lc", "ownership": "os"}[kind], kind, cell)
            elif kind == "state":
                # US state names become codes; elsewhere the region is kept as written (Georgia is a country too).
                looked_up = self._join(joins, "st", "state", cell)
                exprs[field] = (
                    f"CASE WHEN {country} = 'US' THEN COALESCE({looked_up}, {rules.text(cell)}) "
                    f"ELSE {rules.text(cell)} END"
                )
            elif field == "ticker":
                exprs[field] = f"upper({rules.text(cell)})"
            else:
                exprs[field] = rules.text(cell)
        # Every placeholder is the default country; they follow the order of the SELECT list.
        params = [self.default_country] * sum(exprs[f].count("%s") for f in _ROW_COLUMNS)
        name_key = rules.name_key("a.name_words") if "name" in mapped else "''"
        selects = [
            "a.row_no",
            *(f"CAST({exprs[f]} AS {t}) AS {f}" for f, t in _ROW_COLUMNS.items()),
            f"CAST({name_key} AS text) AS name_key",
            "a.extra",
        ]
        return selects, joins, params

    def _step_a(self) -> str:
        """The SELECT of step A: every mapped cell cleaned once, and what step B reads of it."""
        cells = [(i, "name" if f == "name" else FIELDS_BY_KEY[f].kind) for f, i in self.columns.items()]
        return levels_select(self.sql.read_levels(cells), self.raw, fence=self.postgres)

    def read(self) -> None:
        self._aliases()
        if self.postgres:
            # The expressions cost far more than handing rows between processes: let every core work.
            self._sql("SET parallel_setup_cost = 0")
            self._sql("SET parallel_tuple_cost = 0.001")
        # Step A: every mapped cell cleaned once, and what step B reads of it.
        self._sql(f"CREATE {self._unlogged} TABLE {self.clean} AS {self._step_a()}")
        self._sql(f"CREATE UNIQUE INDEX {self.clean}_row ON {self.clean} (row_no)")
        # Step B: typed values from the cleaned text, and the existing account with the same domain.
        selects, joins, params = self._select_list()
        fence = ", pg_jit_available() AS fence" if self.postgres else ""  # see sqlexpr.levels_select
        columns = ", ".join(f"b.{column}" for column in ("row_no", *_ROW_COLUMNS, "name_key", "extra"))
        self._sql(
            f"CREATE {self._unlogged} TABLE {self.rows} AS SELECT {columns}, "
            "CAST(m.id AS bigint) AS account_id, CAST(NULL AS bigint) AS dup_of, CAST(1 AS integer) AS ok "
            f"FROM (SELECT {', '.join(selects)}{fence} FROM {self.clean} a {' '.join(joins)}) b "
            f"LEFT JOIN {ACCOUNT} m ON m.domain = b.domain",
            params,
        )
        self._sql(f"CREATE UNIQUE INDEX {self.rows}_row ON {self.rows} (row_no)")
        if self.postgres:
            self._sql(f"ANALYZE {self.rows}")

    # --- 3. check ---------------------------------------------------------------------------------

    def _issue(
        self,
        *,
        column: str | None,
        value_sql: str,
        reason_sql: str,
        where: str,
        kind: str = "error",
        params: Iterable[object] = (),
    ) -> int:
        header = self.info.headers[self.columns[column]] if column in self.columns else (column or "")
        return self._sql(
            f"INSERT INTO {ISSUE} (account_import_id, {_q('row')}, {_q('column')}, value, reason, kind) "
            f"SELECT %s, x.row_no + 1, %s, COALESCE(substr({value_sql}, 1, 300), ''), {reason_sql}, %s "
            f"FROM {self.rows} x JOIN {self.raw} r ON r.row_no = x.row_no JOIN {self.clean} a ON a.row_no = x.row_no "
            f"WHERE {where}",
            [self.imp.pk, header, *params, kind],
        )

    def _rules(self, field: str, index: int) -> list[tuple[str, Problem]]:
        """(condition on x = imp_rows, a = imp_clean, r = imp_raw; problem) for one mapped column, in the
        order they are tried: a cell gets the first that holds. problems.py says which refuse the row.
        The costly date pattern runs only on cells whose value did not read."""
        spec, sql, t = FIELDS_BY_KEY[field], self.sql, f"a.t{index}"
        kind = "name" if field == "name" else spec.kind
        value = f"x.{ {'owner': 'owner_id', 'website': 'domain'}.get(field, field) }"
        stored = "x.website" if field == "website" else value
        present = f"NOT ({sql.is_blank(t)})"
        artifact = sql.spreadsheet_error(t)
        unread = f"{value} IS NULL AND {present} AND NOT {artifact}"
        if field == "website" and "domain" in self.columns:
            unread += f" AND ({sql.domain(t, f'a.u{index}')}) IS NULL"
        if kind in {"money", "count", "year"}:
            date = f"(CASE WHEN {value} IS NULL THEN {sql.is_date(t)} ELSE false END)"
            dated, unread = f"{unread} AND {date}", f"{unread} AND NOT {date}"
        rules = [(f"{stored} IS NULL AND {present} AND {artifact}", "spreadsheet_error")]
        if field == "name":
            rules += [
                (f"x.name IS NULL AND NOT ({present} AND {artifact})", "required"),
                ("x.name_key = '' AND x.name IS NOT NULL", "no_letters"),
            ]
        elif kind == "money":
            percent = f"r.c{index} LIKE '%%\\%%%%' ESCAPE '\\'"
            rules += [
                (f"{value} < 0", "negative"),
                (f"{value} > {MAX_MONEY}", "too_large"),
                (dated, "date"),
                (f"{unread} AND {percent}", "percent"),
                (f"{unread} AND NOT {percent}", "unreadable"),
            ]
        elif kind == "count":
            rules += [(f"{value} > {MAX_EMPLOYEES}", "too_large"), (dated, "date"), (unread, "unreadable")]
        elif kind == "year":
            rules += [(dated, "date"), (unread, "unreadable")]
        elif kind in {"domain", "website", "country", "lifecycle", "ownership", "owner"}:
            rules.append((unread, "unreadable"))
        if spec.max_length:
            rules.append((f"length({stored}) > {spec.max_length}", "too_long"))
        return [(where, problem(code, field=field, kind=kind, max_length=spec.max_length)) for where, code in rules]

    def _prefilter(self, field: str, index: int) -> str:
        """What every problem of the column needs: a test of the read value alone, and (except for the
        name, which must not be blank) a cell that is not blank; PostgreSQL applies both before joining."""
        spec = FIELDS_BY_KEY[field]
        value = f"x.{ {'owner': 'owner_id', 'website': 'domain'}.get(field, field) }"
        stored = "x.website" if field == "website" else value
        tests = [f"{value} IS NULL", f"{stored} IS NULL"]
        if spec.kind in {"money", "count"}:
            tests += [f"{value} < 0", f"{value} > {MAX_MONEY if spec.kind == 'money' else MAX_EMPLOYEES}"]
        if spec.max_length:
            tests.append(f"length({stored}) > {spec.max_length}")
        if field == "name":
            return "(" + " OR ".join([*tests, "x.name_key = ''"]) + ")"
        return f"({' OR '.join(dict.fromkeys(tests))}) AND NOT ({self.sql.is_blank(f'a.t{index}')})"

    def _check_column(self, field: str, index: int) -> None:
        """One statement records every problem of one column (the first rule that holds, per cell); then
        the values that only warned are cleared, so their rows import without them."""
        rules = self._rules(field, index)
        codes = " ".join(f"WHEN {where} THEN {n}" for n, (where, _found) in enumerate(rules))
        found = (
            f"SELECT x.row_no, r.c{index} AS cell, CASE {codes} END AS code FROM {self.rows} x "
            f"JOIN {self.raw} r ON r.row_no = x.row_no JOIN {self.clean} a ON a.row_no = x.row_no "
            f"WHERE {self._prefilter(field, index)}"
        )
        reasons = " ".join(f"WHEN {n} THEN %s" for n in range(len(rules)))
        kinds = " ".join(f"WHEN {n} THEN %s" for n in range(len(rules)))
        count = self._sql(
            f"INSERT INTO {ISSUE} (account_import_id, {_q('row')}, {_q('column')}, value, reason, kind) "
            f"SELECT %s, p.row_no + 1, %s, COALESCE(substr(p.cell, 1, 300), ''), CASE p.code {reasons} END, "
            f"CASE p.code {kinds} END FROM ({found}) p WHERE p.code IS NOT NULL",
            [self.imp.pk, self.info.headers[index], *(f.reason for _w, f in rules), *(f.kind for _w, f in rules)],
        )
        warned = [str(n) for n, (_where, f) in enumerate(rules) if f.kind == WARNING]
        if count and warned:
            column = {"owner": "owner_id"}.get(field, field)
            self._sql(
                f"UPDATE {self.rows} SET {column} = NULL WHERE row_no IN "
                f"(SELECT p.row_no FROM ({found}) p WHERE p.code IN ({', '.join(warned)}))"
            )

    def check(self) -> int:
        """Record every problem as an ImportIssue (one statement per column); return how many rows are
        rejected. An error rejects its row; a warning clears its value, and the row goes on without it."""
        self._sql(f"DELETE FROM {ISSUE} WHERE account_import_id = %s", [self.imp.pk])
        for field, index in self.columns.items():
            self._check_column(field, index)
        self._issue(
            column="",
            value_sql="r.extra",
            where="r.extra <> ''",
            reason_sql="%s",
            params=[extra_cells(self.width).reason],
        )
        self._sql(
            f"UPDATE {self.rows} SET ok = 0 WHERE row_no IN (SELECT {_q('row')} - 1 FROM {ISSUE} "
            "WHERE account_import_id = %s AND kind = 'error')",
            [self.imp.pk],
        )
        return int(self._scalar(f"SELECT count(*) FROM {self.rows} WHERE ok = 0"))

    # --- 4. match ---------------------------------------------------------------------------------

    def match(self) -> int:
        """Find the existing account of every valid row; mark repeats of a company inside the file."""
        self._match_by_name()  # matches by domain were found as the rows were read
        # Same company twice in the file (same domain, else same name and country), or two rows that
        # found the same account: the first row wins, later ones are reported and skipped.
        # Grouping finds the repeated keys (usually none) by hashing, without sorting a million rows.
        for key in ("COALESCE(domain, name_key || '|' || country)", "account_id"):
            self._sql(
                f"UPDATE {self.rows} SET dup_of = d.first_row FROM ("
                f"  SELECT {key} AS key, min(row_no) AS first_row FROM {self.rows}"
                f"  WHERE ok = 1 AND dup_of IS NULL AND {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1"
                f") d WHERE {self.rows}.ok = 1 AND {self.rows}.dup_of IS NULL AND {key} = d.key "
                f"AND {self.rows}.row_no <> d.first_row"
            )
        duplicates = self._sql(
            f"INSERT INTO {ISSUE} (account_import_id, {_q('row')}, {_q('column')}, value, reason, kind) "
            f"SELECT %s, row_no + 1, '', COALESCE(substr(name, 1, 300), ''), "
            f"'the same company as row ' || CAST(dup_of + 1 AS text) || '; this row was skipped', 'duplicate' "
            f"FROM {self.rows} WHERE dup_of IS NOT NULL",
            [self.imp.pk],
        )
        return duplicates

    def _match_by_domain(self) -> None:
        self._sql(
            f"UPDATE {self.rows} SET account_id = a.id FROM {ACCOUNT} a "
            f"WHERE {self.rows}.ok = 1 AND {self.rows}.domain IS NOT NULL AND a.domain = {self.rows}.domain "
            f"AND {self.rows}.account_id IS NULL"
        )

    def _match_by_name(self) -> None:
        """Without a domain match, the same normalized name in the same country is the same company,
        unless both carry different domains."""
        self._sql(
            f"UPDATE {self.rows} SET account_id = m.id FROM ("
            f"  SELECT a.name_key, a.country, min(a.id) AS id, max(a.domain) AS domain FROM {ACCOUNT} a"
            f"  WHERE a.name_key IN (SELECT name_key FROM {self.rows} WHERE account_id IS NULL AND ok = 1)"
            f"  GROUP BY a.name_key, a.country"
            f") m WHERE {self.rows}.account_id IS NULL AND {self.rows}.ok = 1 AND m.name_key = {self.rows}.name_key "
            f"AND m.country = {self.rows}.country AND ({self.rows}.domain IS NULL OR m.domain = '')"
        )

    # --- 5. merge ---------------------------------------------------------------------------------

    def _verticals(self) -> None:
        """New industries join the managed list, unmapped until the leader gives them a vertical."""
        self._sql(
            f"INSERT INTO {MAPPING} (industry_key, industry, vertical_id) "
            f"SELECT lower(industry), min(industry), NULL FROM {self.rows} "
            f"WHERE ok = 1 AND industry IS NOT NULL AND lower(industry) NOT IN (SELECT industry_key FROM {MAPPING}) "
            "GROUP BY lower(industry)"
        )

    def _bulk_load_prepared(self, new_rows: int) -> list[str]:
        """When an import at least doubles the accounts table, lift its indexes and foreign keys for the
        insert (see salesplan.services.bulk): a million new accounts take ~12 s instead of ~45 s.
        Returns the statements that put everything back (empty when nothing was lifted)."""
        if new_rows < max(table_rows_estimate(ACCOUNT), 10_000):
            return []
        return bulk_indexes_lift(ACCOUNT)

    def _bulk_load_finished(self, statements: list[str]) -> None:
        if statements:
            self.progress(90, "Indexing the new accounts")
            bulk_indexes_restore(statements)

    def merge(self, *, dry_run: bool = False) -> ImportCounts:
        counts = ImportCounts()
        usable = "r.ok = 1 AND r.dup_of IS NULL"
        now = timezone.now()
        with transaction.atomic():
            if self.postgres:
                # Check foreign keys as each row is written instead of queueing a million checks for
                # the commit; every key the merge writes already exists.
                self._sql("SET CONSTRAINTS ALL IMMEDIATE")
            self._verticals()
            changed = (
                " OR ".join(
                    f"(r.{f} IS NOT NULL AND {self._distinct('r.' + f, ACCOUNT + '.' + f)})" for f in _MERGE_FIELDS
                )
                + f" OR (r.domain IS NOT NULL AND {ACCOUNT}.domain = '')"
            )
            assignments = ", ".join(f"{f} = COALESCE(r.{f}, {ACCOUNT}.{f})" for f in _MERGE_FIELDS)
            matched = int(
                self._scalar(f"SELECT count(*) FROM {self.rows} r WHERE {usable} AND r.account_id IS NOT NULL")
            )
            counts.updated = self._sql(
                f"UPDATE {ACCOUNT} SET {assignments}, "
                f"domain = CASE WHEN {ACCOUNT}.domain = '' THEN COALESCE(r.domain, '') ELSE {ACCOUNT}.domain END, "
                f"name_key = CASE WHEN r.name IS NOT NULL THEN r.name_key ELSE {ACCOUNT}.name_key END, "
                f"vertical_id = CASE WHEN r.industry IS NOT NULL THEN vm.vertical_id ELSE {ACCOUNT}.vertical_id END, "
                "updated_at = %s "
                f"FROM {self.rows} r LEFT JOIN {MAPPING} vm ON vm.industry_key = lower(r.industry) "
                f"WHERE r.account_id = {ACCOUNT}.id AND {usable} AND ({changed})",
                [now],
            )
            counts.unchanged = matched - counts.updated
            new_rows = int(self._scalar(f"SELECT count(*) FROM {self.rows} r WHERE {usable} AND r.account_id IS NULL"))
            lifted = self._bulk_load_prepared(new_rows)
            counts.created = self._sql(
                f"INSERT INTO {ACCOUNT} (name, domain, website, industry, vertical_id, annual_revenue, employees, "
                "country, state, city, postal_code, ownership, ticker, founded_year, lifecycle, current_sales, wallet, "
                "owner_id, source, name_key, created_at, updated_at) "
                "SELECT r.name, COALESCE(r.domain, ''), COALESCE(r.website, ''), COALESCE(r.industry, ''), "
                "vm.vertical_id, r.annual_revenue, r.employees, COALESCE(r.country, ''), COALESCE(r.state, ''), "
                "COALESCE(r.city, ''), COALESCE(r.postal_code, ''), COALESCE(r.ownership, ''), "
                "COALESCE(r.ticker, ''), r.founded_year, COALESCE(r.lifecycle, 'prospect'), r.current_sales, "
                "r.wallet, r.owner_id, %s, r.name_key, %s, %s "
                f"FROM {self.rows} r LEFT JOIN {MAPPING} vm ON vm.industry_key = lower(r.industry) "
                f"WHERE {usable} AND r.account_id IS NULL ORDER BY r.row_no",
                [self.imp.source_label, now, now],
            )
            self._bulk_load_finished(lifted)
            if "parent_domain" in self.columns:
                self._link_parents()
            if dry_run:
                transaction.set_rollback(True)  # every count is real; nothing is kept
        return counts

    def _link_parents(self) -> None:
        # The rows just inserted now find their own account.
        self._match_by_domain()
        self._match_by_name()
        self._sql(
            f"UPDATE {ACCOUNT} SET parent_id = p.id FROM {self.rows} r, {ACCOUNT} p "
            f"WHERE r.account_id = {ACCOUNT}.id AND r.ok = 1 AND r.dup_of IS NULL AND r.parent_domain IS NOT NULL "
            f"AND p.domain = r.parent_domain AND p.id <> {ACCOUNT}.id"
        )
        self._issue(
            column="parent_domain",
            value_sql="x.parent_domain",
            reason_sql="%s",
            kind="warning",
            where=f"x.ok = 1 AND x.parent_domain IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ACCOUNT} p WHERE p.domain = x.parent_domain)",
            params=["no account has this domain, so the parent was left empty"],
        )

    # --- the whole run ----------------------------------------------------------------------------

    def run(self, *, skip_invalid: bool, dry_run: bool = False) -> ImportCounts:
        if self.postgres:
            # JIT compiling these wide expressions takes seconds per worker and saves less than that; sorts
            # and hashes over a million rows stay in memory.
            self._sql("SET jit = off")
            self._sql("SET work_mem = '128MB'")
        try:
            self.progress(5, "Reading the file")
            total = self.load()
            self.progress(35, f"Checking {total:,} rows")
            self.read()
            rejected = self.check()
            counts = ImportCounts(rows=total, rejected=rejected)
            if rejected and not skip_invalid:
                return counts
            self.progress(60, "Matching with existing accounts")
            counts.duplicates = self.match()
            self.progress(75, f"Saving {total - rejected - counts.duplicates:,} accounts")
            merged = self.merge(dry_run=dry_run)
            counts.created, counts.updated, counts.unchanged = merged.created, merged.updated, merged.unchanged
            return counts
        finally:
            self._drop()
            if self.postgres:
                self._sql("RESET jit")
                self._sql("RESET work_mem")
                self._sql("RESET parallel_setup_cost")
                self._sql("RESET parallel_tuple_cost")
