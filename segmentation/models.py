"""Account segmentation: the Ideal Customer Profile, its criteria, the answers reps give and the scores.

A profile belongs to a fiscal-year plan and is versioned: editing a published profile makes a new draft
version (same ``lineage``), so every score names the exact version it came from.
"""

from __future__ import annotations

import uuid

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

    def tier_for(self, earned: float, known: float) -> str:
        """The tier of a score (earned of known points): compared without rounding, so SQL agrees exactly."""
        if known <= 0:
            return ""
        for tier, minimum in (("A", self.tier_a_min), ("B", self.tier_b_min), ("C", self.tier_c_min)):
            if 100 * earned >= minimum * known:
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
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, help_text="0–100 over the known criteria")
    matched = models.PositiveSmallIntegerField(default=0)
    unknown = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    coverage = models.PositiveSmallIntegerField(default=0, help_text="Share of the weight that is known, percent.")
    tier = models.CharField(max_length=1, choices=Tier.choices, blank=True)
    points = models.JSONField(default=list)
    scored_at = models.DateTimeField()

    # The matrix's default order (best score first, unknown last) has an index made by migration 0002, since
    # SQLite cannot declare NULLS LAST in an index.

    def __str__(self) -> str:
        return f"{self.score} ({self.tier or 'no tier'})"


class TierReview(models.Model):
    """A manager's confirmation or override of an account's computed tier; the latest one stands."""

    class Action(models.TextChoices):
        CONFIRM = "confirm", "Confirmed"
        OVERRIDE = "override", "Overridden"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="tier_reviews")
    plan = models.ForeignKey("salesplan.StrategyPlan", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    computed_tier = models.CharField(max_length=1, blank=True)
    tier = models.CharField(max_length=1, choices=Tier.choices)
    reason = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["plan", "account", "-created_at"], name="tierreview_latest_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="override") | ~Q(reason=""),
                name="tierreview_override_has_reason",
                violation_error_message="Say why the tier is overridden.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.tier}"
