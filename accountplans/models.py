"""Account planning: the answers to the six plan questions, strategic account development plans and
their reviews.

The tables kept their names from when account planning sat inside ``accounts`` (``accounts_accountplan``
…): the models moved between apps without touching the data (see migrations/0001_initial.py).

A plan belongs to one account and is written by its owner (a rep); the owner's manager (or the leader)
reviews it. ``AccountPlan.version`` is the optimistic lock every edit claims, so that of two people
saving the same plan the later one is refused instead of silently overwriting the first.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse

ENGAGED_WITHIN_DAYS = 90  # a contact we spoke to in the last 90 days is engaged


MONTHS = [(number, datetime.date(2000, number, 1).strftime("%B")) for number in range(1, 13)]


class PlanQualification(models.Model):
    """A rep's yes/no to one of the questions that decide whether an account warrants a strategic plan
    (only the questions the data cannot answer are asked)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="qualifications")
    key = models.SlugField(max_length=40)
    answer = models.BooleanField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "accounts_planqualification"
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="qualification_account_key_unique")]

    def __str__(self) -> str:
        return f"{self.key}: {'yes' if self.answer else 'no'}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    CHANGES = "changes", "Changes requested"
    APPROVED = "approved", "Approved"


class PlanSection(models.TextChoices):
    """The parts of a plan a comment can be about (and that the change summary names)."""

    PROFILE = "profile", "Account profile"
    NEEDS = "needs", "Needs assessment"
    BUYING = "buying", "Buying process"
    RELATIONSHIPS = "relationships", "Relationship map"
    SWOT = "swot", "SWOT"
    COMPETITORS = "competitors", "Competitive analysis"
    GROWTH = "growth", "Growth plan"
    GENERAL = "general", "The plan as a whole"


class AccountPlan(models.Model):
    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="plan")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_plans")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Raised by every edit (optimistic locking).")
    # Needs assessment
    business_goals = models.TextField(blank=True)
    needs = models.TextField(blank=True)
    value_to_them = models.TextField(blank=True)
    # Buying process
    buying_process = models.TextField(blank=True)
    buying_stages = models.TextField(blank=True)
    decision_date = models.DateField(null=True, blank=True)
    budget_month = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=MONTHS, help_text="The month its budget for our category is set."
    )
    # SWOT (ours, at this account)
    strengths = models.TextField(blank=True)
    weaknesses = models.TextField(blank=True)
    opportunities = models.TextField(blank=True)
    threats = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The plan as the reviewer last saw it (see services.plans.plan_snapshot): what changed since.
    reviewed_snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "accounts_accountplan"
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "status"], name="account_plan_owner_idx"),
            models.Index(fields=["status", "submitted_at"], name="account_plan_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"Plan for {self.account}"

    def get_absolute_url(self) -> str:
        return reverse("account_plan_detail", args=[self.pk])


class ContactRole(models.TextChoices):
    ECONOMIC = "economic", "Economic buyer"
    TECHNICAL = "technical", "Technical buyer"
    USER = "user", "User"
    CHAMPION = "champion", "Champion"
    COACH = "coach", "Coach"
    BLOCKER = "blocker", "Blocker"
    OTHER = "", "Other / not known"


class Influence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Sentiment(models.IntegerChoices):
    ADVOCATE = 2, "Advocate"
    SUPPORTIVE = 1, "Supportive"
    NEUTRAL = 0, "Neutral"
    SKEPTICAL = -1, "Skeptical"
    OPPOSED = -2, "Opposed"


class PlanContact(models.Model):
    """A member of the account's buying decision team."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=10, choices=ContactRole.choices, blank=True, default="")
    influence = models.CharField(max_length=6, choices=Influence.choices, default=Influence.MEDIUM)
    sentiment = models.SmallIntegerField(choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    relationship_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who on our side owns the relationship.",
    )
    last_contact = models.DateField(null=True, blank=True)
    reports_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")

    class Meta:
        db_table = "accounts_plancontact"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Threat(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class CompetitorPosition(models.TextChoices):
    INCUMBENT = "incumbent", "Incumbent supplier"
    SHARED = "shared", "Shares the business with us"
    CHALLENGER = "challenger", "Trying to get in"
    IN_HOUSE = "in_house", "They do it in-house"


class PlanCompetitor(models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="competitors")
    name = models.CharField(max_length=120)
    position = models.CharField(max_length=10, choices=CompetitorPosition.choices, default=CompetitorPosition.INCUMBENT)
    share_pct = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Its share of the account's spend in our category, in %."
    )
    threat = models.CharField(max_length=6, choices=Threat.choices, default=Threat.MEDIUM)
    strengths = models.CharField(max_length=300, blank=True, help_text="Why the account buys from it.")
    our_response = models.CharField(max_length=300, blank=True, help_text="How we win against it.")

    class Meta:
        db_table = "accounts_plancompetitor"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class PlanObjective(models.Model):
    """A growth objective: what we will sell, worth how much, by when."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    target = models.PositiveBigIntegerField(help_text="Expected sales, USD.")
    due = models.DateField()

    class Meta:
        db_table = "accounts_planobjective"
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.title


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class PlanAction(models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions")
    objective = models.ForeignKey(
        PlanObjective, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due = models.DateField()
    status = models.CharField(max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    hours = models.DecimalField(max_digits=6, decimal_places=1, help_text="Sales time it takes, in hours.")

    class Meta:
        db_table = "accounts_planaction"
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.description


class PlanComment(models.Model):
    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(max_length=14, choices=PlanSection.choices, default=PlanSection.GENERAL)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_plancomment"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class PlanFollowUp(models.Model):
    """Something agreed in a review, with who does it and by when; overdue ones show on home pages."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="follow_ups")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_follow_ups")
    due = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_planfollowup"
        ordering = ["due", "pk"]
        indexes = [
            models.Index(fields=["owner", "due"], name="plan_followup_open_idx", condition=models.Q(done_at=None))
        ]

    def __str__(self) -> str:
        return self.description


class PlanEvent(models.Model):
    """One entry of a plan's history: who did what, when, and what changed."""

    class Action(models.TextChoices):
        CREATED = "created", "created the plan"
        EDITED = "edited", "edited"
        SUBMITTED = "submitted", "submitted it for review"
        WITHDRAWN = "withdrawn", "withdrew it from review"
        APPROVED = "approved", "approved it"
        CHANGES = "changes", "requested changes"
        COMMENTED = "commented", "commented on"
        FOLLOW_UP = "follow_up", "recorded a follow-up"
        FOLLOW_UP_DONE = "follow_up_done", "completed a follow-up"

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    section = models.CharField(max_length=14, choices=PlanSection.choices, blank=True)
    changes = models.JSONField(default=list, blank=True, help_text="What changed, as short sentences.")

    class Meta:
        db_table = "accounts_planevent"
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display()}"
