"""After an import: which changed accounts the published territory design moves, and the possible
duplicates a person resolves ("same company": merged; "two companies": both kept)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.dependents import account_derived_delete, account_work_names
from accounts.importing.pipeline import (
    ACCOUNT,
    CHANGE,
    DUPLICATE,
    account_changes_snapshot,
    account_changes_write,
    merged_values,
)
from accounts.models import (
    Account,
    AccountImport,
    AccountTerritory,
    ImportChange,
    ImportLedger,
    IndustryMapping,
    PossibleDuplicate,
)
from accounts.models.import_records import TRACKED_FIELDS
from accounts.placement import account_placement
from accounts.selectors import accounts_data_changed
from salesplan.models import User

PLACED = AccountTerritory._meta.db_table
# The tracked columns a person reads (the normalized name is bookkeeping).
SHOWN_FIELDS = [c for c in TRACKED_FIELDS if c != "name_key"]
MAPPING = IndustryMapping._meta.db_table


def import_territory_moves_record(*, account_import: AccountImport, account_id: int | None = None) -> int | None:
    """Judge the accounts the import changed (or one of them) by the published design's rules: record where
    each one is placed now, where the rules put it, and whether it moves. Places nothing: that stays the
    job of territory placement. Returns how many of the import's accounts move (None: no design published).

    For one account (a merge), the import's count moves by that account's change alone: judging one account
    never recounts the import's million changes."""
    scope = f"SELECT account_id FROM {CHANGE} WHERE account_import_id = %s"
    params: list[object] = [account_import.pk]
    if account_id is not None:
        scope += " AND account_id = %s"
        params.append(account_id)
    placement = account_placement(scope, params)
    changes = ImportChange.objects.filter(account_import=account_import)
    scoped = changes if account_id is None else changes.filter(account_id=account_id)
    if placement is None:
        scoped.update(territory_before=None, territory_after=None, territory_moves=False)
        if account_id is None:
            ImportLedger.objects.filter(account_import=account_import).update(
                territory_design=None, territory_moves=None
            )
        return None
    moved_before = account_id is not None and scoped.filter(territory_moves=True).exists()
    temp = f"imp_place_{account_import.pk}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS {placement.sql}", placement.params)
        cursor.execute(f"CREATE INDEX {temp}_account ON {temp} (account_id)")
        cursor.execute(
            f"UPDATE {CHANGE} SET "
            f"territory_after_id = (SELECT p.territory_id FROM {temp} p WHERE p.account_id = {CHANGE}.account_id), "
            f"territory_before_id = (SELECT t.territory_id FROM {PLACED} t "
            f"WHERE t.design_id = %s AND t.account_id = {CHANGE}.account_id) "
            f"WHERE account_import_id = %s AND account_id IN (SELECT account_id FROM {temp})",
            [placement.design_id, account_import.pk],
        )
        cursor.execute(f"DROP TABLE {temp}")
        moves = (
            Q(territory_before__isnull=True, territory_after__isnull=False)
            | Q(territory_before__isnull=False, territory_after__isnull=True)
            | (
                Q(territory_before__isnull=False, territory_after__isnull=False)
                & ~Q(territory_before=F("territory_after"))
            )
        )
        scoped.update(territory_moves=Case(When(moves, then=Value(True)), default=Value(False)))
        ledger = ImportLedger.objects.filter(account_import=account_import)
        if account_id is None:
            count = changes.filter(territory_moves=True).count()
            ledger.update(territory_design_id=placement.design_id, territory_moves=count)
            return count
        moved = int(scoped.filter(territory_moves=True).exists()) - int(moved_before)
        ledger.update(
            territory_design_id=placement.design_id, territory_moves=Coalesce(F("territory_moves"), 0) + moved
        )
    return ledger.values_list("territory_moves", flat=True).first()


def import_change_counts_record(*, account_import: AccountImport) -> dict[str, object]:
    """Count, once, how many accounts the import changed and how many per field (the report reads these
    instead of aggregating a million changes on every visit)."""
    counted = _change_counts(ImportChange.objects.filter(account_import=account_import))
    counts = {"total": counted.pop("total"), "fields": {c: n for c, n in counted.items() if n}}
    ImportLedger.objects.filter(account_import=account_import).update(change_counts=counts)
    return counts


