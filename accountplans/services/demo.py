"""Demo strategic account plans in every state of the review workflow, written through the same services
as a user's, so their history, review snapshots and follow-ups are real.

Idempotent: an account that already has a plan is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accountplans.models import (
    AccountPlan,
    ActionStatus,
    ContactRole,
    Influence,
    PlanAction,
    PlanComment,
    PlanCompetitor,
    PlanContact,
    PlanEvent,
    PlanObjective,
    PlanSection,
    Sentiment,
    Threat,
)
from accountplans.services.plans import (
    plan_comment,
    plan_create,
    plan_decide,
    plan_follow_up_add,
    plan_section_save,
    plan_submit,
)
from accountplans.services.strategy import strategy_set
from accounts.models import Account, Lifecycle, Strategy
from salesplan.models import JobRun, User

# (rep, the state the plan ends in); each rep's biggest-room customers get the plans, in this order.
DEMO_PLANS = [
    ("rep1", "approved"),
    ("rep1", "submitted_again"),
    ("rep1", "changes"),
    ("rep1", "draft"),
    ("rep2", "submitted"),
    ("rep4", "submitted"),
    ("rep4", "approved_overdue"),
    ("rep4", "draft"),
]


@dataclass
class _Rows:
    """Stands in for a saved formset: ``plan_section_save`` calls ``save()`` inside its transaction."""

    write: Callable[[], object]

    def save(self) -> object:
        return self.write()


def accounts_seed_demo_plans(*, companies: int, seed: int = 42, job: JobRun | None = None) -> dict[str, int]:
    users = {u.username: u for u in User.objects.filter(username__startswith="rep").select_related("team__manager")}
    created = 0
    taken: set[int] = set()
    for username, state in DEMO_PLANS:
        rep = users.get(username)
        if rep is None:
            continue
        account = _account_for(rep, taken)
        if account is None:
            continue
        taken.add(account.pk)
        if AccountPlan.objects.filter(account=account).exists():
            continue
        with transaction.atomic():
            _demo_plan(account, rep, state, index=len(taken))
        created += 1
    return {"account_plans_created": created}


def _account_for(rep: User, taken: set[int]) -> Account | None:
    """The rep's customer with the most spend left to win (a plan already there counts as taken)."""
    return (
        Account.objects.filter(owner=rep, lifecycle=Lifecycle.CUSTOMER, wallet__isnull=False)
        .exclude(pk__in=taken)
        .annotate(room=F("wallet") - F("current_sales"))
        .filter(room__isnull=False)
        .order_by("-room", "pk")
        .first()
    )


