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
4. **match**  by normalized domain, else by normalized name and country where the places agree (a name
   in another place, or a row whose place fits namesakes in several places, is a possible duplicate, for
   a person to resolve); repeats inside the file.
5. **merge**  the before and after values of changed accounts recorded (one INSERT…SELECT: the report and
   undo read them), one UPDATE from them and one INSERT of new ones, in a single transaction.

The staging tables are UNLOGGED on PostgreSQL (fast, and unlike TEMP tables they can be scanned in
parallel) and dropped at the end. They are named after the job that runs the import
(``salesplan.services.jobs.job_staging_prefix``), so when a worker dies the watchdog that interrupts its job
finds and drops them; outside a job, after the import.
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
from accounts.models import (
    Account,
    AccountImport,
    ImportChange,
    ImportIssue,
    ImportLedger,
    IndustryMapping,
    PossibleDuplicate,
)
from accounts.models.import_records import ROW_FIELDS, TRACKED_FIELDS
from accounts.normalize import BLANK_TOKENS
from salesplan.services.bulk import bulk_indexes_lift, bulk_indexes_restore, table_rows_estimate

logger = logging.getLogger(__name__)
ACCOUNT = Account._meta.db_table
ISSUE = ImportIssue._meta.db_table
CHANGE = ImportChange._meta.db_table
DUPLICATE = PossibleDuplicate._meta.db_table
MAPPING = IndustryMapping._meta.db_table
_NAME_ROUNDS = 25  # places per repeated name settled row against row; beyond, rows go to a person
# Columns of imp_rows and their SQL types; every field exists even when unmapped (then NULL).
_ROW_COLUMNS = {
    "name": "text", "domain": "text", "website": "text", "industry": "text", "annual_revenue": "bigint",
    "employees": "bigint", "country": "text", "state": "text", "city": "text", "postal_code": "text",
    "ownership": "text", "ticker": "text", "founded_year": "integer", "lifecycle": "text", "current_sales": "bigint",
    "wallet": "bigint", "owner_id": "bigint", "parent_domain": "text",
}  # fmt: skip


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
    possible_duplicates: int = 0
    territory_moves: int | None = None  # updated accounts the published design moves (None: not judged)