def _change_counts(changes: QuerySet[ImportChange]) -> dict[str, int]:
    """How many ``changes`` there are, and how many of them changed each shown field: one aggregate query."""
    return changes.aggregate(total=Count("pk"), **{c: Count("pk", filter=column_changed(c)) for c in SHOWN_FIELDS})


def _change_counts_adjust(*, account_import: AccountImport, before: dict[str, int], after: dict[str, int]) -> None:
    """Move the import's recorded counts by what a merge changed in the few records it rewrote (``after`` minus
    ``before``, each counted over those records alone). An import that recorded no counts (it changed no
    account until merges did) is counted whole: its changes are the merges'."""
    ledger = ImportLedger.objects.select_for_update().get(account_import=account_import)
    if "total" not in ledger.change_counts:
        import_change_counts_record(account_import=account_import)
        return
    fields = {c: ledger.change_counts["fields"].get(c, 0) + after[c] - before[c] for c in SHOWN_FIELDS}
    ledger.change_counts = {
        "total": ledger.change_counts["total"] + after["total"] - before["total"],
        "fields": {c: n for c, n in fields.items() if n},
    }
    ledger.save(update_fields=["change_counts"])


def column_changed(column: str) -> Q:
    """The import changed ``column`` of the account (NULL and a value count as different)."""
    before, after = f"before_{column}", f"after_{column}"
    return (
        Q(**{f"{before}__isnull": True, f"{after}__isnull": False})
        | Q(**{f"{before}__isnull": False, f"{after}__isnull": True})
        | (Q(**{f"{before}__isnull": False, f"{after}__isnull": False}) & ~Q(**{before: F(after)}))
    )


def possible_duplicate_resolve(*, duplicate: PossibleDuplicate, same: bool, user: User) -> PossibleDuplicate:
    """A person's answer to a possible duplicate. "Two companies" keeps both accounts as they are. "Same
    company" merges the new record into the existing account with the row's values, as an update from the
    file would have written them; the import records the change, so that its report lists it and its undo
    puts the account back. Refused, with the reason, when the pair was answered already or the new record
    carries work of its own."""
    now = timezone.now()
    status = PossibleDuplicate.Status.SAME if same else PossibleDuplicate.Status.DIFFERENT
    with transaction.atomic():
        claimed = PossibleDuplicate.objects.filter(pk=duplicate.pk, status=PossibleDuplicate.Status.OPEN).update(
            status=status, resolved_by=user, resolved_at=now
        )
        if not claimed:
            raise ValidationError("Someone answered this possible duplicate already; the list shows their answer.")
        if same:
            _merge_into_existing(duplicate, now)
    duplicate.refresh_from_db()
    if same:
        accounts_data_changed()
    return duplicate


def _later_edits_kept(*, import_id: int, account_id: int) -> None:
    """The import changed the account, and someone changed it again since (a person's edit): before the merge
    writes over both, each field that later change set becomes the record's "before" value. Undoing the
    import then gives the account its values from before the import, with those edits kept, instead of
    taking the edits back with the import."""
    edited = " IS DISTINCT FROM " if connection.vendor == "postgresql" else " IS NOT "
    assignments = ", ".join(
        f"before_{f} = CASE WHEN a.{f}{edited}{CHANGE}.after_{f} THEN a.{f} ELSE {CHANGE}.before_{f} END"
        for f in TRACKED_FIELDS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CHANGE} SET {assignments} FROM {ACCOUNT} a WHERE {CHANGE}.account_import_id = %s "
            f"AND {CHANGE}.account_id = a.id AND a.id = %s AND a.updated_at <> {CHANGE}.written_at",
            [import_id, account_id],
        )


