"""Account segmentation: the Ideal Customer Profile, its criteria, the answers reps give and the scores.

A profile belongs to a fiscal-year plan and is versioned: editing a published profile makes a new draft
version (same ``lineage``), so every score names the exact version it came from.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Tier(models.TextChoices):
    A = "A", "A · ideal"
    B = "B", "B · good fit"
    C = "C", "C · weak fit"
    D = "D", "D · poor fit"


NEEDS_DATA = "N"  # too little of the weight is known to rate the account (see scoring.py)
SCORE_TIERS = [*Tier.choices, (NEEDS_DATA, "Needs data")]
RATED_TIERS = tuple(Tier.values)  # A–D: the tiers an account is rated with
FOCUS_TIERS = ("A", "B")  # high and moderate scores: the accounts reps work first


class IdealCustomerProfile(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    plan = models.ForeignKey("salesplan.StrategyPlan", on_delete=models.CASCADE, related_name="icps")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Who our ideal customer is, in a few sentences.")
    lineage = models.UUIDField(default=uuid.uuid4, editable=False, help_text="The same profile across versions.")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    tier_a_min = models.PositiveSmallIntegerField(
        "Tier A from", default=75, validators=[MaxValueValidator(100)], help_text="Lowest score (0–100) of tier A."
    )
    tier_b_min = models.PositiveSmallIntegerField("Tier B from", default=50, validators=[MaxValueValidator(100)])
    tier_c_min = models.PositiveSmallIntegerField("Tier C from", default=25, validators=[MaxValueValidator(100)])
    min_known_pct = models.PositiveSmallIntegerField(
        "Known weight for A or B (%)",
        default=60,
        validators=[MaxValueValidator(100)],
        help_text="Tiers A and B need at least this share of the criteria's weight known; below it an account "
        "is “Needs data”, unless no answer could lift it to B.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True, help_text="When every account was last scored.")
    scored_count = models.PositiveBigIntegerField(default=0)
    summary = models.JSONField(
        default=dict, blank=True, help_text="The whole market's tiers, bands and focus, as of the last scoring."
    )

    class Meta:
        ordering = ["-plan__fiscal_year_start", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="icp_lineage_version_unique"),
            models.CheckConstraint(
                condition=Q(tier_a_min__gt=models.F("tier_b_min")) & Q(tier_b_min__gt=models.F("tier_c_min")),
                name="icp_tiers_descend",
                violation_error_message="Tier thresholds must descend: A above B above C.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("icp_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def tier_for(self, *, earned: float, known: float, total: float) -> str:
        """The tier of ``earned`` points of ``known`` weight out of ``total``, compared without rounding so SQL
        agrees exactly (scoring.py states the rule): unknown weight counts half; below ``min_known_pct`` known,
        "Needs data" unless even a "yes" to every unknown would stay under tier B."""
        if total <= 0:
            return ""
        unknown = total - known
        if 100 * known < self.min_known_pct * total and 100 * (earned + unknown) >= self.tier_b_min * total:
            return NEEDS_DATA
        for tier, minimum in (("A", self.tier_a_min), ("B", self.tier_b_min), ("C", self.tier_c_min)):
            if 100 * (2 * earned + unknown) >= 2 * minimum * total:
                return tier
        return "D"

    def tier_of_score(self, score: float) -> str:
        """The rated tier (A–D) a score falls in, for what-if figures."""
        for tier, minimum in (("A", self.tier_a_min), ("B", self.tier_b_min), ("C", self.tier_c_min)):
            if score >= minimum:
                return tier
        return "D"


class Criterion(models.Model):
    class Kind(models.TextChoices):
        RANGE = "range", "Numeric range"
        CATEGORY = "category", "One of a set"
        FACT = "fact", "Yes/no fact"
        QUESTION = "question", "Question for the rep"

    icp = models.ForeignKey(IdealCustomerProfile, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=60, help_text="Stable name across versions; answers are kept under it.")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    field = models.CharField(max_length=30, blank=True, help_text="The account field a data criterion reads.")
    min_value = models.BigIntegerField(null=True, blank=True)
    max_value = models.BigIntegerField(null=True, blank=True)
    values = models.JSONField(default=list, blank=True, help_text="The accepted values of a set criterion.")
    expected = models.BooleanField(default=True, help_text="For a fact: whether a match means yes or no.")
    weight = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(100)])
    question = models.CharField(max_length=300, blank=True, help_text="What the rep is asked.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["icp", "key"], name="criterion_key_unique")]

    def __str__(self) -> str:
        return self.name


class AccountAnswer(models.Model):
    """A rep's answer to a qualitative criterion for one account; kept by criterion key across versions."""

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        PARTLY = "partly", "Partly"
        NO = "no", "No"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="icp_answers")
    key = models.SlugField(max_length=60)
    answer = models.CharField(max_length=6, choices=Answer.choices)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="answer_account_key_unique")]

    def __str__(self) -> str:
        return f"{self.key}: {self.answer}"