Progress = Callable[[int, str], None]
AfterMerge = Callable[[ImportCounts], None]


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

    def __init__(
        self,
        account_import: AccountImport,
        *,
        path: Path,
        info: FileInfo,
        progress: Progress,
        after_merge: AfterMerge | None = None,
        staging_prefix: str = "",
    ) -> None:
        self.imp = account_import
        self.path = path
        self.info = info
        self.progress = progress
        # What must commit with the merge or not at all (the records the report and undo read of it), run
        # inside the merge's transaction with its counts; not on a dry run.
        self.after_merge = after_merge
        self.postgres = connection.vendor == "postgresql"
        self.decimal = account_import.mapping.get("decimal") or "."
        self.sql = rules_for(connection.vendor, decimal=self.decimal)
        self.staging_prefix = staging_prefix
        self.raw = self._staged("raw")
        self.clean = self._staged("clean")
        self.rows = self._staged("rows")
        self.alias = self._staged("alias")
        self.named = self._staged("named")
        self.keep = self._staged("keep")
        self.links = self._staged("links")
        self.maybe_found = False  # whether matching found any possible duplicate (else nothing to pair)
        self.width = len(info.headers)
        self.columns: dict[str, int] = {field: int(index) for index, field in account_import.mapping["columns"].items()}
        self.units: dict[str, int] = {k: int(v) for k, v in account_import.mapping.get("units", {}).items()}
        self.default_country = account_import.mapping.get("default_country") or "US"
        self.latest_year = dt.date.today().year + 1

    # --- helpers ----------------------------------------------------------------------------------

    def _staged(self, name: str) -> str:
        """A staging table's name: after the job running the import (the job's watchdog drops them), else after
        the import."""
        return f"{self.staging_prefix}imp_{name}" if self.staging_prefix else f"imp_{name}_{self.imp.pk}"

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

    def _agree(self, x: str, y: str) -> str:
        """The places of ``x`` and ``y`` agree where both have one: the same state, and the same city
        (compared as keys: case and spacing aside). A side without a state or city agrees with any."""
        tests = []
        for column in ("state", "city"):
            a, b = f"COALESCE({x}.{column}, '')", f"COALESCE({y}.{column}, '')"
            tests.append(f"({a} = '' OR {b} = '' OR {self.sql.key(a)} = {self.sql.key(b)})")
        return " AND ".join(tests)

    def match(self) -> int:
        """Find the existing account of every valid row; settle repeats of a company inside the file.

        Without a domain, a name is the same company only where the places agree. A row with the name but
        not the place of an existing account (``maybe_of``) or of another row (``maybe_row``), or whose place
        fits existing namesakes in several places (``maybe_many``), is a *possible duplicate*: it is created
        as an account of its own, and a person decides (nothing is merged, nothing existing overwritten, on
        a guess). Returns how many rows are skipped as repeats.
        """
        for column in ("maybe_of", "maybe_many", "maybe_row", "created_id", "by_name"):
            self._sql(f"ALTER TABLE {self.rows} ADD COLUMN {column} bigint")
        by_name = self._match_by_name()  # matches by domain were found as the rows were read
        self._skip_repeats("domain")
        self._settle_names()
        if by_name:  # after the domain repeats, only a match by name can give two rows one account
            self._settle_shared_accounts()
        return self._sql(
            f"INSERT INTO {ISSUE} (account_import_id, {_q('row')}, {_q('column')}, value, reason, kind) "
            f"SELECT %s, row_no + 1, '', COALESCE(substr(name, 1, 300), ''), "
            f"'the same company as row ' || CAST(dup_of + 1 AS text) || '; this row was skipped', 'duplicate' "
            f"FROM {self.rows} WHERE dup_of IS NOT NULL",
            [self.imp.pk],
        )

    def _namesakes(self, row: str, account: str) -> str:
        """``account`` has the name of ``row`` in its country and may be its company by domain (the row has
        none, or the account has none)."""
        return (
            f"{account}.name_key = {row}.name_key AND {account}.country = {row}.country "
            f"AND ({row}.domain IS NULL OR {account}.domain = '')"
        )

    def _places_differ(self, alias: str, agree: str) -> str:
        """Among the accounts ``alias`` whose place agrees with the row (``agree``), two places that do not
        agree with each other: two states, or two cities (a row without a state or city agrees with both)."""
        tests = []
        for column in ("state", "city"):
            value = f"COALESCE({alias}.{column}, '')"
            tests.append(f"count(DISTINCT CASE WHEN {agree} AND {value} <> '' THEN {self.sql.key(value)} END) > 1")
        return " OR ".join(tests)

    def _match_by_name(self) -> int:
        """Without a domain match, the same normalized name in the same country is the same company when the
        places agree (and the domains do not differ); in another place it only may be (``maybe_of``). A row
        whose place agrees with namesakes in different places (it has no city, say, and they are in two) is
        not given one of them on a guess: it may be each (``maybe_of`` the first, ``maybe_many`` how many).
        One pass over the candidates finds all three. Returns how many rows matched an account by name."""
        agree = self._agree("r", "a")
        rows = self.rows
        matched = self._sql(
            f"UPDATE {rows} SET account_id = CASE WHEN m.many = 0 THEN m.id END, "
            "by_name = CASE WHEN m.id IS NULL OR m.many = 1 THEN 0 ELSE 1 END, "
            "maybe_of = CASE WHEN m.id IS NULL THEN m.other WHEN m.many = 1 THEN m.id END, "
            "maybe_many = CASE WHEN m.many = 1 THEN m.agreeing END FROM ("
            f"  SELECT r.row_no, min(CASE WHEN {agree} THEN a.id END) AS id, "
            f"  min(CASE WHEN NOT ({agree}) THEN a.id END) AS other, "
            f"  count(CASE WHEN {agree} THEN a.id END) AS agreeing, "
            f"  CASE WHEN {self._places_differ('a', agree)} THEN 1 ELSE 0 END AS many "
            f"  FROM {rows} r JOIN {ACCOUNT} a ON {self._namesakes('r', 'a')} "
            "  WHERE r.account_id IS NULL AND r.ok = 1 GROUP BY r.row_no"
            f") m WHERE {rows}.row_no = m.row_no"
        )
        self.maybe_found = self.maybe_found or bool(matched)
        return int(self._scalar(f"SELECT count(*) FROM {rows} WHERE by_name = 1")) if matched else 0

    def _skip_repeats(self, key: str) -> None:
        """Rows with the same ``key``: the first row wins, later ones are skipped. Grouping finds the
        repeated keys (usually none) by hashing, without sorting a million rows."""
        self._sql(
            f"UPDATE {self.rows} SET dup_of = d.first_row FROM ("
            f"  SELECT {key} AS key, min(row_no) AS first_row FROM {self.rows}"
            f"  WHERE ok = 1 AND dup_of IS NULL AND {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1"
            f") d WHERE {self.rows}.ok = 1 AND {self.rows}.dup_of IS NULL AND {key} = d.key "
            f"AND {self.rows}.row_no <> d.first_row"
        )

    def _settle_names(self) -> None:
        """Rows that share a name, where at least one has no domain (rows with different domains are
        different companies). A row without a domain whose place agrees with a row of that name that has a
        domain, else with an earlier company of that name, is that company again (skipped); a row whose
        place agrees with none is a company of its own, and a possible duplicate (``maybe_row``) of the
        first company of the name.

        Settled over the few repeated names only, in rounds: rows with a domain are companies from the
        start; each round then takes the first unsettled row of every name as a company and the rows that
        agree with it as its repeats. A name in more than _NAME_ROUNDS places leaves its remaining rows as
        companies (possible duplicates) for a person.
        """
        named, rows = self.named, self.rows
        usable = "ok = 1 AND dup_of IS NULL"
        self._sql(f"DROP TABLE IF EXISTS {named}")
        self._sql(
            f"CREATE {self._unlogged} TABLE {named} AS SELECT r.row_no, r.name_key, r.country, r.state, r.city, "
            "CASE WHEN r.domain IS NULL THEN 0 ELSE 1 END AS has_domain, "
            "CASE WHEN r.domain IS NULL THEN NULL ELSE r.row_no END AS company, "
            f"CASE WHEN r.domain IS NULL THEN 0 ELSE 1 END AS pass_no FROM {rows} r JOIN ("
            f"  SELECT name_key, country FROM {rows} WHERE {usable} AND (name_key, country) IN "
            f"  (SELECT name_key, country FROM {rows} WHERE {usable} AND domain IS NULL) "
            "  GROUP BY name_key, country HAVING count(*) > 1"
            ") g ON g.name_key = r.name_key AND g.country = r.country "
            f"WHERE r.{usable.replace(' AND ', ' AND r.')}"
        )
        if not int(self._scalar(f"SELECT count(*) FROM {named}")):
            self._sql(f"DROP TABLE {named}")
            return
        self.maybe_found = True
        same_name = f"{named}.name_key = f.name_key AND {named}.country = f.country"
        self._sql(
            f"UPDATE {named} SET company = d.first_row, pass_no = -1 FROM ("
            f"  SELECT n.row_no, min(f.row_no) AS first_row FROM {named} n JOIN {named} f "
            "  ON f.name_key = n.name_key AND f.country = n.country AND f.has_domain = 1 "
            f"  WHERE n.pass_no = 0 AND {self._agree('n', 'f')} GROUP BY n.row_no"
            f") d WHERE {named}.row_no = d.row_no"
        )
        for number in range(2, _NAME_ROUNDS + 2):
            companies = self._sql(
                f"UPDATE {named} SET company = row_no, pass_no = %s WHERE row_no IN ("
                f"SELECT min(row_no) FROM {named} WHERE pass_no = 0 GROUP BY name_key, country)",
                [number],
            )
            if not companies:
                break
            self._sql(
                f"UPDATE {named} SET company = f.row_no, pass_no = -1 FROM {named} f "
                f"WHERE f.pass_no = %s AND {named}.pass_no = 0 AND {same_name} AND {self._agree(named, 'f')}",
                [number],
            )
        self._sql(f"UPDATE {named} SET company = row_no, pass_no = %s WHERE pass_no = 0", [_NAME_ROUNDS + 2])
        self._sql(
            f"UPDATE {rows} SET dup_of = n.company FROM {named} n WHERE n.pass_no = -1 AND {rows}.row_no = n.row_no"
        )
        # A company without a domain may be the first company of its name; the first one, the first with a
        # domain (two rows with domains are two companies, so they are not paired).
        self._sql(
            f"UPDATE {rows} SET maybe_row = CASE WHEN n.row_no <> f.first_row THEN f.first_row "
            f"ELSE f.first_with_domain END FROM {named} n JOIN ("
            "  SELECT name_key, country, min(row_no) AS first_row, "
            "  min(CASE WHEN has_domain = 1 THEN row_no END) AS first_with_domain "
            f"  FROM {named} WHERE pass_no > 0 GROUP BY name_key, country"
            ") f ON f.name_key = n.name_key AND f.country = n.country "
            f"WHERE n.pass_no > 1 AND {rows}.row_no = n.row_no"
        )
        self._sql(f"DROP TABLE {named}")

    def _settle_shared_accounts(self) -> None:
        """Rows that found the same account: the row that matched it by domain, else the first, keeps it;
        later rows whose place agrees with that row are repeats (skipped); a row whose place differs is
        a possible duplicate of the account, created as an account of its own."""
        keep = self.keep
        self._sql(f"DROP TABLE IF EXISTS {keep}")
        self._sql(
            f"CREATE {self._unlogged} TABLE {keep} AS SELECT k.account_id, k.row_no, k.state, k.city FROM ("
            "  SELECT r.account_id, r.row_no, r.state, r.city, ROW_NUMBER() OVER (PARTITION BY r.account_id "
            "  ORDER BY CASE WHEN r.domain IS NOT NULL AND r.domain = a.domain THEN 0 ELSE 1 END, r.row_no) AS n"
            f"  FROM {self.rows} r JOIN {ACCOUNT} a ON a.id = r.account_id WHERE r.ok = 1 AND r.dup_of IS NULL "
            f"  AND r.account_id IN (SELECT account_id FROM {self.rows} WHERE ok = 1 AND dup_of IS NULL "
            f"  AND account_id IN (SELECT account_id FROM {self.rows} WHERE by_name = 1) "
            "  GROUP BY account_id HAVING count(*) > 1)"
            ") k WHERE k.n = 1"
        )
        if not int(self._scalar(f"SELECT count(*) FROM {keep}")):
            self._sql(f"DROP TABLE {keep}")
            return
        self.maybe_found = True
        later = (
            f"{keep}.account_id = {self.rows}.account_id AND {keep}.row_no <> {self.rows}.row_no "
            f"AND {self.rows}.ok = 1 AND {self.rows}.dup_of IS NULL"
        )
        self._sql(
            f"UPDATE {self.rows} SET dup_of = {keep}.row_no FROM {keep} "
            f"WHERE {later} AND {self._agree(self.rows, keep)}"
        )
        self._sql(
            f"UPDATE {self.rows} SET maybe_of = {self.rows}.account_id, account_id = NULL FROM {keep} WHERE {later}"
        )
        self._sql(f"DROP TABLE {keep}")

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

    def _changes_record(self, now: dt.datetime) -> int:
        """Keep the before and after values of every account the file changes (what the report lists and
        undo puts back), in one INSERT … SELECT; the UPDATE then writes the after values."""
        usable = "r.ok = 1 AND r.dup_of IS NULL"
        changed = (
            " OR ".join(f"(r.{f} IS NOT NULL AND {self._distinct('r.' + f, 'a.' + f)})" for f in ROW_FIELDS)
            + " OR (r.domain IS NOT NULL AND a.domain = '')"
        )
        after = merged_values(row="r.", account="a", vertical="vm.vertical_id")
        columns = [f"before_{f}" for f in TRACKED_FIELDS] + [f"after_{f}" for f in TRACKED_FIELDS]
        values = [f"a.{f}" for f in TRACKED_FIELDS] + [after[f] for f in TRACKED_FIELDS]
        recorded = self._sql(
            f"INSERT INTO {CHANGE} (account_import_id, account_id, action, written_at, before_updated_at, "
            f"territory_moves, {', '.join(columns)}) "
            f"SELECT %s, a.id, 'updated', %s, a.updated_at, %s, {', '.join(values)} "
            f"FROM {self.rows} r JOIN {ACCOUNT} a ON a.id = r.account_id "
            f"LEFT JOIN {MAPPING} vm ON vm.industry_key = lower(r.industry) "
            f"WHERE {usable} AND ({changed}) AND NOT EXISTS "
            f"(SELECT 1 FROM {CHANGE} c WHERE c.account_import_id = %s AND c.account_id = a.id)",
            [self.imp.pk, now, False, self.imp.pk],
        )
        return recorded

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
            matched = int(
                self._scalar(f"SELECT count(*) FROM {self.rows} r WHERE {usable} AND r.account_id IS NOT NULL")
            )
            self._changes_record(now)
            counts.updated = account_changes_write(import_id=self.imp.pk, written_at=now)
            counts.unchanged = matched - counts.updated
            new_rows = int(self._scalar(f"SELECT count(*) FROM {self.rows} r WHERE {usable} AND r.account_id IS NULL"))
            # Every account this import creates has a larger id than any before it, and its source: undo
            # finds them by that range, with nothing written per account.
            created_after = int(self._scalar(f"SELECT COALESCE(max(id), 0) FROM {ACCOUNT}"))
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
            self._ledger_write(now=now, created_after=created_after, created=counts.created)
            if "parent_domain" in self.columns:
                linked = self._link_parents(created_after, now)
                counts.updated += linked
                counts.unchanged -= linked
            counts.possible_duplicates = self._possible_duplicates_record(created_after)
            if self.after_merge is not None and not dry_run:
                self.after_merge(counts)
            if dry_run:
                transaction.set_rollback(True)  # every count is real; nothing is kept
        return counts

    def _ledger_write(self, *, now: dt.datetime, created_after: int, created: int) -> None:
        """Record when the import wrote and the range of the accounts it created. A re-run of an import that
        already wrote (a job redelivered after its worker died) keeps the first record and widens the range."""
        last = int(self._scalar(f"SELECT max(id) FROM {ACCOUNT}")) if created else None
        ledger, made = ImportLedger.objects.get_or_create(
            account_import=self.imp,
            defaults={"written_at": now, "created_after_id": created_after, "created_last_id": last},
        )
        if not made and last is not None:
            if ledger.created_last_id is None:
                ledger.created_after_id = created_after
            ledger.created_last_id = last
            ledger.save(update_fields=["created_after_id", "created_last_id"])

    def _find_created(self, created_after: int, where: str) -> None:
        """Give the rows selected by ``where`` (and created by this import) the id of their new account:
        the only account of this import with their name, domain and place (repeats were settled above)."""
        rows = self.rows
        self._sql(
            f"UPDATE {rows} SET created_id = a.id FROM {ACCOUNT} a WHERE {rows}.account_id IS NULL "
            f"AND {rows}.ok = 1 AND {rows}.dup_of IS NULL AND ({where}) AND a.id > %s AND a.source = %s "
            f"AND a.name = {rows}.name AND a.domain = COALESCE({rows}.domain, '') "
            f"AND a.country = COALESCE({rows}.country, '') AND a.state = COALESCE({rows}.state, '') "
            f"AND a.city = COALESCE({rows}.city, '')",
            [created_after, self.imp.source_label],
        )

    def _link_parents(self, created_after: int, now: dt.datetime) -> int:
        """Set the parent each row names by its domain; an existing account whose parent changes is recorded
        as changed like any other (before and after). Returns how many such accounts nothing else changed."""
        self._find_created(created_after, f"{self.rows}.parent_domain IS NOT NULL")
        links = self.links
        self._sql(f"DROP TABLE IF EXISTS {links}")
        self._sql(
            f"CREATE {self._unlogged} TABLE {links} AS SELECT a.id, p.id AS parent_id, "
            "CASE WHEN r.account_id IS NULL THEN 1 ELSE 0 END AS created "
            f"FROM {self.rows} r JOIN {ACCOUNT} a ON a.id = COALESCE(r.account_id, r.created_id) "
            f"JOIN {ACCOUNT} p ON p.domain = r.parent_domain "
            "WHERE r.ok = 1 AND r.dup_of IS NULL AND r.parent_domain IS NOT NULL AND p.id <> a.id "
            "AND (a.parent_id IS NULL OR a.parent_id <> p.id)"
        )
        linked = account_changes_snapshot(
            import_id=self.imp.pk,
            written_at=now,
            action=ImportChange.Action.UPDATED,
            accounts_sql=f"SELECT id FROM {links} WHERE created = 0",
            params=[],
        )
        self._sql(
            f"UPDATE {CHANGE} SET after_parent_id = x.parent_id, written_at = %s FROM {links} x "
            f"WHERE {CHANGE}.account_import_id = %s AND {CHANGE}.account_id = x.id AND x.created = 0",
            [now, self.imp.pk],
        )
        self._sql(
            f"UPDATE {ACCOUNT} SET parent_id = x.parent_id, updated_at = %s FROM {links} x WHERE {ACCOUNT}.id = x.id",
            [now],
        )
        self._sql(f"DROP TABLE {links}")
        self._issue(
            column="parent_domain",
            value_sql="x.parent_domain",
            reason_sql="%s",
            kind="warning",
            where=f"x.ok = 1 AND x.parent_domain IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ACCOUNT} p WHERE p.domain = x.parent_domain)",
            params=["no account has this domain, so the parent was left empty"],
        )
        return linked

    def _possible_duplicates_record(self, created_after: int) -> int:
        """Pair every new account made from a possible duplicate with the account it may be (an existing
        one, or the account of another row of the file), keeping the row's values for a merge, and add
        a warning to the row. Returns the number of pairs."""

        def pending(alias: str) -> str:
            p = f"{alias}." if alias else ""
            return (
                f"{p}ok = 1 AND {p}dup_of IS NULL AND {p}account_id IS NULL "
                f"AND ({p}maybe_of IS NOT NULL OR {p}maybe_row IS NOT NULL)"
            )

        if not self.maybe_found or not int(self._scalar(f"SELECT count(*) FROM {self.rows} WHERE {pending('')}")):
            return 0
        rows = self.rows
        self._find_created(
            created_after,
            f"{rows}.row_no IN (SELECT row_no FROM {rows} WHERE {pending('')}) "
            f"OR {rows}.row_no IN (SELECT maybe_row FROM {rows} WHERE {pending('')})",
        )
        copies = [*ROW_FIELDS, "domain", "name_key"]
        insert = (
            f"INSERT INTO {DUPLICATE} (account_import_id, {_q('row')}, account_id, existing_id, file_row, reason, "
            f"status, created_at, {', '.join(f'row_{f}' for f in copies)}) "
        )
        values = ", ".join(f"r.{f}" for f in copies)
        now = timezone.now()
        # A row that fits namesakes in several places is paired with each of them: the first one (found as
        # the rows were matched), then the others that fit (existing accounts, not this import's).
        reason = (
            f"CASE WHEN r.maybe_many IS NULL THEN {self._differs('r', 'e')} ELSE 'not enough of a place to tell "
            "which of ' || CAST(r.maybe_many AS text) || ' accounts of this name it is' END"
        )
        pairs = self._sql(
            f"{insert} SELECT %s, r.row_no + 1, r.created_id, e.id, NULL, {reason}, 'open', %s, "
            f"{values} FROM {rows} r JOIN {ACCOUNT} e ON e.id = r.maybe_of "
            f"WHERE r.created_id IS NOT NULL AND {pending('r')}",
            [self.imp.pk, now],
        )
        pairs += self._sql(
            f"{insert} SELECT %s, r.row_no + 1, r.created_id, e.id, NULL, {reason}, 'open', %s, "
            f"{values} FROM {rows} r JOIN {ACCOUNT} e ON {self._namesakes('r', 'e')} AND {self._agree('r', 'e')} "
            f"WHERE r.maybe_many IS NOT NULL AND r.created_id IS NOT NULL AND {pending('r')} "
            "AND e.id <> r.maybe_of AND e.id <= %s",
            [self.imp.pk, now, created_after],
        )
        pairs += self._sql(
            f"{insert} SELECT %s, r.row_no + 1, r.created_id, COALESCE(p.account_id, p.created_id), p.row_no + 1, "
            f"{self._differs('r', 'p')}, 'open', %s, {values} FROM {rows} r JOIN {rows} p ON p.row_no = r.maybe_row "
            f"WHERE r.created_id IS NOT NULL AND COALESCE(p.account_id, p.created_id) IS NOT NULL "
            f"AND {pending('r')} AND NOT EXISTS (SELECT 1 FROM {DUPLICATE} d "
            "WHERE d.account_id = r.created_id AND d.existing_id = COALESCE(p.account_id, p.created_id))",
            [self.imp.pk, now],
        )
        self._sql(
            f"INSERT INTO {ISSUE} (account_import_id, {_q('row')}, {_q('column')}, value, reason, kind) "
            f"SELECT d.account_import_id, d.{_q('row')}, '', COALESCE(substr(d.row_name, 1, 300), ''), "
            "substr('may be the same company as “' || e.name || '” (' || d.reason || '): imported as a new "
            "account for you to review under Possible duplicates', 1, 500), 'warning' "
            f"FROM {DUPLICATE} d JOIN {ACCOUNT} e ON e.id = d.existing_id WHERE d.account_import_id = %s",
            [self.imp.pk],
        )
        return pairs

    def _differs(self, x: str, y: str) -> str:
        """Why ``x`` and ``y`` may be two companies, in words: the state, else the city, that differs."""
        parts = []
        for column, label in (("state", "another state"), ("city", "another city")):
            a, b = f"COALESCE({x}.{column}, '')", f"COALESCE({y}.{column}, '')"
            differs = f"{a} <> '' AND {b} <> '' AND {self.sql.key(a)} <> {self.sql.key(b)}"
            parts.append(f"WHEN {differs} THEN '{label}: ' || {a} || ', not ' || {b}")
        return f"CASE {' '.join(parts)} ELSE 'another place' END"

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
            counts.possible_duplicates, counts.territory_moves = merged.possible_duplicates, merged.territory_moves
            return counts
        finally:
            self._drop()
            for table in (self.named, self.keep, self.links):
                self._sql(f"DROP TABLE IF EXISTS {table}")
            if self.postgres:
                self._sql("RESET jit")
                self._sql("RESET work_mem")
                self._sql("RESET parallel_setup_cost")
                self._sql("RESET parallel_tuple_cost")