def _demo_plan(account: Account, rep: User, state: str, *, index: int) -> None:
    manager = rep.team.manager if rep.team else None
    today = timezone.localdate()
    plan = plan_create(account=account, user=rep)
    strategy_set(account=account, strategy=Strategy.GROW, user=rep, reason="A strategic account: we grow it.")
    first = account.name.split()[0]
    _text(
        plan,
        rep,
        PlanSection.NEEDS,
        {
            "business_goals": f"{first} wants to cut operating costs 8% and open two new plants by next year.",
            "needs": "Unplanned downtime on the packaging lines (about 40 hours a quarter).\n"
            "Three suppliers with three contracts and no single view of spend.",
            "value_to_them": "Roughly $1.2M a year in lost output, and a simpler supplier base for procurement.",
        },
    )
    _text(
        plan,
        rep,
        PlanSection.BUYING,
        {
            "buying_process": "Central procurement runs a tender above $250k; plants choose below it.",
            "buying_stages": "Plant request → category manager → CFO sign-off above $1M.",
            "decision_date": today + dt.timedelta(days=75 + 10 * index),
            "budget_month": (today.month + 2 + index) % 12 + 1,
        },
    )
    _rows(plan, rep, PlanSection.RELATIONSHIPS, lambda: _contacts(plan, rep, manager, today, single=state == "draft"))
    _text(
        plan,
        rep,
        PlanSection.SWOT,
        {
            "strengths": "Our service team is on site within 4 hours; the plants trust it.",
            "weaknesses": "We are not on the central procurement shortlist.",
            "opportunities": "Two new plants to equip; the incumbent's contract ends this year.",
            "threats": "A low-price tender could hand everything to the incumbent.",
        },
    )
    _rows(
        plan,
        rep,
        PlanSection.COMPETITORS,
        lambda: PlanCompetitor.objects.bulk_create(
            [
                PlanCompetitor(
                    plan=plan,
                    name="Northwind Industrial",
                    position="incumbent",
                    share_pct=45,
                    threat=Threat.HIGH,
                    strengths="Lowest price, framework contract",
                    our_response="Total cost of downtime, not unit price",
                ),
                PlanCompetitor(
                    plan=plan,
                    name="Acme Supply",
                    position="challenger",
                    share_pct=10,
                    threat=Threat.MEDIUM,
                    strengths="Local warehouse",
                ),
            ]
        ),
    )
    _rows(plan, rep, PlanSection.GROWTH, lambda: _growth(plan, rep, manager, today, account, index=index))
    if state == "draft":
        return
    plan_submit(plan=plan, user=rep)
    if state == "submitted":
        _backdate(plan, days=index % 5 + 2)
        return
    reviewer = manager
    if state in {"approved", "approved_overdue"}:
        plan_decide(
            plan=plan,
            user=reviewer,
            approve=False,
            comment="Who signs above $1M? Map the CFO.",
            section=PlanSection.RELATIONSHIPS,
        )
        _rows(
            plan,
            rep,
            PlanSection.RELATIONSHIPS,
            lambda: PlanContact.objects.create(
                plan=plan,
                name="Helen Brandt",
                title="CFO",
                role=ContactRole.ECONOMIC,
                influence=Influence.HIGH,
                sentiment=Sentiment.NEUTRAL,
                relationship_owner=manager,
                last_contact=today - dt.timedelta(days=20),
            ),
        )
        plan_submit(plan=plan, user=rep)
        plan_decide(plan=plan, user=reviewer, approve=True, comment="Good plan. Let's review progress next quarter.")
        due = today - dt.timedelta(days=6) if state == "approved_overdue" else today + dt.timedelta(days=21)
        plan_follow_up_add(
            plan=plan, user=reviewer, description="Book the CFO meeting with our VP", owner=reviewer, due=due
        )
        return
    plan_decide(
        plan=plan,
        user=reviewer,
        approve=False,
        section=PlanSection.GROWTH,
        comment="The targets need a path: which actions win the $ in the second objective?",
    )
    plan_follow_up_add(
        plan=plan,
        user=reviewer,
        description="Send me the pilot proposal draft",
        owner=rep,
        due=today - dt.timedelta(days=3),
    )
    if state == "submitted_again":
        _rows(
            plan,
            rep,
            PlanSection.GROWTH,
            lambda: PlanAction.objects.create(
                plan=plan,
                objective=plan.objectives.last(),
                description="Run a pilot on plant 2",
                owner=rep,
                due=today + dt.timedelta(days=45),
                hours=Decimal("24"),
            ),
        )
        plan_comment(plan=plan, user=rep, section=PlanSection.GROWTH, body="Added the pilot that wins objective 2.")
        plan_submit(plan=plan, user=rep)
        _backdate(plan, days=1)


def _text(plan: AccountPlan, rep: User, section: str, data: dict[str, Any]) -> None:
    plan.refresh_from_db()
    plan_section_save(plan=plan, user=rep, version=plan.version, section=section, data=data)


def _rows(plan: AccountPlan, rep: User, section: str, write: Callable[[], object]) -> None:
    plan.refresh_from_db()
    plan_section_save(plan=plan, user=rep, version=plan.version, section=section, formsets=[_Rows(write)])