def _merge_into_existing(duplicate: PossibleDuplicate, now: object) -> None:
    new_id, existing_id, import_id = duplicate.account_id, duplicate.existing_id, duplicate.account_import_id
    locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=[new_id, existing_id])}
    new, existing = locked.get(new_id), locked.get(existing_id)
    if new is None or existing is None:
        raise ValidationError("One of the two accounts was deleted since the import: there is nothing to merge.")
    if new.updated_at != new.created_at:
        raise ValidationError(
            f"“{new.name}” was edited after the import ({timezone.localtime(new.updated_at):%b %-d, %Y %H:%M}); "
            "merging would lose that "
            "edit. Merge the two by hand, or answer “two companies”."
        )
    work = account_work_names(new.pk)
    if work:
        raise ValidationError(
            f"“{new.name}” already has {' and '.join(work)}; merging would lose it. Move it to “{existing.name}” "
            "by hand first, or answer “two companies”."
        )
    # The records the merge rewrites: the existing account's, and those whose new parent is the new record.
    rewritten = ImportChange.objects.filter(account_import_id=import_id, account_id=existing.pk)
    counts_before = _change_counts(rewritten)
    parents = ImportChange.objects.filter(account_import_id=import_id, after_parent_id=new.pk).exclude(
        account_id=existing.pk
    )
    # Their parent becomes the existing account: a change no more where it had been that account before.
    parents_flipped = parents.aggregate(
        gained=Count("pk", filter=Q(before_parent_id=new.pk)), lost=Count("pk", filter=Q(before_parent_id=existing.pk))
    )
    _later_edits_kept(import_id=import_id, account_id=existing.pk)
    account_changes_snapshot(
        import_id=import_id,
        written_at=now,
        action=ImportChange.Action.MERGED,
        accounts_sql="SELECT %s",
        params=[existing.pk],
    )
    after = merged_values(
        row="d.row_",
        account="a",
        vertical=f"(SELECT vm.vertical_id FROM {MAPPING} vm WHERE vm.industry_key = lower(d.row_industry))",
    )
    assignments = ", ".join(f"after_{f} = {after[f]}" for f in TRACKED_FIELDS if f != "parent_id")
    with connection.cursor() as cursor:
        # The row's values over the existing account as it is now (a person may have edited it since).
        cursor.execute(
            f"UPDATE {CHANGE} SET {assignments}, written_at = %s FROM {DUPLICATE} d, {ACCOUNT} a "
            f"WHERE {CHANGE}.account_import_id = %s AND {CHANGE}.account_id = a.id AND a.id = %s AND d.id = %s",
            [now, import_id, existing.pk, duplicate.pk],
        )
        # What pointed at the new record points at the company it is: later rows' pairs, subsidiaries.
        cursor.execute(f"UPDATE {ACCOUNT} SET parent_id = %s WHERE parent_id = %s", [existing.pk, new.pk])
        cursor.execute(
            f"UPDATE {CHANGE} SET after_parent_id = %s WHERE account_import_id = %s AND after_parent_id = %s",
            [existing.pk, import_id, new.pk],
        )
    for pair in PossibleDuplicate.objects.filter(existing_id=new.pk):
        if PossibleDuplicate.objects.filter(account_id=pair.account_id, existing_id=existing.pk).exists():
            pair.delete()
        else:
            PossibleDuplicate.objects.filter(pk=pair.pk).update(existing_id=existing.pk)
    PossibleDuplicate.objects.filter(account_id=new.pk).exclude(pk=duplicate.pk).delete()
    PossibleDuplicate.objects.filter(pk=duplicate.pk).update(account=None)
    account_derived_delete("SELECT %s", [new.pk])
    # The new record goes first: the existing account may take over its domain.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ACCOUNT} WHERE id = %s", [new.pk])
    account_changes_write(import_id=import_id, written_at=now, account_id=existing.pk)
    import_territory_moves_record(account_import=duplicate.account_import, account_id=existing.pk)
    counts_after = _change_counts(rewritten)
    counts_after["parent_id"] += parents_flipped["gained"] - parents_flipped["lost"]
    _change_counts_adjust(account_import=duplicate.account_import, before=counts_before, after=counts_after)
