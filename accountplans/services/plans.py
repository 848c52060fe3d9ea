"""Strategic account plans: writing them (with optimistic locking and a history of every change) and the
review workflow draft → submitted → approved / changes requested → submitted again.

Who may do what:
- the plan's owner (its rep) writes it, submits it and withdraws it from review;
- a reviewer — the leader, or the manager of the owner's team — approves it or requests changes, and
  records follow-ups; nobody reviews their own plan. A reviewer may also edit the plan while it is not
  under review (an account plan is the account team's document: the manager adds the executive sponsor,
  fixes a target); two people saving the same plan is why every save claims the plan's version;
- everyone who can see the plan (see ``account_plans_visible_to``) comments on it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, Prefetch, Value, When
from django.forms import BaseFormSet
from django.utils import timezone

from accountplans.models import AccountPlan, PlanComment, PlanEvent, PlanFollowUp, PlanSection, PlanStatus
from accounts.models import Account
from salesplan.models import User

EDITABLE = {PlanStatus.DRAFT, PlanStatus.CHANGES, PlanStatus.APPROVED}


class PlanConflict(Exception):
    """Someone else saved the plan after this user opened it; their save must not be overwritten."""


# --- Who may ----------------------------------------------------------------------------------------


def plan_is_reviewer(plan: AccountPlan, user: User) -> bool:
    if user.pk == plan.owner_id:
        return False
    if user.is_leader:
        return True
    team = plan.owner.team
    return user.is_manager and team is not None and team.manager_id == user.pk


def plan_can_edit(plan: AccountPlan, user: User) -> bool:
    """The owner, or a reviewer working on it with them — never while it is under review."""
    return plan.status in EDITABLE and (user.pk == plan.owner_id or plan_is_reviewer(plan, user))


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- Snapshots: what a plan says, to tell what changed ----------------------------------------------

TEXT_SECTIONS: dict[str, tuple[str, ...]] = {
    PlanSection.NEEDS: ("business_goals", "needs", "value_to_them"),
    PlanSection.BUYING: ("buying_process", "buying_stages", "decision_date", "budget_month"),
    PlanSection.SWOT: ("strengths", "weaknesses", "opportunities", "threats"),
}
ROW_SECTIONS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    # section: ((collection, what one row is called, fields), …)
    PlanSection.RELATIONSHIPS: (
        (
            "contacts",
            "contact",
            ("name", "title", "role", "influence", "sentiment", "relationship_owner", "last_contact", "reports_to"),
        ),
    ),
    PlanSection.COMPETITORS: (
        ("competitors", "competitor", ("name", "position", "share_pct", "threat", "strengths", "our_response")),
    ),
    PlanSection.GROWTH: (
        ("objectives", "objective", ("title", "target", "due")),
        ("actions", "action", ("description", "objective", "owner", "due", "status", "hours")),
    ),
}


def _plain(obj: Any, field: str) -> Any:
    """A field's value as a person reads it (choice labels, names, ISO dates), JSON-safe."""
    model_field = obj._meta.get_field(field)
    if model_field.is_relation:
        related = getattr(obj, field)
        return str(related) if related is not None else None
    value = getattr(obj, field)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value)) if value not in (None, "") else ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | bool):
        return str(value)
    return value


def plan_snapshot(plan: AccountPlan, *, only: str | None = None) -> dict[str, Any]:
    """What the plan says, section by section (or ``only`` one), in plain values (stored at each review
    decision)."""
    snapshot: dict[str, Any] = {}
    for section, fields in TEXT_SECTIONS.items():
        if only in (None, section):
            snapshot[section] = {field: _plain(plan, field) for field in fields}
    for section, collections in ROW_SECTIONS.items():
        if only not in (None, section):
            continue
        snapshot[section] = {}
        for collection, _noun, fields in collections:
            rows = getattr(plan, collection).all()
            if collection not in getattr(plan, "_prefetched_objects_cache", {}):
                rows = rows.select_related(*_relations(collection, fields))
            snapshot[section][collection] = {str(row.pk): {f: _plain(row, f) for f in fields} for row in rows}
    return snapshot


def _relations(collection: str, fields: Sequence[str]) -> list[str]:
    model = AccountPlan._meta.get_field(collection).related_model
    return [f for f in fields if model._meta.get_field(f).is_relation]


def plan_rows_prefetch() -> list[Prefetch]:
    """What to prefetch so that ``plan_snapshot`` of a list of plans reads their rows in one query per kind
    of row, not per plan."""
    return [
        Prefetch(collection, queryset=AccountPlan._meta.get_field(collection).related_model.objects.select_related(
            *_relations(collection, fields)
        ))
        for collections in ROW_SECTIONS.values()
        for collection, _noun, fields in collections
    ]  # fmt: skip


def _label(model_field_name: str) -> str:
    return model_field_name.replace("_", " ").replace("pct", "%").capitalize()


