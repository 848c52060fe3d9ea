"""Ideal Customer Profiles: create from the template, version, publish, copy as JSON, score, answer, review."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Account, Vertical
from salesplan.models import StrategyPlan, User
from salesplan.services.bulk import bulk_replace_scope
from salesplan.services.freshness import derived_run, inputs_changed
from segmentation.models import (
    NEEDS_DATA,
    AccountAnswer,
    AccountScore,
    Criterion,
    IdealCustomerProfile,
    Tier,
    TierReview,
)
from segmentation.scoring import CATEGORY_FIELDS, FACTS, RANGE_FIELDS, score_one, score_sql
from segmentation.services.refresh import (
    ANSWERS_INPUT,
    PUBLISHED_ICP_INPUT,
    REVIEWS_INPUT,
    icp_input,
    score_target,
)

JSON_FORMAT = "salesplan.icp/1"

# The criteria sales leaders use (the ICP matrix of the method), as a starting point to adjust.
TEMPLATE: list[dict[str, Any]] = [
    {"key": "opportunity", "name": "Size of $ opportunity", "kind": "range", "field": "opportunity",
     "min_value": 250_000, "weight": 10},
    {"key": "size-sales", "name": "Company size in sales", "kind": "range", "field": "annual_revenue",
     "min_value": 50_000_000, "max_value": 5_000_000_000, "weight": 8},
    {"key": "size-employees", "name": "Company size in employees", "kind": "range", "field": "employees",
     "min_value": 200, "max_value": 20_000, "weight": 6},
    {"key": "location", "name": "Location", "kind": "category", "field": "country", "values": ["US", "CA"],
     "weight": 6},
    {"key": "market-experience", "name": "We have experience in its market", "kind": "category",
     "field": "vertical", "values": [], "weight": 8},
    {"key": "application-experience", "name": "We have experience in its application challenges",
     "kind": "question", "question": "Have we solved its application challenges for similar customers?", "weight": 7},
    {"key": "growth-market", "name": "Strategic growth market for us", "kind": "category", "field": "vertical",
     "values": [], "weight": 7},
    {"key": "terms", "name": "Terms required", "kind": "question",
     "question": "Are the payment and contract terms it requires acceptable to us?", "weight": 4},
    {"key": "shipping", "name": "Shipping requirements", "kind": "question",
     "question": "Can we meet its shipping and delivery requirements?", "weight": 4},
    {"key": "quality", "name": "Quality requirements", "kind": "question",
     "question": "Do our quality standards match what it requires?", "weight": 5},
    {"key": "cultural-fit", "name": "Cultural fit", "kind": "question",
     "question": "Do its people work the way we do (partnership, pace, decision style)?", "weight": 5},
    {"key": "budget", "name": "Confirmed budget", "kind": "question",
     "question": "Has it confirmed a budget for what we sell?", "weight": 8},
    {"key": "channel", "name": "Channel model", "kind": "question",
     "question": "Does it buy through a channel we serve (direct, distributor, partner)?", "weight": 4},
    {"key": "service", "name": "Service requirement", "kind": "question",
     "question": "Can we deliver the service level it expects?", "weight": 5},
]  # fmt: skip

_CRITERION_FIELDS = (
    "key",
    "name",
    "kind",
    "field",
    "min_value",
    "max_value",
    "values",
    "expected",
    "weight",
    "question",
)


# --- Profiles -------------------------------------------------------------------------------------------


def criterion_clean(data: dict[str, Any], where: str) -> dict[str, Any]:
    """A criterion's fields checked; ValidationError naming ``where`` and the field otherwise."""
    kind = data.get("kind")
    if kind not in Criterion.Kind.values:
        raise ValidationError(f"{where}: kind must be one of {', '.join(Criterion.Kind.values)} (got {kind!r}).")
    field = data.get("field") or ""
    allowed = {"range": RANGE_FIELDS, "category": CATEGORY_FIELDS, "fact": FACTS, "question": {"": ""}}[kind]
    if field not in allowed:
        raise ValidationError(f"{where}: field {field!r} cannot be used by a {kind} criterion.")
    weight = data.get("weight", 5)
    if not isinstance(weight, int) or not 1 <= weight <= 100:
        raise ValidationError(f"{where}: weight must be a whole number from 1 to 100 (got {weight!r}).")
    for bound in ("min_value", "max_value"):
        if data.get(bound) is not None and not isinstance(data[bound], int):
            raise ValidationError(f"{where}: {bound} must be a whole number (got {data[bound]!r}).")
    if kind == "range" and data.get("min_value") is None and data.get("max_value") is None:
        raise ValidationError(f"{where}: a range needs a minimum, a maximum or both.")
    if None not in (data.get("min_value"), data.get("max_value")) and data["min_value"] > data["max_value"]:
        raise ValidationError(f"{where}: the minimum is above the maximum.")
    values = data.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(f"{where}: values must be a list of texts.")
    if not data.get("key") or not data.get("name"):
        raise ValidationError(f"{where}: a criterion needs a key and a name.")
    cleaned = {f: data.get(f) for f in _CRITERION_FIELDS if f in data}
    cleaned.update({"field": field, "values": values, "weight": weight, "question": data.get("question") or ""})
    return cleaned