def _contacts(plan: AccountPlan, rep: User, manager: User | None, today: dt.date, *, single: bool) -> None:
    recent, stale = today - dt.timedelta(days=12), today - dt.timedelta(days=160)
    head = PlanContact.objects.create(
        plan=plan,
        name="Robert Hale",
        title="COO",
        role=ContactRole.ECONOMIC,
        influence=Influence.HIGH,
        sentiment=Sentiment.NEUTRAL,
        relationship_owner=manager,
        last_contact=stale if single else recent,
    )
    PlanContact.objects.create(
        plan=plan,
        name="Maria Santos",
        title="Plant Director",
        role=ContactRole.CHAMPION,
        influence=Influence.MEDIUM,
        sentiment=Sentiment.ADVOCATE,
        relationship_owner=rep,
        last_contact=recent,
        reports_to=head,
    )
    if single:
        return
    PlanContact.objects.create(
        plan=plan,
        name="Tom Becker",
        title="Head of Maintenance",
        role=ContactRole.TECHNICAL,
        influence=Influence.MEDIUM,
        sentiment=Sentiment.SUPPORTIVE,
        relationship_owner=rep,
        last_contact=today - dt.timedelta(days=30),
        reports_to=head,
    )
    PlanContact.objects.create(
        plan=plan,
        name="Karen Liu",
        title="Category Manager",
        role=ContactRole.BLOCKER,
        influence=Influence.MEDIUM,
        sentiment=Sentiment.SKEPTICAL,
        relationship_owner=None,
        last_contact=today - dt.timedelta(days=50),
    )


def _growth(
    plan: AccountPlan, rep: User, manager: User | None, today: dt.date, account: Account, *, index: int
) -> None:
    # Targets a rep would set for a year: a slice of the spend left to win (a different slice per plan), never
    # more than that room, so the plan's figures agree with the account's wallet and our sales to it.
    room = max((account.wallet or 0) - (account.current_sales or 0), 0)
    share = (0.12, 0.2, 0.08, 0.15, 0.1, 0.25, 0.18, 0.06)[index % 8]
    first = PlanObjective.objects.create(
        plan=plan,
        title="Service contract for all packaging lines",
        target=_target(room * share * 0.4),
        due=today + dt.timedelta(days=120),
    )
    PlanObjective.objects.create(
        plan=plan,
        title="Equip the two new plants",
        target=_target(room * share * 0.6),
        due=today + dt.timedelta(days=270),
    )
    PlanAction.objects.bulk_create(
        [
            PlanAction(
                plan=plan,
                objective=first,
                description="Downtime audit with the maintenance team",
                owner=rep,
                due=today - dt.timedelta(days=5),
                status=ActionStatus.DONE,
                hours=Decimal(24 + 8 * (index % 4)),
            ),
            PlanAction(
                plan=plan,
                objective=first,
                description="Business case for the COO",
                owner=rep,
                due=today + dt.timedelta(days=20),
                status=ActionStatus.IN_PROGRESS,
                hours=Decimal("24"),
            ),
            PlanAction(
                plan=plan,
                objective=first,
                description="Executive sponsor call",
                owner=manager,
                due=today - dt.timedelta(days=2),
                hours=Decimal("4"),
            ),
        ]
    )


def _target(amount: float) -> int:
    """A target as a rep writes it: to the thousand dollars, to the hundred below $10,000."""
    return int(round(amount, -3) if amount >= 10_000 else round(amount, -2))


def _backdate(plan: AccountPlan, *, days: int) -> None:
    """Move the plan's whole history ``days`` into the past, so the review queue has an order to show."""
    delta = dt.timedelta(days=days)
    AccountPlan.objects.filter(pk=plan.pk).update(
        created_at=F("created_at") - delta,
        updated_at=F("updated_at") - delta,
        submitted_at=F("submitted_at") - delta,
        decided_at=F("decided_at") - delta,
    )
    PlanEvent.objects.filter(plan=plan).update(at=F("at") - delta)
    PlanComment.objects.filter(plan=plan).update(created_at=F("created_at") - delta)
