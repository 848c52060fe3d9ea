"""Firmographic accounts: the companies of the market we sell into."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    FORMER = "former", "Former customer"


class Ownership(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"
    UNKNOWN = "", "Unknown"


class Vertical(models.Model):
    """A market vertical the leader plans by; industries as written in the data map onto it."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IndustryMapping(models.Model):
    """An industry as it appears in imported data, and the vertical it belongs to (None: unmapped).

    ``industry_key`` is the industry lower-cased with spaces collapsed, so "Software " and "software"
    are one industry.
    """

    industry_key = models.CharField(max_length=150, unique=True)
    industry = models.CharField(max_length=150, help_text="The industry as first seen in the data.")
    vertical = models.ForeignKey(Vertical, on_delete=models.SET_NULL, null=True, blank=True, related_name="industries")

    class Meta:
        ordering = ["industry_key"]

    def __str__(self) -> str:
        return self.industry


class Account(models.Model):
    """One company. Money is whole US dollars; unknown figures are NULL, never zero."""

    name = models.CharField(max_length=255)
    domain = models.CharField(max_length=255, blank=True, help_text="Lower case, no scheme, no www.")
    website = models.CharField(max_length=500, blank=True)
    industry = models.CharField(max_length=150, blank=True)
    vertical = models.ForeignKey(Vertical, on_delete=models.SET_NULL, null=True, blank=True, related_name="accounts")
    annual_revenue = models.BigIntegerField(null=True, blank=True, help_text="USD per year.")
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, default="US", help_text="ISO 3166 alpha-2 code.")
    state = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, blank=True, default="")
    ticker = models.CharField(max_length=12, blank=True)
    founded_year = models.PositiveSmallIntegerField(null=True, blank=True)
    lifecycle = models.CharField(max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT)
    current_sales = models.BigIntegerField(null=True, blank=True, help_text="Our sales to it per year, USD.")
    wallet = models.BigIntegerField(null=True, blank=True, help_text="Its estimated yearly spend in our category, USD.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subsidiaries",
        help_text="The account this one belongs to (a subsidiary's parent company).",
        db_index=False,  # the partial index below: few accounts have a parent
    )
    # Normalized name (lower case, punctuation and legal suffixes removed) for matching without a domain.
    name_key = models.CharField(max_length=255, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_accounts",
        db_index=False,  # (owner, name) below serves every lookup by owner
    )
    source = models.CharField(max_length=100, blank=True, help_text="Where the record came from (which import).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["domain"], condition=~Q(domain=""), name="account_domain_unique"),
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="account_owner_name_idx"),
            # The revenue index ("biggest first": DESC NULLS LAST) is created by migration 0007, as
            # SQLite cannot declare NULLS LAST in an index.
            models.Index(fields=["name_key", "country"], name="account_name_key_idx"),
            # Plain b-tree indexes: Django's db_index would add a second, "_like" index to each text
            # column, which no query here uses and every import would pay for.
            models.Index(fields=["name"], name="account_name_idx"),
            models.Index(fields=["state"], name="account_state_idx"),
            models.Index(fields=["parent"], name="account_parent_idx", condition=Q(parent__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        from accounts.normalize import name_key

        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("account_detail", args=[self.pk])

    @property
    def wallet_share_pct(self) -> float | None:
        """Our share of what it spends in our category; None when either figure is unknown."""
        if not self.wallet or self.current_sales is None:
            return None
        return self.current_sales * 100 / self.wallet


class AccountImport(models.Model):
    """One uploaded file on its way in: where it is, how its columns map, and how the import ended."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", "All or nothing: if any row is invalid, import nothing"
        SKIP_INVALID = "skip", "Import the valid rows and give me the rejected ones as a file"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        REFUSED = "refused", "Refused: nothing was imported"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/")
    size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=4, default="csv")  # csv or xlsx
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    headers = models.JSONField(default=list)
    # {"columns": {"0": "name", ...}, "units": {"annual_revenue": 1000000}, "default_country": "US"}
    mapping = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    job = models.ForeignKey("salesplan.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rows_total = models.PositiveBigIntegerField(default=0)
    created = models.PositiveBigIntegerField(default=0)
    updated = models.PositiveBigIntegerField(default=0)
    unchanged = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(default=0)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("account_import_detail", args=[self.pk])

    @property
    def source_label(self) -> str:
        """What imported accounts record as their source."""
        return f"import #{self.pk}: {self.original_name}"[:100]

    @property
    def is_reading(self) -> bool:
        """A workbook still being read into its staged copy (in the background): no header to map yet."""
        return self.status == self.Status.UPLOADED and self.file_format == "xlsx" and not self.headers


class ImportIssue(models.Model):
    """A problem with one cell or row of an import: an error (the row is rejected) or a duplicate."""

    class Kind(models.TextChoices):
        ERROR = "error", "Error"
        DUPLICATE = "duplicate", "Duplicate"
        WARNING = "warning", "Warning"

    account_import = models.ForeignKey(AccountImport, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveBigIntegerField(help_text="Row as a spreadsheet numbers it: the header is row 1.")
    column = models.CharField(max_length=255, blank=True)
    value = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ERROR)

    class Meta:
        ordering = ["row", "pk"]
        indexes = [models.Index(fields=["account_import", "kind", "row"], name="importissue_import_row_idx")]

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.reason}"


class AccountTerritory(models.Model):
    """Which territory of a design an account falls in (none: the account is unassigned in that design).

    Written a million at a time by the assignment rules (segmentation), read by ``accounts_visible_to``
    through the published design: a rep sees the accounts of their territories.
    """

    pk = models.CompositePrimaryKey("design", "account")
    design = models.ForeignKey(
        "salesplan.TerritoryDesign", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="territories", db_constraint=False)
    territory = models.ForeignKey(
        "salesplan.Territory", on_delete=models.CASCADE, related_name="accounts", db_constraint=False, db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["design", "territory", "account"], name="account_territory_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.territory_id}"


class Strategy(models.TextChoices):
    ACQUIRE = "acquire", "Acquire"
    GROW = "grow", "Grow"
    REACTIVATE = "reactivate", "Reactivate"
    RETAIN = "retain", "Retain"
    RETIRE = "retire", "Retire"


class AccountStrategy(models.Model):
    """The strategy chosen for an account, with what the data suggested then; the latest row stands and
    the earlier ones are its history."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="strategies")
    strategy = models.CharField(max_length=10, choices=Strategy.choices)
    suggested = models.CharField(max_length=10, choices=Strategy.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "-created_at"], name="account_strategy_latest_idx")]

    def __str__(self) -> str:
        return self.get_strategy_display()


from accounts.models.import_records import ImportChange, ImportLedger, PossibleDuplicate  # noqa: E402

__all__ = [
    "Account",
    "AccountImport",
    "AccountStrategy",
    "AccountTerritory",
    "ImportChange",
    "ImportIssue",
    "ImportLedger",
    "IndustryMapping",
    "Lifecycle",
    "Ownership",
    "PossibleDuplicate",
    "Strategy",
    "Vertical",
]
