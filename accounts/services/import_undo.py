"""Undo an import: delete the accounts it created and give the accounts it changed their previous values,
in one transaction, as a job; what something newer touched stays as it is, and is named.

*Touched* means, for an account the import created or changed:

* its values changed after the import wrote them — a person's edit, a later import, a merge — seen as
  ``updated_at`` no longer being the moment the import (or the merge of one of its possible duplicates)
  wrote it; undoing a later import first puts that moment back, so imports undo in reverse order (a
  merge into an account edited since the import takes those edits into the values an undo returns to:
  see import_review._later_edits_kept);
* people recorded work on it (accounts.dependents): on a created account any (deleting it would delete
  the work); on a changed account any written after the import (rewinding it would pull the data from
  under a decision taken on it);
* for a created account: another account that stays names it as its parent;
* for a changed account: it was deleted since (nothing left to restore).

Derived results (scores, placements, ranks) are not work: they are deleted with an account and computed
again once ``accounts_data_changed()`` announces the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.dependents import account_dependents, account_derived_delete
from accounts.importing.pipeline import ACCOUNT, CHANGE, DUPLICATE
from accounts.models import AccountImport, ImportChange, ImportLedger, IndustryMapping
from accounts.models.import_records import TRACKED_FIELDS
from accounts.selectors import accounts_data_changed
from salesplan.models import JobRun, User
from salesplan.services.jobs import JobError, job_progress, job_start

MAPPING = IndustryMapping._meta.db_table
KEPT_LISTED = 200  # the accounts an undo keeps are named, up to this many

_EDITED = "changed after the import (by someone, or a later import)"
_DELETED = "deleted after the import: nothing left to restore"
_PARENT = "other accounts that stay name it as their parent company"


@dataclass
class UndoPlan:
    """What undoing an import would do now."""

    available: bool
    why_not: str = ""
    delete: int = 0
    restore: int = 0
    kept: int = 0
    kept_reasons: list[tuple[str, int]] = field(default_factory=list)  # (why, how many), most first
    kept_accounts: list[dict[str, Any]] = field(default_factory=list)


def account_import_undo_plan(*, account_import: AccountImport) -> UndoPlan:
    """Count what an undo would delete, restore and keep (naming the kept accounts and why); writes nothing."""
    ledger, why_not = _undoable(account_import)
    if ledger is None:
        return UndoPlan(available=False, why_not=why_not)
    undo = _Undo(account_import, ledger)
    with transaction.atomic():
        undo.find_touched()
        touched = undo.touched_summary()
        plan = UndoPlan(
            available=True,
            delete=undo.created_count() - touched.created,
            restore=undo.changed_count() - touched.changed,
            kept=touched.created + touched.changed,
            kept_reasons=touched.reasons,
            kept_accounts=undo.touched_list(),
        )
        undo.drop()
    if not (plan.delete or plan.restore):
        plan.available = False
        plan.why_not = (
            "Everything this import created or changed was touched since, so nothing can be undone."
            if plan.kept
            else "This import neither created nor changed an account: there is nothing to undo."
        )
    return plan


def account_import_undo_start(*, account_import: AccountImport, user: User | None) -> JobRun:
    """Queue the undo (once: a second click while it runs returns the same job)."""
    ledger, why_not = _undoable(account_import)
    if ledger is None:
        raise JobError(why_not)
    job, _created = job_start(
        kind="accounts_import_undo",
        started_by=user,
        params={"import_id": account_import.pk},
        dedupe_key=f"accounts_import_undo:{account_import.pk}",
    )
    ImportLedger.objects.filter(pk=ledger.pk).update(undo_job=job)
    return job


def accounts_import_undo_run(*, import_id: int, job: JobRun | None = None) -> dict[str, int]:
    """Undo the import in one transaction: all of it that nothing newer touched, or (on any failure) nothing."""
    account_import = AccountImport.objects.get(pk=import_id)
    ledger, why_not = _undoable(account_import)
    if ledger is None:
        raise JobError(why_not)
    undo = _Undo(account_import, ledger)

    def progress(pct: int, message: str) -> None:
        job_progress(job=job, processed=pct, total=100, message=message)

    # Progress is written before and after: inside the one transaction it would not show until the end.
    progress(10, "Checking, restoring and deleting, in one transaction")
    try:
        with transaction.atomic():
            # One undo at a time, and never twice (a redelivered job finds the import undone).
            ledger = ImportLedger.objects.select_for_update().get(pk=ledger.pk)
            if ledger.undone_at is not None:
                raise JobError(f"This import was undone already, on {timezone.localtime(ledger.undone_at):%b %-d, %Y}.")
            undo.lock()
            undo.find_touched()
            restored = undo.restore()
            deleted = undo.delete_created()
            touched = undo.touched_summary()
            kept = touched.created + touched.changed
            if not (restored or deleted):
                raise JobError(
                    "Nothing could be undone: everything this import created or changed was touched since."
                    if kept
                    else "This import neither created nor changed an account: there is nothing to undo."
                )
            result = {
                "deleted": deleted,
                "restored": restored,
                "kept": kept,
                "kept_reasons": touched.reasons,
                "kept_accounts": undo.touched_list(),
            }
            undo.drop()
            ledger.undone_at = timezone.now()
            ledger.undone_by = job.started_by if job else None
            ledger.undo_result = result
            ledger.save(update_fields=["undone_at", "undone_by", "undo_result"])
    except IntegrityError as exc:
        raise JobError(
            "Someone worked on these accounts while the undo ran, so nothing was undone. Open the import again "
            "to see what can be undone now."
        ) from exc
    accounts_data_changed()
    progress(100, f"Undone: {deleted:,} deleted, {restored:,} restored, {kept:,} kept")
    return {"accounts_deleted": deleted, "accounts_restored": restored, "accounts_kept": kept}


def _undoable(account_import: AccountImport) -> tuple[ImportLedger | None, str]:
    if account_import.status != AccountImport.Status.DONE:
        return None, "Only a finished import can be undone; this one wrote nothing."
    ledger = ImportLedger.objects.filter(account_import=account_import).first()
    if ledger is None:
        return None, "This import ran before imports recorded what they wrote, so it cannot be undone."
    if ledger.undone_at is not None:
        return None, f"This import was undone on {timezone.localtime(ledger.undone_at):%b %-d, %Y at %H:%M}."
    return ledger, ""


@dataclass
class _Touched:
    """The accounts an undo keeps: how many it created, how many it changed, and (why, how many)."""

    created: int
    changed: int
    reasons: list[tuple[str, int]]


class _Undo:
    """The statements of one undo, over a temporary table of the touched accounts (those it keeps)."""

    def __init__(self, account_import: AccountImport, ledger: ImportLedger) -> None:
        self.pk = account_import.pk
        self.label = account_import.source_label
        self.after, self.last = ledger.created_after_id, ledger.created_last_id
        self.touched = f"imp_undo_{account_import.pk}"
        self.gone = f"imp_undo_gone_{account_import.pk}"
        self.postgres = connection.vendor == "postgresql"

    def _sql(self, sql: str, params: list[object] | tuple = ()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.rowcount

    def _scalar(self, sql: str, params: list[object] | tuple = ()) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchone()[0]

    def _distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.postgres else f"{a} IS NOT {b}"

    def created(self, alias: str) -> tuple[str, list[object]]:
        """Accounts ``alias`` this import created: after its id range's start, up to its end, with its source."""
        if self.last is None:
            return "1 = 0", []
        return f"{alias}.id > %s AND {alias}.id <= %s AND {alias}.source = %s", [self.after, self.last, self.label]

    def _not_touched(self, column: str) -> str:
        return f"NOT EXISTS (SELECT 1 FROM {self.touched} t WHERE t.account_id = {column})"

    # --- what stays -------------------------------------------------------------------------------

    def lock(self) -> None:
        """Hold the accounts the undo writes until it commits, so no edit slips between check and write."""
        if not self.postgres:
            return  # SQLite lets one writer in at a time
        created, params = self.created("a")
        self._sql(
            f"SELECT a.id FROM {ACCOUNT} a WHERE {created} OR a.id IN "
            f"(SELECT account_id FROM {CHANGE} WHERE account_import_id = %s) FOR UPDATE",
            [*params, self.pk],
        )

    def find_touched(self) -> None:
        self.drop()
        self._sql(
            f"CREATE TEMPORARY TABLE {self.touched} (account_id bigint PRIMARY KEY, created integer, reason text)"
        )
        created, cp = self.created("a")
        insert = f"INSERT INTO {self.touched} (account_id, created, reason) "
        self._sql(
            f"{insert} SELECT a.id, 1, %s FROM {ACCOUNT} a WHERE {created} AND a.updated_at <> a.created_at",
            [_EDITED, *cp],
        )
        # One pass over the changed accounts finds both the deleted and the edited ones.
        self._sql(
            f"{insert} SELECT c.account_id, 0, CASE WHEN a.id IS NULL THEN %s ELSE %s END FROM {CHANGE} c "
            f"LEFT JOIN {ACCOUNT} a ON a.id = c.account_id "
            "WHERE c.account_import_id = %s AND (a.id IS NULL OR a.updated_at <> c.written_at)",
            [_DELETED, _EDITED, self.pk],
        )
        for dependent in account_dependents():
            if dependent.derived:
                continue
            d = f"d.{dependent.column}"
            self._sql(
                f"{insert} SELECT DISTINCT {d}, 1, %s FROM {dependent.table} d JOIN {ACCOUNT} a ON a.id = {d} "
                f"WHERE {created} AND {self._not_touched(d)}",
                [f"has {dependent.name}", *cp],
            )
            newer = f"AND d.{dependent.written_column} > c.written_at" if dependent.written_column else ""
            self._sql(
                f"{insert} SELECT DISTINCT {d}, 0, %s FROM {dependent.table} d JOIN {CHANGE} c ON c.account_id = {d} "
                f"WHERE c.account_import_id = %s {newer} AND {self._not_touched(d)}",
                [f"{dependent.name} recorded after the import", self.pk],
            )
        self._parents_that_stay()
        if self.postgres:
            # The planner then walks the account names for the list of kept accounts when most are kept,
            # rather than sorting them all.
            self._sql(f"ANALYZE {self.touched}")

    def _parents_that_stay(self) -> None:
        """A created account stays while an account that stays (and keeps pointing at it) is its subsidiary;
        settled in rounds, as a kept subsidiary keeps its parent, and that one its own parent."""
        parent, pp = self.created("p")
        child, cp = self.created("x")
        goes = (
            f"(({child}) AND {self._not_touched('x.id')}) OR EXISTS (SELECT 1 FROM {CHANGE} c "
            "WHERE c.account_import_id = %s AND c.account_id = x.id AND "
            f"{self._distinct('c.before_parent_id', 'x.parent_id')} AND {self._not_touched('x.id')})"
        )
        for _round in range(20):
            added = self._sql(
                f"INSERT INTO {self.touched} (account_id, created, reason) SELECT DISTINCT p.id, 1, %s "
                f"FROM {ACCOUNT} x JOIN {ACCOUNT} p ON p.id = x.parent_id WHERE x.parent_id > %s AND {parent} "
                f"AND {self._not_touched('p.id')} AND NOT ({goes})",
                [_PARENT, self.after, *pp, *cp, self.pk],
            )
            if not added:
                break

    def touched_summary(self) -> _Touched:
        """How many created and changed accounts stay, and why (most first): one GROUP BY."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT created, reason, count(*) FROM {self.touched} GROUP BY created, reason")
            groups = cursor.fetchall()
        reasons: dict[str, int] = {}
        for _created, reason, n in groups:
            reasons[reason] = reasons.get(reason, 0) + n
        return _Touched(
            created=sum(n for created, _reason, n in groups if created),
            changed=sum(n for created, _reason, n in groups if not created),
            reasons=sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
        )

    def touched_list(self) -> list[dict[str, Any]]:
        """The kept accounts (the first KEPT_LISTED by name, then those deleted since), each with why; "changed
        after the import" names the later import when one wrote the account last."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.account_id, a.name, t.reason, t.created FROM {ACCOUNT} a "
                f"JOIN {self.touched} t ON t.account_id = a.id ORDER BY a.name, a.id LIMIT {KEPT_LISTED}"
            )
            rows = cursor.fetchall()
            if len(rows) < KEPT_LISTED:
                cursor.execute(
                    f"SELECT t.account_id, NULL, t.reason, t.created FROM {self.touched} t WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {ACCOUNT} a WHERE a.id = t.account_id) ORDER BY t.account_id "
                    f"LIMIT {KEPT_LISTED - len(rows)}"
                )
                rows += cursor.fetchall()
        later = _later_imports([account_id for account_id, _n, reason, _c in rows if reason == _EDITED], self.pk)
        kept = []
        for account_id, name, reason, created in rows:
            if account_id in later:
                reason = f"changed later by import #{later[account_id][0]} ({later[account_id][1]})"
            kept.append({"id": account_id, "name": name or "", "reason": reason, "created": bool(created)})
        return kept

    def created_count(self) -> int:
        created, params = self.created("a")
        return int(self._scalar(f"SELECT count(*) FROM {ACCOUNT} a WHERE {created}", params))

    def changed_count(self) -> int:
        return ImportChange.objects.filter(account_import_id=self.pk).count()

    # --- the writes -------------------------------------------------------------------------------

    def restore(self) -> int:
        """Every changed account that nothing touched gets its values (and its last-change time) back. The
        vertical follows the restored industry by today's mapping; a parent deleted since is left empty."""
        assignments = [f"{f} = c.before_{f}" for f in TRACKED_FIELDS if f not in {"vertical_id", "parent_id"}]
        assignments += [
            f"vertical_id = CASE WHEN {self._distinct('c.before_vertical_id', 'c.after_vertical_id')} THEN "
            f"COALESCE((SELECT m.vertical_id FROM {MAPPING} m WHERE m.industry_key = lower(c.before_industry)), "
            f"c.before_vertical_id) ELSE {ACCOUNT}.vertical_id END",
            f"parent_id = CASE WHEN {self._distinct('c.before_parent_id', 'c.after_parent_id')} THEN "
            f"(SELECT p.id FROM {ACCOUNT} p WHERE p.id = c.before_parent_id) ELSE {ACCOUNT}.parent_id END",
            "updated_at = c.before_updated_at",
        ]
        restored = self._sql(
            f"UPDATE {ACCOUNT} SET {', '.join(assignments)} FROM {CHANGE} c WHERE c.account_import_id = %s "
            f"AND c.account_id = {ACCOUNT}.id AND {ACCOUNT}.updated_at = c.written_at "
            f"AND {self._not_touched('c.account_id')}",
            [self.pk],
        )
        # A merged possible duplicate is undone with the account it was merged into.
        self._sql(
            f"DELETE FROM {DUPLICATE} WHERE account_import_id = %s AND status = 'same' AND existing_id IN "
            f"(SELECT c.account_id FROM {CHANGE} c WHERE c.account_import_id = %s "
            f"AND {self._not_touched('c.account_id')})",
            [self.pk, self.pk],
        )
        return restored

    def delete_created(self) -> int:
        """Delete every created account that nothing touched, with its derived results and the possible
        duplicates it was part of."""
        created, params = self.created("a")
        self._sql(f"DROP TABLE IF EXISTS {self.gone}")
        self._sql(
            f"CREATE TEMPORARY TABLE {self.gone} AS SELECT a.id FROM {ACCOUNT} a WHERE {created} "
            f"AND a.updated_at = a.created_at AND {self._not_touched('a.id')}",
            params,
        )
        self._sql(f"CREATE UNIQUE INDEX {self.gone}_id ON {self.gone} (id)")
        gone = f"SELECT id FROM {self.gone}"
        account_derived_delete(gone, [])
        self._sql(f"DELETE FROM {DUPLICATE} WHERE account_id IN ({gone}) OR existing_id IN ({gone})")
        deleted = self._sql(f"DELETE FROM {ACCOUNT} WHERE id IN ({gone})")
        self._sql(f"DROP TABLE {self.gone}")
        return deleted

    def drop(self) -> None:
        self._sql(f"DROP TABLE IF EXISTS {self.touched}")


def _later_imports(account_ids: list[int], import_id: int) -> dict[int, tuple[int, str]]:
    """account id -> (import, file name) of the latest later import that changed the account: one GROUP BY
    and the names of those imports, however many imports changed the accounts since."""
    if not account_ids:
        return {}
    latest = dict(
        ImportChange.objects.filter(account_id__in=account_ids, account_import_id__gt=import_id)
        .order_by()
        .values("account_id")
        .annotate(latest=Max("account_import_id"))
        .values_list("account_id", "latest")
    )
    names = dict(AccountImport.objects.filter(pk__in=set(latest.values())).values_list("pk", "original_name"))
    return {account_id: (pk, names[pk]) for account_id, pk in latest.items()}