def _criteria_create(icp: IdealCustomerProfile, items: list[dict[str, Any]]) -> None:
    keys = set()
    rows = []
    for position, item in enumerate(items):
        cleaned = criterion_clean(item, f"criterion {position + 1} ({item.get('name') or item.get('key') or '?'})")
        if cleaned["key"] in keys:
            raise ValidationError(f"Two criteria share the key {cleaned['key']!r}.")
        keys.add(cleaned["key"])
        rows.append(Criterion(icp=icp, position=position, **cleaned))
    Criterion.objects.bulk_create(rows)


@transaction.atomic
def icp_create(
    *, plan: StrategyPlan, user: User | None, name: str, criteria: list[dict[str, Any]] | None = None, **fields: Any
) -> IdealCustomerProfile:
    """A new draft profile, with the template's criteria unless others are given."""
    icp = IdealCustomerProfile(plan=plan, name=name, created_by=user, **fields)
    icp.full_clean()
    icp.save()
    _criteria_create(icp, TEMPLATE if criteria is None else criteria)
    return icp


@transaction.atomic
def icp_new_version(icp: IdealCustomerProfile, *, user: User | None) -> IdealCustomerProfile:
    """A draft copy to edit, one version up; the published one stays in force until this one is published."""
    draft = IdealCustomerProfile.objects.filter(lineage=icp.lineage, status=IdealCustomerProfile.Status.DRAFT).first()
    if draft:
        return draft
    latest = IdealCustomerProfile.objects.filter(lineage=icp.lineage).order_by("-version").first()
    copy = IdealCustomerProfile.objects.create(
        plan=icp.plan,
        name=icp.name,
        description=icp.description,
        lineage=icp.lineage,
        version=latest.version + 1,
        tier_a_min=icp.tier_a_min,
        tier_b_min=icp.tier_b_min,
        tier_c_min=icp.tier_c_min,
        min_known_pct=icp.min_known_pct,
        created_by=user,
    )
    _criteria_create(copy, [icp_criterion_data(c) for c in icp.criteria.all()])
    return copy


@transaction.atomic
def icp_publish(icp: IdealCustomerProfile) -> IdealCustomerProfile:
    if not icp.criteria.exists():
        raise ValidationError("A profile needs at least one criterion before it is published.")
    IdealCustomerProfile.objects.filter(lineage=icp.lineage, status=IdealCustomerProfile.Status.PUBLISHED).exclude(
        pk=icp.pk
    ).update(status=IdealCustomerProfile.Status.RETIRED)
    icp.status = IdealCustomerProfile.Status.PUBLISHED
    icp.published_at = timezone.now()
    icp.save(update_fields=["status", "published_at", "updated_at"])
    inputs_changed(icp_input(icp.pk), PUBLISHED_ICP_INPUT)  # every account is scored against it, then ranked
    return icp


def icp_criterion_data(criterion: Criterion) -> dict[str, Any]:
    data = {f: getattr(criterion, f) for f in _CRITERION_FIELDS}
    return {k: v for k, v in data.items() if v not in (None, "", []) or k in {"key", "name", "kind", "weight"}}


def icp_to_json(icp: IdealCustomerProfile) -> dict[str, Any]:
    """The documented file format (docs/icp-format.md): a profile anyone can version, share or copy."""
    return {
        "format": JSON_FORMAT,
        "name": icp.name,
        "description": icp.description,
        "version": icp.version,
        "tiers": {"A": icp.tier_a_min, "B": icp.tier_b_min, "C": icp.tier_c_min},
        "min_known_pct": icp.min_known_pct,
        "criteria": [icp_criterion_data(c) for c in icp.criteria.all()],
    }