def merged_values(*, row: str, account: str, vertical: str) -> dict[str, str]:
    """SQL of every tracked column after a row's values (``row`` + column: NULL where the file's cell was
    blank) are merged into an account (``account``): a blank cell never erases what is known, a domain is
    only filled in, the vertical follows a new industry (``vertical``: its mapped vertical). Shared by the
    import and the merge of a possible duplicate, so that "same company" writes what an update would."""
    r, a = row, account
    values = {f: f"COALESCE({r}{f}, {a}.{f})" for f in ROW_FIELDS}
    values["domain"] = f"CASE WHEN {a}.domain = '' THEN COALESCE({r}domain, '') ELSE {a}.domain END"
    values["name_key"] = f"CASE WHEN {r}name IS NOT NULL THEN {r}name_key ELSE {a}.name_key END"
    values["vertical_id"] = f"CASE WHEN {r}industry IS NOT NULL THEN {vertical} ELSE {a}.vertical_id END"
    values["parent_id"] = f"{a}.parent_id"
    return values


def account_changes_write(*, import_id: int, written_at: dt.datetime, account_id: int | None = None) -> int:
    """Write the after values an import recorded at ``written_at`` (of one account, or all) into the
    accounts; returns how many were written."""
    assignments = ", ".join(f"{f} = c.after_{f}" for f in TRACKED_FIELDS)
    one = f" AND {ACCOUNT}.id = %s" if account_id is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ACCOUNT} SET {assignments}, updated_at = c.written_at FROM {CHANGE} c "
            f"WHERE c.account_import_id = %s AND c.written_at = %s AND c.account_id = {ACCOUNT}.id{one}",
            [import_id, written_at, *([account_id] if account_id is not None else [])],
        )
        return cursor.rowcount


def account_changes_snapshot(
    *, import_id: int, written_at: dt.datetime, action: str, accounts_sql: str, params: list[object]
) -> int:
    """Record the accounts ``accounts_sql`` selects (``SELECT id …``) as changed by the import, before and
    after alike (the caller then sets what changes), unless the import recorded them already."""
    same = [f"a.{f}" for f in TRACKED_FIELDS]
    columns = [f"before_{f}" for f in TRACKED_FIELDS] + [f"after_{f}" for f in TRACKED_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CHANGE} (account_import_id, account_id, action, written_at, before_updated_at, "
            f"territory_moves, {', '.join(columns)}) "
            f"SELECT %s, a.id, %s, %s, a.updated_at, %s, {', '.join(same + same)} FROM {ACCOUNT} a "
            f"WHERE a.id IN ({accounts_sql}) AND NOT EXISTS "
            f"(SELECT 1 FROM {CHANGE} c WHERE c.account_import_id = %s AND c.account_id = a.id)",
            [import_id, action, written_at, False, *params, import_id],
        )
        return cursor.rowcount