class AccountScore(models.Model):
    """One account scored against one profile version. ``points`` holds the points earned per criterion, in
    the profile's criterion order, with null where the account's value is unknown."""

    # One row per (profile, account): the key itself, with no surrogate id, sequence or second index.
    pk = models.CompositePrimaryKey("icp", "account")
    # Written a million at a time by one INSERT … SELECT from the accounts themselves, so every row's keys
    # exist when written; database-level key checks (a trigger per row) would double the scoring time.
    # Django still deletes an account's or a profile's scores with it (on_delete).
    icp = models.ForeignKey(
        IdealCustomerProfile,
        on_delete=models.CASCADE,
        related_name="scores",
        db_constraint=False,
        db_index=False,  # the key (icp, account) serves every lookup by profile
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="icp_scores", db_constraint=False
    )
    score = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, help_text="0–100 over the whole weight, unknowns counted half"
    )
    matched = models.PositiveSmallIntegerField(default=0)
    unknown = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    coverage = models.PositiveSmallIntegerField(default=0, help_text="Share of the weight that is known, percent.")
    tier = models.CharField(max_length=1, choices=SCORE_TIERS, blank=True)
    # Rated (A–D) rather than "Needs data": the matrix lists rated accounts first, by score.
    rated = models.BooleanField(default=False)
    points = models.JSONField(default=list)
    scored_at = models.DateTimeField()

    # The matrix's default order (rated first, best score first, unknown last) has an index made by
    # migrations 0002 and 0003, since SQLite cannot declare NULLS LAST in an index.

    def __str__(self) -> str:
        return f"{self.score} ({self.tier or 'no tier'})"