def icp_from_json(data: Any, *, plan: StrategyPlan, user: User | None) -> IdealCustomerProfile:
    """A new draft profile from a file made by ``icp_to_json``; ValidationError says what is wrong and where."""
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise ValidationError(f'Not a salesplan ICP file: it must be a JSON object with "format": "{JSON_FORMAT}".')
    tiers = data.get("tiers") or {}
    criteria = data.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        raise ValidationError("The file has no criteria.")
    if not all(isinstance(item, dict) for item in criteria):
        raise ValidationError("Every criterion must be a JSON object.")
    try:
        thresholds = {f"tier_{t.lower()}_min": int(tiers.get(t, d)) for t, d in (("A", 75), ("B", 50), ("C", 25))}
    except (TypeError, ValueError):
        raise ValidationError("tiers must give whole-number scores for A, B and C.") from None
    min_known = data.get("min_known_pct", 60)
    if isinstance(min_known, bool) or not isinstance(min_known, int) or not 0 <= min_known <= 100:
        raise ValidationError(f"min_known_pct must be a whole number from 0 to 100 (got {min_known!r}).")
    return icp_create(
        plan=plan,
        user=user,
        name=str(data.get("name") or "Imported profile")[:120],
        description=str(data.get("description") or ""),
        criteria=criteria,
        min_known_pct=min_known,
        **thresholds,
    )


# --- Scoring ---------------------------------------------------------------------------------------------


def _vertical_ids() -> dict[str, int]:
    return dict(Vertical.objects.values_list("name", "id"))


_SCORE_COLUMNS = ("score", "matched", "unknown", "total", "coverage", "tier", "rated", "points")


def icp_score_all(icp: IdealCustomerProfile, *, progress: Callable[[int, str], None] | None = None) -> int:
    """Score every account against ``icp`` set-based, replacing its previous scores; return how many.

    Everything runs in one transaction: readers see the previous scores until it commits, and a failure
    leaves them current. The first scoring is one INSERT … SELECT. A re-scoring computes the new scores
    into a temporary table and then writes only what changed (most scores do not move between runs).
    """
    progress = progress or (lambda _percent, _message: None)
    postgres = connection.vendor == "postgresql"
    criteria = list(icp.criteria.all())
    sql, params = score_sql(icp, criteria, vertical_ids=_vertical_ids(), postgres=postgres)
    progress(10, f"Scoring every account against {len(criteria)} criteria")
    started = time.perf_counter()
    now = timezone.now()
    table = "segmentation_accountscore"
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL parallel_setup_cost = 0")
            cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")
            cursor.execute("SET LOCAL work_mem = '128MB'")
        count = bulk_replace_scope(
            table=table,
            scope=("icp_id", icp.pk),
            key="account_id",
            columns=_SCORE_COLUMNS,
            select_sql=sql,
            params=params,
            stamp={"scored_at": now},
        )
        # An answer a rep gave while the scores were computed is newer than what was just written over the
        # score it moved: those few accounts are scored again, as the answer did.
        for account in Account.objects.filter(icp_answers__answered_at__gte=now).distinct():
            icp_score_account(icp, account)
        tier_confirmations_lapse(icp)
        IdealCustomerProfile.objects.filter(pk=icp.pk).update(scored_at=now, scored_count=count)
        if postgres:
            cursor.execute(f"ANALYZE {table}")  # a million rows moved: the planner must know
    icp.scored_at, icp.scored_count = now, count
    progress(100, f"Scored {count:,} accounts in {time.perf_counter() - started:.1f} s")
    return count


def icp_summary_refresh(icp: IdealCustomerProfile) -> dict[str, Any]:
    """Store the whole market's summary (tier counts, score bands, tiers by vertical and state, focus) so
    the leader's pages read it instead of aggregating a million scores on every view."""
    from segmentation.selectors import scores_summary

    icp.summary = scores_summary(AccountScore.objects.filter(icp=icp), icp.plan_id)
    IdealCustomerProfile.objects.filter(pk=icp.pk).update(summary=icp.summary)
    return icp.summary


def icp_score_account(icp: IdealCustomerProfile, account: Account) -> AccountScore:
    """Score one account at once (after an answer), with the same rules as the set-based scorer."""
    answers = dict(AccountAnswer.objects.filter(account=account).values_list("key", "answer"))
    result = score_one(icp, icp.criteria.all(), account, answers)
    score, _created = AccountScore.objects.update_or_create(
        icp=icp,
        account=account,
        defaults={
            "score": result.score,
            "matched": result.matched,
            "unknown": result.unknown,
            "total": result.total,
            "coverage": result.coverage,
            "tier": result.tier,
            "rated": result.rated,
            "points": result.points,
            "scored_at": timezone.now(),
        },
    )
    tier_confirmations_lapse(icp, account_ids=[account.pk])
    return score


