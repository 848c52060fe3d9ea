"""Core data every app stands on: people and their roles, teams, the fiscal-year plan, the territories
that decide who sees which accounts, and job runs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from salesplan.jobkinds import job_kind_label


class Role(models.TextChoices):
    LEADER = "leader", "Sales leader"
    MANAGER = "manager", "Manager"
    REP = "rep", "Rep"


class Team(models.Model):
    """A front-line manager and the reps who report to them."""

    name = models.CharField(max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_teams",
        limit_choices_to={"role": Role.MANAGER},
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("team_detail", args=[self.pk])

    def clean(self) -> None:
        if self.manager_id and self.manager.role != Role.MANAGER:
            raise ValidationError({"manager": "Only a user with the manager role can lead a team."})


class User(AbstractUser):
    """A person who signs in. The role decides what they see (DESIGN.md §2)."""

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text="The team a rep belongs to. Managers lead teams instead of belonging to one.",
    )
    title = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.team_id and self.role != Role.REP:
            raise ValidationError({"team": "Only reps belong to a team; a manager leads one."})

    @property
    def is_leader(self) -> bool:
        # Superusers administer the whole installation, so they see what a leader sees.
        return self.role == Role.LEADER or self.is_superuser

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER and not self.is_superuser

    @property
    def is_rep(self) -> bool:
        return self.role == Role.REP and not self.is_superuser

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return "".join(p[0] for p in parts).upper() or self.username[:2].upper()


class StrategyPlan(models.Model):
    """The fiscal-year operating plan: the root that ICPs, TAM runs and territories hang off."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    name = models.CharField(max_length=120)
    fiscal_year_start = models.DateField()
    fiscal_year_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    revenue_target = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, help_text="Revenue target for the year, USD."
    )
    prior_year_revenue = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, help_text="Revenue of the previous year, USD."
    )
    summary = models.TextField(blank=True, help_text="The strategy in a few sentences: growth drivers, trade-offs.")
    strategic_growth_threshold = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Yearly $ growth an account must offer to warrant a strategic account plan.",
    )
    share_company_totals = models.BooleanField(
        "Share the company totals",
        default=False,
        help_text="Managers and reps see the company's market size and territory totals beside the figures of "
        "their own territories. Off: each sees only their own (their team's) figures.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year_start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year_end__gt=models.F("fiscal_year_start")),
                name="plan_year_ends_after_start",
                violation_error_message="The fiscal year must end after it starts.",
            ),
            models.UniqueConstraint(fields=["name"], name="plan_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("plan_detail", args=[self.pk])

    def clean(self) -> None:
        if self.fiscal_year_start and self.fiscal_year_end and self.fiscal_year_end <= self.fiscal_year_start:
            raise ValidationError({"fiscal_year_end": "The fiscal year must end after it starts."})

    @property
    def growth_target_pct(self) -> float | None:
        if not self.revenue_target or not self.prior_year_revenue:
            return None
        return float((self.revenue_target - self.prior_year_revenue) / self.prior_year_revenue * 100)


class TerritoryDesign(models.Model):
    """A plan year's territories. One design is published at a time and governs who sees which accounts;
    the next one can be drafted beside it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    plan = models.ForeignKey(StrategyPlan, on_delete=models.CASCADE, related_name="territory_designs")
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True, help_text="When the rules last placed every account.")
    assigned_count = models.PositiveBigIntegerField(default=0)
    unassigned_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-plan__fiscal_year_start", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="published"), name="one_published_territory_design"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("territory_design_detail", args=[self.pk])


class Territory(models.Model):
    """A region, an area/market inside a region, or a territory inside an area."""

    class Level(models.TextChoices):
        REGION = "region", "Region"
        AREA = "area", "Area / market"
        TERRITORY = "territory", "Territory"

    design = models.ForeignKey(TerritoryDesign, on_delete=models.CASCADE, related_name="territories")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    level = models.CharField(max_length=10, choices=Level.choices)
    name = models.CharField(max_length=120)
    reps = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TerritoryRep", related_name="territories")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["design", "name"], name="territory_name_unique_in_design")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """Its row in the tree of its design's page: a territory is read and changed there, beside its
        region, area, reps and rules."""
        return reverse("territory_design_detail", args=[self.design_id]) + f"#territory-{self.pk}"


class TerritoryRep(models.Model):
    class Role(models.TextChoices):
        HUNTER = "hunter", "Hunter (new accounts)"
        FARMER = "farmer", "Farmer (grows customers)"
        OVERLAY = "overlay", "Overlay / specialist"

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="assignments")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="territory_roles")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.HUNTER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["territory", "rep"], name="territory_rep_unique")]

    def __str__(self) -> str:
        return f"{self.rep} · {self.get_role_display()}"


class JobRun(models.Model):
    """One background job: who started it, how far it got, and how it ended.

    Pages poll this row for the progress bar; workers update it. At most one job with the same
    ``dedupe_key`` can be queued or running at a time (a partial unique index enforces it). A running
    job's worker writes ``heartbeat_at`` every few seconds; a job whose heartbeat stops is *interrupted*
    (salesplan.services.jobs). ``token`` names the one delivery of the job that may run it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        INTERRUPTED = "interrupted", "Interrupted"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=50, db_index=True)
    dedupe_key = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    token = models.CharField(max_length=32, blank=True, help_text="The attempt a message must name to run the job.")
    processed = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True, help_text="What the job is doing now, or how it ended.")
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(status__in=["queued", "running"]),
                name="jobrun_one_active_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("job_detail", args=[self.pk])

    @property
    def label(self) -> str:
        return job_kind_label(self.kind)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_interrupted(self) -> bool:
        return self.status == self.Status.INTERRUPTED

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.processed * 100 / self.total))

    @property
    def duration_seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or self.heartbeat_at or self.started_at
        if self.status == self.Status.INTERRUPTED:  # it stopped at its last heartbeat, not when it was found
            end = self.heartbeat_at or self.started_at
        return (end - self.started_at).total_seconds()


class InputVersion(models.Model):
    """A counter per input that derived results are computed from: the accounts, a profile's criteria, a
    design's rules, reviews, answers — and each derived result itself, for the results computed from it.

    Bumped by one ``UPDATE … SET version = version + 1`` in the database, so every process (web, worker)
    reads the same value, where a per-process cache would not.
    """

    key = models.CharField(max_length=100, primary_key=True)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class DerivedResult(models.Model):
    """What one derived result (a profile's scores, a design's placement, a plan's ranking, a summary) was
    last computed from: the versions of its inputs at the start of that computation, and when it ended.

    It is out of date as soon as one of those inputs has a newer version.
    """

    key = models.CharField(max_length=100, primary_key=True)
    label = models.CharField(max_length=200, blank=True)
    inputs = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"{self.key} as of {self.computed_at:%Y-%m-%d %H:%M}"
