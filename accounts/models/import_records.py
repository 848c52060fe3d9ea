"""What an import wrote, kept so that its report can say what changed and so that it can be undone; and
the possible duplicates it found, which a person resolves.

Written set-based by the import pipeline (one ``INSERT … SELECT`` each), never a row at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Account, AccountImport

# Account columns an import may change and that undo puts back, as the database names them. The first
# ones are the fields an update takes from the file; the rest follow from them (the normalized name, the
# vertical of the industry) or from the parent-domain column.
ROW_FIELDS = [
    "name", "website", "industry", "annual_revenue", "employees", "country", "state", "city", "postal_code",
    "ownership", "ticker", "founded_year", "lifecycle", "current_sales", "wallet", "owner_id",
]  # fmt: skip
TRACKED_FIELDS = [*ROW_FIELDS, "domain", "name_key", "vertical_id", "parent_id"]


def _copy_of(column: str) -> models.Field:
    """A nullable field holding a copy of one account column (ids as plain numbers: what they pointed to
    may be gone by the time the copy is read)."""
    field = next(f for f in Account._meta.concrete_fields if f.column == column)
    if isinstance(field, models.ForeignKey | models.IntegerField | models.BigIntegerField):
        return models.BigIntegerField(null=True, blank=True)
    return models.TextField(null=True, blank=True)


class ImportLedger(models.Model):
    """One finished import's writes: when it wrote, which accounts it created (an id range: every account
    after ``created_after_id`` up to ``created_last_id`` whose source is this import), which territory
    design its moves were judged against, and its undo."""

    account_import = models.OneToOneField(
        AccountImport, on_delete=models.CASCADE, primary_key=True, related_name="ledger"
    )
    written_at = models.DateTimeField(help_text="The time the import wrote into the accounts it created or changed.")
    created_after_id = models.BigIntegerField(default=0)
    created_last_id = models.BigIntegerField(null=True, blank=True)
    territory_design = models.ForeignKey(
        "salesplan.TerritoryDesign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    territory_moves = models.PositiveBigIntegerField(null=True, blank=True)
    # {"total": accounts changed, "fields": {column: accounts whose column changed}}, counted once, for the report.
    change_counts = models.JSONField(default=dict, blank=True)
    undo_job = models.ForeignKey("salesplan.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # {"deleted": n, "restored": n, "kept": n, "kept_accounts": [{"id", "name", "reason"}, …first 200]}
    undo_result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Writes of import #{self.account_import_id}"


class ImportChange(models.Model):
    """An existing account an import changed: its values before and after (``before_<column>``,
    ``after_<column>`` for every column of TRACKED_FIELDS), when the import wrote them, and its territory
    under the published design before and after (by that design's rules).

    ``account`` has no database constraint: the record stays when the account is deleted later, and says so.
    """

    class Action(models.TextChoices):
        UPDATED = "updated", "Updated from the file"
        MERGED = "merged", "A possible duplicate merged into it"

    account_import = models.ForeignKey(AccountImport, on_delete=models.CASCADE, related_name="changes")
    # Never NULL; nullable so that lists join it with LEFT JOIN and still show a record whose account is gone.
    account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+", db_index=False
    )
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.UPDATED)
    written_at = models.DateTimeField()
    before_updated_at = models.DateTimeField(null=True, blank=True)
    territory_before = models.ForeignKey(
        "salesplan.Territory", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    territory_after = models.ForeignKey(
        "salesplan.Territory", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False
    )
    territory_moves = models.BooleanField(default=False)

    class Meta:
        ordering = ["account_import", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account_import", "account"], name="importchange_import_account_unique")
        ]
        indexes = [
            models.Index(fields=["account"], name="importchange_account_idx"),
            # The report's first rows: the accounts that move, then the others.
            models.Index(fields=["account_import", "territory_moves", "id"], name="importchange_moves_idx"),
        ]

    def __str__(self) -> str:
        return f"Import #{self.account_import_id} changed account {self.account_id}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(column, before, after) of every tracked column whose value the import changed."""
        return [
            (column, getattr(self, f"before_{column}"), getattr(self, f"after_{column}"))
            for column in TRACKED_FIELDS
            if column != "name_key" and getattr(self, f"before_{column}") != getattr(self, f"after_{column}")
        ]


for _column in TRACKED_FIELDS:
    ImportChange.add_to_class(f"before_{_column}", _copy_of(_column))
    ImportChange.add_to_class(f"after_{_column}", _copy_of(_column))


class PossibleDuplicate(models.Model):
    """A row that has the name of another company (an existing account, or another row of the file) but
    not its place. The row was imported as a new account (``account``); a person says whether it is the
    same company as ``existing`` (the new record is merged into it, with the row's values as an update
    would write them: ``row_<column>``, NULL where the file's cell was blank) or two companies."""

    class Status(models.TextChoices):
        OPEN = "open", "To review"
        SAME = "same", "Same company: merged"
        DIFFERENT = "different", "Two companies"

    account_import = models.ForeignKey(AccountImport, on_delete=models.CASCADE, related_name="possible_duplicates")
    row = models.PositiveBigIntegerField(help_text="Row as a spreadsheet numbers it: the header is row 1.")
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="The new record."
    )
    existing = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="possible_duplicates")
    file_row = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="When ``existing`` came from another row of the same file: that row."
    )
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_import", "row", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "existing"], name="possibleduplicate_pair_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "account_import", "row"], name="possibleduplicate_status_idx"),
            models.Index(fields=["account"], name="possibleduplicate_account_idx"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row} of import #{self.account_import_id} may be account {self.existing_id}"


for _column in [*ROW_FIELDS, "domain", "name_key"]:
    PossibleDuplicate.add_to_class(f"row_{_column}", _copy_of(_column))