def tier_confirmations_lapse(icp: IdealCustomerProfile, *, account_ids: list[int] | None = None) -> int:
    """A manager's confirmation stands for the tier confirmed: once an account scores another tier (new
    answers, new data), the confirmation is no longer in force and the computed tier is; an override stays
    (the manager chose that tier whatever the score). One UPDATE over the plan's few reviews."""
    moved = AccountScore.objects.filter(icp=icp, account_id=OuterRef("account_id")).exclude(
        tier=OuterRef("computed_tier")
    )
    reviews = TierReview.objects.filter(plan_id=icp.plan_id, current=True, action=TierReview.Action.CONFIRM)
    if account_ids is not None:
        reviews = reviews.filter(account_id__in=account_ids)
    return reviews.filter(Exists(moved)).update(current=False)


@transaction.atomic
def answer_set(*, account: Account, key: str, answer: str, user: User) -> list[AccountScore]:
    """Record a rep's answer (empty answer: back to unknown) and re-score the account on every scored profile
    that asks it."""
    if answer:
        if answer not in AccountAnswer.Answer.values:
            raise ValidationError(f"Answer with yes, partly or no (got {answer!r}).")
        AccountAnswer.objects.update_or_create(
            account=account, key=key, defaults={"answer": answer, "answered_by": user}
        )
    else:
        AccountAnswer.objects.filter(account=account, key=key).delete()
    from segmentation.selectors import icp_scores_changed

    profiles = IdealCustomerProfile.objects.filter(
        criteria__key=key, criteria__kind=Criterion.Kind.QUESTION, scored_at__isnull=False
    ).distinct()
    scores = [icp_score_account(icp, account) for icp in profiles]
    for icp in profiles:
        transaction.on_commit(lambda pk=icp.pk: icp_scores_changed(pk))
    inputs_changed(ANSWERS_INPUT)  # the account's scores moved: rankings and summaries follow
    return scores


# --- Manager confirmation ---------------------------------------------------------------------------------


@transaction.atomic
def tier_review(
    *, account: Account, plan: StrategyPlan, reviewer: User, computed_tier: str, tier: str = "", reason: str = ""
) -> TierReview:
    """Confirm the computed tier (no ``tier``) or override it with a reason. Every review is kept; the new
    one becomes the plan's current review of the account, whose tier is the one in force from now on
    (segmentation.tiers): ranking, the SAM, the focus dollars and "matches the ICP" read it."""
    reason = reason.strip()
    if tier and tier != computed_tier:
        if tier not in Tier.values:
            raise ValidationError(f"Choose tier A, B, C or D (got {tier!r}).")
        if not reason:
            raise ValidationError("Say why the tier is overridden: the rep and the leader will read it.")
        action = TierReview.Action.OVERRIDE
    else:
        if not computed_tier:
            raise ValidationError("This account has no score yet, so there is no tier to confirm.")
        if computed_tier == NEEDS_DATA:
            raise ValidationError(
                "“Needs data” is not a tier to confirm: too little is known to rate it. Answer its questions, "
                "or override it with the tier you know it deserves and say why."
            )
        action, tier = TierReview.Action.CONFIRM, computed_tier
    # The account's row is locked for the swap, so two reviews at once still leave one current.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    TierReview.objects.filter(plan=plan, account=account, current=True).update(current=False)
    review = TierReview.objects.create(
        account=account,
        plan=plan,
        reviewer=reviewer,
        action=action,
        computed_tier=computed_tier,
        tier=tier,
        reason=reason,
        current=True,
    )
    from segmentation.selectors import icp_scores_changed

    for icp_id in IdealCustomerProfile.objects.filter(plan=plan).values_list("pk", flat=True):
        transaction.on_commit(lambda pk=icp_id: icp_scores_changed(pk))  # the users' summaries move
    inputs_changed(REVIEWS_INPUT)  # the reviewed tier is the one rankings, SAM and focus read
    return review


def icp_score_job(*, job: Any, icp_id: int) -> dict[str, Any]:
    """The scoring job: every account against one profile, with progress on the job page."""
    from salesplan.services.jobs import JobError, job_progress

    icp = IdealCustomerProfile.objects.filter(pk=icp_id).first()
    if icp is None:
        raise JobError("This profile was deleted before it could be scored.")
    count = derived_run(
        score_target(icp),
        progress=lambda pct, message: job_progress(job=job, processed=pct, total=100, message=message),
    )
    return {"icp_id": icp.pk, "accounts_scored": count}


def icp_score_interrupted(job: Any) -> str:
    """What became of the scores when the scoring job was interrupted: they are written in one transaction
    that also stamps the profile, so either the new ones were saved or the previous ones stand."""
    icp = IdealCustomerProfile.objects.filter(pk=job.params.get("icp_id")).first()
    started = job.started_at or job.created_at
    if icp is not None and icp.scored_at is not None and icp.scored_at >= started:
        return "The new scores were saved before it stopped."
    return "Nothing was saved: the previous scores are unchanged."