class TierReview(models.Model):
    """A manager's confirmation or override of an account's computed tier. The latest review of a plan's
    account is ``current`` (kept so by ``tier_review``): its tier is the one in force (segmentation.tiers)."""

    class Action(models.TextChoices):
        CONFIRM = "confirm", "Confirmed"
        OVERRIDE = "override", "Overridden"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="tier_reviews")
    plan = models.ForeignKey("salesplan.StrategyPlan", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    computed_tier = models.CharField(max_length=1, blank=True)
    tier = models.CharField(max_length=1, choices=SCORE_TIERS)
    reason = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=True, help_text="The latest review of this account in this plan.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["plan", "account", "-created_at"], name="tierreview_latest_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "account"], condition=Q(current=True), name="tierreview_one_current"
            ),
            models.CheckConstraint(
                condition=~Q(action="override") | ~Q(reason=""),
                name="tierreview_override_has_reason",
                violation_error_message="Say why the tier is overridden.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.tier}"


# --- Territories: the rules that place accounts (the territories themselves are in salesplan) -----------


class AssignmentRule(models.Model):
    """Accounts matching every condition given here go to ``territory``; rules are tried in ``position``
    order and the first match wins. An empty condition matches everything."""

    design = models.ForeignKey("salesplan.TerritoryDesign", on_delete=models.CASCADE, related_name="rules")
    territory = models.ForeignKey("salesplan.Territory", on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    countries = models.JSONField(default=list, blank=True, help_text="ISO codes, e.g. US, CA")
    states = models.JSONField(default=list, blank=True, help_text="State or region codes, e.g. NY, NJ")
    cities = models.JSONField(default=list, blank=True)
    postal_prefixes = models.JSONField(default=list, blank=True, help_text="e.g. 100, 101 (Manhattan)")
    verticals = models.JSONField(default=list, blank=True, help_text="Vertical names")
    revenue_min = models.BigIntegerField(null=True, blank=True)
    revenue_max = models.BigIntegerField(null=True, blank=True)
    employees_min = models.BigIntegerField(null=True, blank=True)
    employees_max = models.BigIntegerField(null=True, blank=True)
    accounts = models.JSONField(default=list, blank=True, help_text="Named accounts: their ids")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Rule {self.position} → {self.territory}"


# --- TAM / SAM / SOM ----------------------------------------------------------------------------------------


class TamModel(models.Model):
    """How an account's yearly $ potential for us is estimated, and which part of the market we can serve."""

    class Method(models.TextChoices):
        REVENUE_SHARE = "revenue_share", "A share of its revenue"
        PER_EMPLOYEE = "per_employee", "A price per employee"
        ACV_BY_BAND = "acv_by_band", "An annual contract value per size band"

    plan = models.ForeignKey("salesplan.StrategyPlan", on_delete=models.CASCADE, related_name="tam_models")
    name = models.CharField(max_length=120)
    method = models.CharField(max_length=15, choices=Method.choices, default=Method.REVENUE_SHARE)
    revenue_share_pct = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0.5"))
    price_per_employee = models.PositiveIntegerField(default=120, help_text="USD per employee per year")
    bands = models.JSONField(
        default=list,
        blank=True,
        help_text='Annual contract value per size band: [{"min_employees": 0, "acv": 15000}, …] from small to large',
    )
    sam_min_tier = models.CharField(
        max_length=1, choices=Tier.choices, default="B", help_text="Accounts at this ICP tier or better are the SAM."
    )
    som_share_pct = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("10"), help_text="The share of the SAM we can win."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The market-size page, where the sales leader edits the plan's model and sizes the market with it."""
        return reverse("tam_overview") + "#tam-model"


class TamRun(models.Model):
    """A kept snapshot of one TAM computation: the model's parameters then, and the totals."""

    plan = models.ForeignKey("salesplan.StrategyPlan", on_delete=models.CASCADE, related_name="tam_runs")
    model = models.ForeignKey(TamModel, on_delete=models.SET_NULL, null=True, related_name="runs")
    icp = models.ForeignKey(IdealCustomerProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accounts = models.PositiveBigIntegerField(default=0)
    accounts_unknown = models.PositiveBigIntegerField(default=0, help_text="Accounts whose potential is unknown.")
    sam_accounts = models.PositiveBigIntegerField(default=0)
    tam = models.DecimalField(max_digits=20, decimal_places=0, default=0)
    sam = models.DecimalField(max_digits=20, decimal_places=0, default=0)
    som = models.DecimalField(max_digits=20, decimal_places=0, default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"TAM run {self.created_at:%b %d, %Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("tam_run_detail", args=[self.pk])


class TamBreakdown(models.Model):
    class Dimension(models.TextChoices):
        VERTICAL = "vertical", "Vertical"
        REGION = "region", "Region (state)"
        SIZE = "size", "Size band"
        SEGMENT = "segment", "Segment"
        VERTICAL_REGION = "vertical_region", "Vertical × region"

    run = models.ForeignKey(TamRun, on_delete=models.CASCADE, related_name="breakdowns")
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    key = models.CharField(max_length=200)
    key2 = models.CharField(max_length=200, blank=True)
    accounts = models.PositiveBigIntegerField(default=0)
    sam_accounts = models.PositiveBigIntegerField(default=0)
    tam = models.DecimalField(max_digits=20, decimal_places=0, default=0)
    sam = models.DecimalField(max_digits=20, decimal_places=0, default=0)
    som = models.DecimalField(max_digits=20, decimal_places=0, default=0)

    class Meta:
        ordering = ["-tam", "key"]
        indexes = [models.Index(fields=["run", "dimension"], name="tambreakdown_run_idx")]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.key}"


# --- Market prioritization -----------------------------------------------------------------------------------


class PriorityRun(models.Model):
    plan = models.ForeignKey("salesplan.StrategyPlan", on_delete=models.CASCADE, related_name="priority_runs")
    design = models.ForeignKey("salesplan.TerritoryDesign", on_delete=models.CASCADE, related_name="+")
    icp = models.ForeignKey(IdealCustomerProfile, on_delete=models.CASCADE, related_name="+")
    tam_model = models.ForeignKey(TamModel, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ranked = models.PositiveBigIntegerField(default=0, help_text="Growth targets that fit the ICP, ranked.")
    kept = models.PositiveBigIntegerField(default=0, help_text="Accounts to retain or retire, listed apart.")
    needs_data = models.PositiveBigIntegerField(default=0, help_text="Growth targets the rep must find out about.")
    counts = models.JSONField(default=dict, help_text="Accounts per territory and list: {territory id: {list: n}}.")
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Prioritization of {self.created_at:%b %d, %Y %H:%M}"


class PriorityList(models.TextChoices):
    """Which of a rep's lists an account of a prioritization is on."""

    RANKED = "rank", "Ranked growth targets"
    KEEP = "keep", "Retain and retire"
    NEEDS_DATA = "data", "Needs data"


class AccountPriority(models.Model):
    """An account's place in one prioritization run: on which list (growth targets that fit the ICP, ranked;
    accounts to retain or retire; growth targets that need data) and its order within its territory, area
    and region on that list."""

    pk = models.CompositePrimaryKey("run", "account")
    run = models.ForeignKey(
        PriorityRun, on_delete=models.CASCADE, related_name="ranks", db_constraint=False, db_index=False
    )
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    # Read with the run (the list index below serves it): no index of its own to rebuild every run.
    territory = models.ForeignKey(
        "salesplan.Territory", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    area_id = models.BigIntegerField(null=True)
    region_id = models.BigIntegerField(null=True)
    list = models.CharField(max_length=4, choices=PriorityList.choices, default=PriorityList.RANKED)
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True)
    tier = models.CharField(
        max_length=1, blank=True, help_text="The tier in force (a manager's review, else computed)."
    )
    computed_tier = models.CharField(max_length=1, blank=True)
    strategy = models.CharField(max_length=10, blank=True, help_text="The chosen strategy, else the suggested one.")
    strategy_chosen = models.BooleanField(default=False)
    potential = models.DecimalField(max_digits=20, decimal_places=0, null=True)
    rank_territory = models.PositiveIntegerField(help_text="Its place on its list in its territory, from 1.")
    rank_area = models.PositiveIntegerField(null=True)  # ranked list only
    rank_region = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["run", "list", "territory", "rank_territory"], name="priority_list_rank_idx")]

    def __str__(self) -> str:
        return f"#{self.rank_territory} in {self.territory_id}"