def _short(value: Any) -> str:
    if value in (None, ""):
        return "—"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    for field, value in new.items():
        before = old.get(field)
        if before == value:
            continue
        if isinstance(value, str) and (len(value) > 40 or len(before or "") > 40):
            verb = "cleared" if not value else ("written" if not before else "edited")
            changes.append(f"{_label(field)} {verb}")
        else:
            changes.append(f"{_label(field)}: {_short(before)} → {_short(value)}")
    return changes


def section_changes(section: str, old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Short sentences saying what changed in one section between two snapshots."""
    old = old or {}
    if section in TEXT_SECTIONS:
        return _field_changes(old, new)
    changes: list[str] = []
    for collection, noun, _fields in ROW_SECTIONS[section]:
        before, after = old.get(collection, {}), new.get(collection, {})
        naming = "name" if noun in {"contact", "competitor"} else ("title" if noun == "objective" else "description")
        for pk, row in after.items():
            if pk not in before:
                changes.append(f"Added {noun} {_short(row[naming])}")
            elif row != before[pk]:
                changes.append(f"{_short(row[naming])}: " + "; ".join(_field_changes(before[pk], row)).lower())
        changes += [f"Removed {noun} {_short(row[naming])}" for pk, row in before.items() if pk not in after]
    return changes


def plan_changes_since_review(plan: AccountPlan) -> dict[str, list[str]]:
    """Section → what changed since the reviewer's last decision (empty before the first review)."""
    if not plan.reviewed_snapshot:
        return {}
    now = plan_snapshot(plan)
    changed = {}
    for section in now:
        lines = section_changes(section, plan.reviewed_snapshot.get(section), now[section])
        if lines:
            changed[section] = lines
    return changed


# --- Writing ----------------------------------------------------------------------------------------


def plan_create(*, account: Account, user: User) -> AccountPlan:
    """Start the account's plan, owned by ``user``; an account has one plan."""
    existing = AccountPlan.objects.filter(account=account).select_related("owner").first()
    if existing is not None:
        raise ValidationError(f"{account.name} already has a plan, written by {existing.owner}.")
    with transaction.atomic():
        plan = AccountPlan.objects.create(account=account, owner=user, updated_by=user)
        PlanEvent.objects.create(plan=plan, actor=user, action=PlanEvent.Action.CREATED)
    return plan


def _conflict_message(plan: AccountPlan, user: User) -> str:
    latest = plan.events.exclude(action=PlanEvent.Action.COMMENTED).select_related("actor").first()
    what = "Someone changed the plan after you opened this page"
    if latest is not None:
        mine = latest.actor_id == user.pk  # the same person, in another tab or window
        what = f"{'You' if mine else latest.actor} {latest.get_action_display()}"
        if latest.section:
            what += f" {latest.get_section_display()}"
        what += f" at {timezone.localtime(latest.at):%H:%M}, "
        what += "in another tab or window" if mine else "after you opened this page"
    return f"Not saved: {what}. Your input is kept below — compare it with the plan as it is now, then save again."


def plan_section_save(
    *,
    plan: AccountPlan,
    user: User,
    version: int,
    section: str,
    data: dict[str, Any] | None = None,
    formsets: Sequence[BaseFormSet] = (),
) -> list[str]:
    """Save one section — its fields (``data``, already validated) or its rows (validated formsets) — if
    nobody saved the plan since ``version``, and record what changed. Raises ``PlanConflict`` (nothing
    saved) otherwise. Editing an approved plan starts a revision: it goes back to draft.
    """
    _require(
        plan_can_edit(plan, user),
        "Only the plan's owner and their manager can edit it, and not while it is under review.",
    )
    fields = TEXT_SECTIONS.get(section, ())
    if data is not None and set(data) - set(fields):
        raise ValueError(f"Fields {sorted(set(data) - set(fields))} are not in section {section}.")
    with transaction.atomic():
        claimed = AccountPlan.objects.filter(pk=plan.pk, version=version, status__in=EDITABLE).update(
            version=F("version") + 1,
            updated_by=user,
            updated_at=timezone.now(),
            status=Case(When(status=PlanStatus.APPROVED, then=Value(PlanStatus.DRAFT)), default=F("status")),
        )
        if not claimed:
            raise PlanConflict(_conflict_message(plan, user))
        plan.refresh_from_db()  # a bound ModelForm may have written its input onto this instance
        before = plan_snapshot(plan, only=section)[section]
        if data:
            AccountPlan.objects.filter(pk=plan.pk).update(**data)
        for formset in formsets:
            formset.save()
        plan.refresh_from_db()
        changes = section_changes(section, before, plan_snapshot(plan, only=section)[section])
        if changes:
            PlanEvent.objects.create(
                plan=plan, actor=user, action=PlanEvent.Action.EDITED, section=section, changes=changes
            )
    return changes


def _transition(plan: AccountPlan, *, user: User, sources: set[str], target: str, action: str, **fields: Any) -> None:
    """Move the plan from one of ``sources`` to ``target`` unless someone moved it first."""
    now = timezone.now()
    moved = AccountPlan.objects.filter(pk=plan.pk, status__in=sources).update(
        status=target, version=F("version") + 1, **fields
    )
    if not moved:
        plan.refresh_from_db()
        raise PlanConflict(
            f"Nothing done: the plan is now “{plan.get_status_display()}”. {_conflict_message(plan, user)}"
        )
    PlanEvent.objects.create(plan=plan, actor=user, action=action, at=now)
    plan.refresh_from_db()


def plan_submission_gaps(plan: AccountPlan) -> list[str]:
    """What a plan must have before a manager spends a review on it."""
    gaps = []
    if not plan.needs.strip():
        gaps.append("the account's needs")
    if not plan.contacts.exists():
        gaps.append("at least one contact in the relationship map")
    if not plan.objectives.exists():
        gaps.append("at least one growth objective")
    if not plan.actions.exists():
        gaps.append("at least one action")
    return gaps


def plan_submit(*, plan: AccountPlan, user: User) -> None:
    _require(user.pk == plan.owner_id, "Only the plan's owner can submit it.")
    gaps = plan_submission_gaps(plan)
    if gaps:
        raise ValidationError("Before you submit, add " + ", ".join(gaps) + ".")
    with transaction.atomic():
        _transition(
            plan,
            user=user,
            sources={PlanStatus.DRAFT, PlanStatus.CHANGES},
            target=PlanStatus.SUBMITTED,
            action=PlanEvent.Action.SUBMITTED,
            submitted_at=timezone.now(),
        )


def plan_withdraw(*, plan: AccountPlan, user: User) -> None:
    _require(user.pk == plan.owner_id, "Only the plan's owner can withdraw it.")
    with transaction.atomic():
        _transition(
            plan,
            user=user,
            sources={PlanStatus.SUBMITTED},
            target=PlanStatus.DRAFT,
            action=PlanEvent.Action.WITHDRAWN,
            submitted_at=None,
        )


def plan_decide(*, plan: AccountPlan, user: User, approve: bool, comment: str = "", section: str = "") -> None:
    """The reviewer approves the submitted plan or requests changes (which needs a comment saying what)."""
    _require(plan_is_reviewer(plan, user), "Only the owner's manager or the sales leader can review this plan.")
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError("Say what should change: a request for changes needs a comment.")
    with transaction.atomic():
        _transition(
            plan,
            user=user,
            sources={PlanStatus.SUBMITTED},
            target=PlanStatus.APPROVED if approve else PlanStatus.CHANGES,
            action=PlanEvent.Action.APPROVED if approve else PlanEvent.Action.CHANGES,
            decided_at=timezone.now(),
            decided_by=user,
            reviewed_snapshot=plan_snapshot(plan),
        )
        if comment:
            plan_comment(plan=plan, user=user, section=section or PlanSection.GENERAL, body=comment)


def plan_comment(*, plan: AccountPlan, user: User, section: str, body: str) -> PlanComment:
    body = body.strip()
    if not body:
        raise ValidationError("Write a comment first.")
    if section not in PlanSection.values:
        raise ValidationError("Choose the section the comment is about.")
    comment = PlanComment.objects.create(plan=plan, section=section, author=user, body=body[:4000])
    PlanEvent.objects.create(
        plan=plan, actor=user, action=PlanEvent.Action.COMMENTED, section=section, changes=[body[:120]]
    )
    return comment


def plan_follow_up_owners(plan: AccountPlan, user: User) -> list[User]:
    """Who a follow-up of this plan can be given to: the plan's owner, their manager, the reviewer."""
    people = {plan.owner_id: plan.owner, user.pk: user}
    team = plan.owner.team
    if team is not None:
        people.setdefault(team.manager_id, team.manager)
    return list(people.values())


def plan_follow_up_add(
    *, plan: AccountPlan, user: User, description: str, owner: User, due: datetime.date
) -> PlanFollowUp:
    _require(plan_is_reviewer(plan, user), "Follow-ups are recorded by the plan's reviewer.")
    if owner.pk not in {p.pk for p in plan_follow_up_owners(plan, user)}:
        raise ValidationError("A follow-up goes to the plan's owner, their manager or you.")
    if not description.strip():
        raise ValidationError("Say what is to be done.")
    follow_up = PlanFollowUp.objects.create(
        plan=plan, description=description.strip()[:300], owner=owner, due=due, created_by=user
    )
    PlanEvent.objects.create(
        plan=plan,
        actor=user,
        action=PlanEvent.Action.FOLLOW_UP,
        changes=[f"{follow_up.description} — {owner}, due {due:%b %-d, %Y}"],
    )
    return follow_up


def plan_follow_up_done(*, follow_up: PlanFollowUp, user: User) -> None:
    plan = follow_up.plan
    _require(
        user.pk in {follow_up.owner_id, plan.owner_id} or plan_is_reviewer(plan, user),
        "Only the follow-up's owner, the plan's owner or its reviewer can complete it.",
    )
    if PlanFollowUp.objects.filter(pk=follow_up.pk, done_at=None).update(done_at=timezone.now()):
        PlanEvent.objects.create(
            plan=plan, actor=user, action=PlanEvent.Action.FOLLOW_UP_DONE, changes=[follow_up.description]
        )
