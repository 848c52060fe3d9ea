"""HTTP views of strategic account plans and their reviews. Every plan is read through
``account_plans_visible_to`` (404 outside it); the services decide who may change what (403)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from accountplans.filters import AccountPlanFilter
from accountplans.forms import ROW_FORMSETS, TEXT_FORMS, CommentForm, DecisionForm, FollowUpForm
from accountplans.models import AccountPlan, PlanEvent, PlanSection, PlanStatus
from accountplans.selectors import (
    account_plans_by_status,
    account_plans_visible_to,
    account_plans_with_figures,
    follow_ups_visible_to,
    plan_detail_rows,
    plan_review_queue,
)
from accountplans.services import plan_insights as insights
from accountplans.services.plans import (
    PlanConflict,
    plan_can_edit,
    plan_changes_since_review,
    plan_comment,
    plan_create,
    plan_decide,
    plan_follow_up_add,
    plan_follow_up_done,
    plan_follow_up_owners,
    plan_is_reviewer,
    plan_rows_prefetch,
    plan_section_save,
    plan_submission_gaps,
    plan_submit,
    plan_withdraw,
)
from accounts.models import Account, Strategy
from accounts.selectors import account_territory_path, accounts_visible_to
from accounts.services.strategy import strategy_current, strategy_suggest
from salesplan.exports import csv_response
from salesplan.listing import list_paginate, list_sort
from segmentation.panels import ACCOUNT_ICP_PANEL_TEMPLATE, account_icp_panel_context
from segmentation.selectors import account_icp_facts

PLAN_SORT = {
    "account": "account__name",
    "owner": ("owner__first_name", "owner__last_name"),
    "status": "status",
    "updated": "updated_at",
    "submitted": "submitted_at",
    "expected": "expected",
    "overdue": "overdue",
    "rosti": "rosti",
}


def account_plan_list(request: HttpRequest) -> HttpResponse:
    plans = account_plans_with_figures(account_plans_visible_to(request.user), timezone.localdate())
    filterset = AccountPlanFilter(request.GET, queryset=plans, user=request.user)
    plans, sorting = list_sort(request, filterset.qs, columns=PLAN_SORT, default="-updated")
    counts = account_plans_by_status(account_plans_visible_to(request.user))
    if request.GET.get("export") == "csv":
        rows = (
            (
                p.account.name,
                str(p.owner),
                p.get_status_display(),
                p.expected,
                p.hours,
                p.rosti,
                p.overdue,
                p.submitted_at,
                p.updated_at,
            )
            for p in plans
        )
        header = [
            "Account",
            "Owner",
            "Status",
            "Expected return",
            "Planned hours",
            "Return per hour",
            "Overdue follow-ups",
            "Submitted",
            "Last change",
        ]
        return csv_response(filename="account-plans.csv", header=header, rows=rows)
    return render(
        request,
        "accountplans/plan_list.html",
        {
            "page": list_paginate(request, plans),
            "filter": filterset,
            "sorting": sorting,
            "queue_count": plan_review_queue(request.user).count() if not request.user.is_rep else 0,
            "by_status": [(status, label, counts.get(status, 0)) for status, label in PlanStatus.choices],
        },
    )


def account_plan_reviews(request: HttpRequest) -> HttpResponse:
    """The manager's review queue: the team's submitted plans, oldest first, with what changed since the
    last review."""
    if request.user.is_rep:
        raise PermissionDenied("The review queue is for managers and the sales leader.")
    today = timezone.localdate()
    queue = list(
        account_plans_with_figures(plan_review_queue(request.user), today)
        .select_related("account", "owner")
        .prefetch_related(*plan_rows_prefetch())
    )
    for plan in queue:
        plan.changes = plan_changes_since_review(plan)
        plan.waiting_days = (timezone.now() - plan.submitted_at).days if plan.submitted_at else 0
        # What a reviewer asks about first: a plan that hangs on one person.
        plan.risks = [
            f for f in insights.relationship_findings(list(plan.contacts.all()), today) if f.level == "danger"
        ]
    return render(request, "accountplans/plan_reviews.html", {"queue": queue, "sections": dict(PlanSection.choices)})


@require_POST
def account_plan_start(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_object_or_404(accounts_visible_to(request.user), pk=account_pk)
    existing = account_plans_visible_to(request.user).filter(account=account).first()
    if existing:
        return redirect(existing)
    try:
        plan = plan_create(account=account, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(account)
    messages.success(
        request, "Plan started. The profile is filled in from what we know; write the rest section by section."
    )
    return redirect(plan)


def _plan_context(request: HttpRequest, plan: AccountPlan) -> dict[str, Any]:
    today = timezone.localdate()
    rows = plan_detail_rows(plan)
    account = plan.account
    comments: dict[str, list] = {}
    for comment in rows["comments"]:
        comments.setdefault(comment.section, []).append(comment)
    reviewer = plan_is_reviewer(plan, request.user)
    decision_comments = [
        c
        for c in rows["comments"]
        if plan.decided_at and c.author_id == plan.decided_by_id and c.created_at >= plan.decided_at
    ]
    return {
        "plan": plan,
        "account": account,
        **rows,
        "today": today,
        "territory": account_territory_path(account),
        "strategy": strategy_current(account),
        "strategy_suggested": Strategy(
            strategy_suggest(account, account_icp_facts(account=account, user=request.user))[0]
        ).label,
        "org_chart": insights.org_chart(rows["contacts"], today),
        "engaged_ids": {c.pk for c in rows["contacts"] if insights.contact_engaged(c, today)},
        "relationship_findings": insights.relationship_findings(rows["contacts"], today),
        "competition_findings": insights.competition_findings(rows["competitors"], account.wallet_share_pct),
        "buying_findings": insights.buying_findings(plan, today),
        "growth": insights.growth_summary(
            rows["objectives"], rows["actions"], today, wallet=account.wallet, current_sales=account.current_sales
        ),
        "completeness": insights.plan_completeness(plan, {k: len(v) for k, v in rows.items()}),
        "comments_by_section": comments,
        "decision_comments": decision_comments,
        "changes": plan_changes_since_review(plan) if plan.status == PlanStatus.SUBMITTED else {},
        "can_edit": plan_can_edit(plan, request.user),
        "is_owner": plan.owner_id == request.user.pk,
        "is_reviewer": reviewer,
        "gaps": plan_submission_gaps(plan) if plan.owner_id == request.user.pk else [],
        "sections": PlanSection.choices,
        "swot": [
            ("Strengths", plan.strengths, "success"),
            ("Weaknesses", plan.weaknesses, "danger"),
            ("Opportunities", plan.opportunities, "primary"),
            ("Threats", plan.threats, "warning"),
        ],
    }


def _icp_panel(request: HttpRequest, account: Account) -> str:
    """The account's ICP panel, as on the account page but with the answers shown rather than asked (the
    plan's profile and its printout); nothing for an account the user may not open."""
    if not accounts_visible_to(request.user).filter(pk=account.pk).exists():
        return ""
    context = account_icp_panel_context(account=account, user=request.user, readonly=True)
    return render_to_string(ACCOUNT_ICP_PANEL_TEMPLATE, context, request=request)


def account_plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(account_plans_visible_to(request.user), pk=pk)
    context = _plan_context(request, plan)
    context["icp_panel"] = _icp_panel(request, plan.account)
    context["comment_form"] = CommentForm()
    if context["is_reviewer"]:
        context["decision_form"] = DecisionForm()
        context["follow_up_form"] = FollowUpForm(
            owners=plan_follow_up_owners(plan, request.user), initial={"owner": plan.owner_id}
        )
    return render(request, "accountplans/plan_detail.html", context)


def account_plan_print(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(account_plans_visible_to(request.user), pk=pk)
    context = _plan_context(request, plan)
    context["icp_panel"] = _icp_panel(request, plan.account)
    return render(request, "accountplans/plan_print.html", context)


def _section_forms(plan: AccountPlan, section: str, data: Any = None) -> tuple[Any, list]:
    """The section's form (text sections) or formsets (row sections), bound to ``data`` when posted."""
    if section in TEXT_FORMS:
        return TEXT_FORMS[section](data, instance=plan, initial={"version": plan.version}), []
    formsets = [formset(data, instance=plan, prefix=prefix) for prefix, formset in ROW_FORMSETS[section]]
    return None, formsets


def account_plan_edit(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    plan = get_object_or_404(account_plans_visible_to(request.user), pk=pk)
    if section not in TEXT_FORMS and section not in ROW_FORMSETS:
        return redirect(plan)
    if not plan_can_edit(plan, request.user):
        messages.info(request, _why_read_only(plan, request))
        return redirect(plan)
    version, conflict, conflict_values = plan.version, None, {}
    data = request.POST if request.method == "POST" else None
    form, formsets = _section_forms(plan, section, data)
    if data is not None:
        version = _posted_version(request)
        valid = all(f.is_valid() for f in ([form] if form else []) + formsets)
        if valid:
            try:
                changes = plan_section_save(
                    plan=plan,
                    user=request.user,
                    version=version,
                    section=section,
                    data={k: v for k, v in form.cleaned_data.items() if k != "version"} if form else None,
                    formsets=formsets,
                )
            except PlanConflict as exc:
                messages.error(request, str(exc))
                plan.refresh_from_db()
                conflict = plan.events.exclude(action=PlanEvent.Action.COMMENTED).select_related("actor").first()
                if form:  # beside each field the user typed differently, what the plan says now
                    saved = {name: getattr(plan, name) for name in form.cleaned_data if name != "version"}
                    conflict_values = {k: v for k, v in saved.items() if v != form.cleaned_data[k]}
                version = plan.version  # saving again now is a deliberate choice over the other change
            else:
                messages.success(request, f"Saved: {'; '.join(changes)}." if changes else "Nothing had changed.")
                return redirect(f"{plan.get_absolute_url()}#{section}")
    context = _plan_context(request, plan)
    context.update(
        section=section,
        section_label=PlanSection(section).label,
        form=form,
        formsets=formsets,
        version=version,
        conflict_event=conflict,
        conflict_values=conflict_values,
    )
    return render(request, "accountplans/plan_edit.html", context)


def _posted_version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", "0"))
    except ValueError:
        return 0


def _why_read_only(plan: AccountPlan, request: HttpRequest) -> str:
    if plan.status == PlanStatus.SUBMITTED:
        if plan.owner_id == request.user.pk:
            return "The plan is under review: withdraw it to edit, or wait for the review."
        return "The plan is under review and read-only until it is decided: comment on it, or request changes."
    return f"Only {plan.owner} and their manager edit this plan; you can comment on it."


@require_POST
def account_plan_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner submits the plan for review or withdraws it."""
    plan = get_object_or_404(account_plans_visible_to(request.user), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "submit":
            plan_submit(plan=plan, user=request.user)
            messages.success(request, "Submitted. Your manager sees it in their review queue.")
        elif action == "withdraw":
            plan_withdraw(plan=plan, user=request.user)
            messages.info(request, "Withdrawn from review: it is a draft again.")
    except (ValidationError, PlanConflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(plan)


@require_POST
def account_plan_decide(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(account_plans_visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or request changes.")
        return redirect(plan)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        plan_decide(
            plan=plan,
            user=request.user,
            approve=approve,
            comment=form.cleaned_data["comment"],
            section=form.cleaned_data["section"],
        )
    except (ValidationError, PlanConflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(f"{plan.get_absolute_url()}#review")
    messages.success(request, "Approved." if approve else f"Changes requested: {plan.owner} sees your comment.")
    return redirect("account_plan_reviews" if plan_review_queue(request.user).exists() else plan)


@require_POST
def account_plan_comment(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(account_plans_visible_to(request.user), pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        plan_comment(plan=plan, user=request.user, **form.cleaned_data)
        messages.success(request, "Comment added.")
        return redirect(f"{plan.get_absolute_url()}#{form.cleaned_data['section']}")
    messages.error(request, "Write a comment first.")
    return redirect(plan)


@require_POST
def account_plan_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(account_plans_visible_to(request.user), pk=pk)
    form = FollowUpForm(request.POST, owners=plan_follow_up_owners(plan, request.user))
    if not form.is_valid():
        messages.error(request, "A follow-up needs what, who and by when.")
        return redirect(f"{plan.get_absolute_url()}#review")
    try:
        plan_follow_up_add(plan=plan, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Follow-up recorded.")
    return redirect(f"{plan.get_absolute_url()}#review")


@require_POST
def account_plan_follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(follow_ups_visible_to(request.user).select_related("plan__owner__team"), pk=pk)
    plan_follow_up_done(follow_up=follow_up, user=request.user)
    messages.success(request, f"Done: {follow_up.description}")
    return redirect("home" if request.POST.get("next") == "home" else follow_up.plan)
