"""HTTP views of segmentation: Ideal Customer Profiles and the ICP matrix."""

from __future__ import annotations

import io
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts.selectors import accounts_visible_to
from salesplan.access import require_leader
from salesplan.exports import csv_response, xlsx_write
from salesplan.listing import list_paginate, list_sort
from salesplan.redirects import next_url_or
from salesplan.selectors import plans_visible_to
from salesplan.services.jobs import job_start
from segmentation import charts
from segmentation.filters import MatrixFilter
from segmentation.forms import CriterionFormSet, IcpCreateForm, IcpForm, IcpImportForm, TierReviewForm
from segmentation.models import NEEDS_DATA, AccountAnswer, AccountScore, Criterion, IdealCustomerProfile
from segmentation.panels import ACCOUNT_ICP_PANEL_TEMPLATE, account_icp_panel_context
from segmentation.scoring import CATEGORY_FIELDS, FACTS, RANGE_FIELDS
from segmentation.selectors import (
    MATRIX_SORT_COLUMNS,
    focus_and_gap,
    icp_current,
    icp_summary,
    icps_visible_to,
    reviews_attach,
    scores_visible_to,
    scores_with_reviews,
)
from segmentation.services import icp as icp_services

FIELD_LABELS = {**CATEGORY_FIELDS, **FACTS}


def _icp(request: HttpRequest, pk: int) -> IdealCustomerProfile:
    return get_object_or_404(icps_visible_to(request.user), pk=pk)


# --- Profiles ---------------------------------------------------------------------------------------------


def icp_list(request: HttpRequest) -> HttpResponse:
    profiles, sorting = list_sort(
        request,
        icps_visible_to(request.user),
        columns={
            "name": ("name", "-version"),
            "plan": "plan__fiscal_year_start",
            "status": "status",
            "scored": "scored_at",
        },
        default="-plan",
    )
    return render(
        request,
        "segmentation/icp_list.html",
        {"page": list_paginate(request, profiles), "sorting": sorting, "current": icp_current(request.user)},
    )


def icp_create(request: HttpRequest) -> HttpResponse:
    require_leader(request, "create an Ideal Customer Profile")
    plans = plans_visible_to(request.user)
    form = IcpCreateForm(request.POST or None, plans=plans)
    if request.method == "POST" and form.is_valid():
        icp = icp_services.icp_create(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile created from the template: adjust weights and thresholds, then publish.")
        return redirect("icp_edit", pk=icp.pk)
    return render(request, "segmentation/icp_create.html", {"form": form, "import_form": IcpImportForm(plans=plans)})


@require_POST
def icp_import(request: HttpRequest) -> HttpResponse:
    require_leader(request, "import an Ideal Customer Profile")
    plans = plans_visible_to(request.user)
    form = IcpImportForm(request.POST, request.FILES, plans=plans)
    if form.is_valid():
        try:
            data = json.loads(form.cleaned_data["file"].read().decode("utf-8"))
            icp = icp_services.icp_from_json(data, plan=form.cleaned_data["plan"], user=request.user)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            messages.error(request, f"This file is not valid JSON ({exc}).")
        except ValidationError as exc:
            messages.error(request, "The profile was not imported: " + " ".join(exc.messages))
        else:
            messages.success(request, f"Imported “{icp.name}” as a draft. Check it, then publish.")
            return redirect(icp)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("icp_create")


def icp_detail(request: HttpRequest, pk: int) -> HttpResponse:
    icp = _icp(request, pk)
    versions = icps_visible_to(request.user).filter(lineage=icp.lineage).order_by("-version")
    summary = icp_summary(request.user, icp)
    context: dict[str, Any] = {
        "icp": icp,
        "criteria": icp.criteria.all(),
        "versions": versions,
        "counts": summary["counts"] if summary else None,
        "reviewed": summary.get("reviewed", 0) if summary else 0,
        "job": _active_score_job(icp),
        "range_fields": RANGE_FIELDS,
        "field_labels": FIELD_LABELS,
        "as_of_scoring": request.user.is_leader,
    }
    if summary:
        context["focus"] = focus_and_gap(request.user, icp, summary)
        context["chart_scores"] = charts.score_distribution(summary["bands"])
        context["chart_verticals"] = charts.tiers_by(summary["vertical"], "Vertical")
        context["chart_regions"] = charts.tiers_by(summary["state"], "State / region")
    return render(request, "segmentation/icp_detail.html", context)


def _active_score_job(icp: IdealCustomerProfile) -> Any:
    from salesplan.models import JobRun

    return JobRun.objects.filter(kind="icp_score", dedupe_key=f"icp_score:{icp.pk}", status__in=JobRun.ACTIVE).first()


def icp_edit(request: HttpRequest, pk: int) -> HttpResponse:
    icp = _icp(request, pk)
    require_leader(request, "edit an Ideal Customer Profile")
    if not icp.is_editable:
        messages.info(request, "A published profile is not changed in place: this is the draft of its next version.")
        return redirect("icp_edit", pk=icp_services.icp_new_version(icp, user=request.user).pk)
    form = IcpForm(request.POST or None, instance=icp)
    formset = CriterionFormSet(request.POST or None, instance=icp)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            form.save()
            criteria = formset.save(commit=False)
            for removed in formset.deleted_objects:
                removed.delete()
            last = max(icp.criteria.values_list("position", flat=True), default=0)
            for criterion in criteria:
                criterion.key = criterion.key or slugify(criterion.name)[:60]
                if criterion.pk is None:  # new criteria go to the end
                    last += 1
                    criterion.position = last
                criterion.save()
        messages.success(request, "Profile saved.")
        if request.POST.get("then") == "publish":
            return icp_publish(request, pk)
        return redirect(icp)
    return render(request, "segmentation/icp_edit.html", {"icp": icp, "form": form, "formset": formset})


@require_POST
def icp_publish(request: HttpRequest, pk: int) -> HttpResponse:
    icp = _icp(request, pk)
    require_leader(request, "publish an Ideal Customer Profile")
    try:
        icp_services.icp_publish(icp)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(icp)
    job, _created = _score_start(request, icp)
    messages.success(request, f"Version {icp.version} published; every account is being scored against it.")
    return redirect(job)


@require_POST
def icp_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    icp = _icp(request, pk)
    require_leader(request, "edit an Ideal Customer Profile")
    return redirect("icp_edit", pk=icp_services.icp_new_version(icp, user=request.user).pk)


def _score_start(request: HttpRequest, icp: IdealCustomerProfile) -> tuple[Any, bool]:
    return job_start(
        kind="icp_score",
        started_by=request.user,
        params={"icp_id": icp.pk},
        dedupe_key=f"icp_score:{icp.pk}",
    )


@require_POST
def icp_score(request: HttpRequest, pk: int) -> HttpResponse:
    icp = _icp(request, pk)
    require_leader(request, "score the accounts")
    job, created = _score_start(request, icp)
    if not created:
        messages.info(request, "Scoring is already running; here is its progress.")
    return redirect(job)


def icp_export(request: HttpRequest, pk: int) -> HttpResponse:
    icp = _icp(request, pk)
    body = json.dumps(icp_services.icp_to_json(icp), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"icp-{slugify(icp.name) or 'profile'}-v{icp.version}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The matrix -------------------------------------------------------------------------------------------


def matrix_current(request: HttpRequest) -> HttpResponse:
    icp = icp_current(request.user)
    if icp is None:
        return render(request, "segmentation/matrix_none.html", {})
    return redirect("icp_matrix", pk=icp.pk)


def _matrix_rows(icp: IdealCustomerProfile, criteria: list[Criterion], scores: list[AccountScore]) -> list[dict]:
    """Each score with its cells (criterion, points, the rep's answer) for the grid."""
    answers: dict[int, dict[str, str]] = {}
    for account_id, key, answer in AccountAnswer.objects.filter(
        account_id__in=[s.account_id for s in scores], key__in=[c.key for c in criteria]
    ).values_list("account_id", "key", "answer"):
        answers.setdefault(account_id, {})[key] = answer
    rows = []
    for score in scores:
        points = list(score.points) + [None] * (len(criteria) - len(score.points))
        account_answers = answers.get(score.account_id, {})
        cells = [
            {
                "criterion": c,
                "points": p,
                "answer": account_answers.get(c.key, ""),
                "state": "unknown" if p is None else "full" if p >= c.weight else "part" if p > 0 else "miss",
            }
            for c, p in zip(criteria, points, strict=False)
        ]
        rows.append({"score": score, "account": score.account, "cells": cells})
    return rows


def icp_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    icp = _icp(request, pk)
    criteria = list(icp.criteria.all())
    filterset = MatrixFilter(
        request.GET, queryset=scores_visible_to(request.user, icp), user=request.user, plan_id=icp.plan_id
    )
    qs, sorting = list_sort(request, filterset.qs, columns=MATRIX_SORT_COLUMNS, default="-score")
    file_format = request.GET.get("export", "")
    if file_format == "xlsx" and qs.count() > settings.EXPORT_INLINE_MAX_ROWS:
        messages.error(request, f"Excel takes up to {settings.EXPORT_INLINE_MAX_ROWS:,} rows at once: filter the "
                       "matrix, or export CSV (any size).")  # fmt: skip
        query = request.GET.copy()
        query.pop("export")
        return redirect(f"{request.path}?{query.urlencode()}")
    if file_format in {"csv", "xlsx"}:
        return _matrix_export(icp, criteria, scores_with_reviews(qs, icp.plan_id), file_format)
    page = list_paginate(request, qs)
    summary = icp_summary(request.user, icp)
    return render(
        request,
        "segmentation/matrix.html",
        {
            "icp": icp,
            "criteria": criteria,
            "page": page,
            "rows": _matrix_rows(icp, criteria, reviews_attach(list(page.object_list), icp.plan_id)),
            "filter": filterset,
            "sorting": sorting,
            "xlsx_export": True,
            "focus": focus_and_gap(request.user, icp, summary) if summary else None,
            "charts": (
                [
                    ("Score distribution", charts.score_distribution(summary["bands"])),
                    ("Tiers by vertical", charts.tiers_by(summary["vertical"], "Vertical")),
                    ("Tiers by state / region", charts.tiers_by(summary["state"], "State / region")),
                ]
                if summary
                else []
            ),
            "can_review": not request.user.is_rep,
            "review_form": TierReviewForm(),
        },
    )


def _tier_text(tier: str | None) -> str:
    return "Needs data" if tier == NEEDS_DATA else (tier or "")


def _matrix_export(icp: IdealCustomerProfile, criteria: list[Criterion], qs: Any, file_format: str) -> HttpResponse:
    header = ["Company", "Domain", "Owner", "Tier", "Reviewed tier", "Tier in force", "Score", "Coverage %"]
    header += ["Matched", "Unknown", *(f"{c.name} (of {c.weight})" for c in criteria)]

    def rows() -> Any:
        for s in qs.iterator(chunk_size=2000):
            points = list(s.points) + [None] * (len(criteria) - len(s.points))
            yield [
                s.account.name,
                s.account.domain,
                str(s.account.owner or ""),
                _tier_text(s.tier),
                _tier_text(s.review_tier),
                _tier_text(s.review_tier or s.tier),
                s.score,
                s.coverage,
                s.matched,
                s.unknown,
                *(("unknown" if p is None else p) for p in points[: len(criteria)]),
            ]

    name = f"icp-matrix-{slugify(icp.name)}-v{icp.version}"
    if file_format == "csv":
        return csv_response(filename=f"{name}.csv", header=header, rows=rows())
    buffer = io.BytesIO()
    xlsx_write(target=buffer, header=header, rows=rows(), title="ICP matrix")
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _matrix_row_response(request: HttpRequest, icp: IdealCustomerProfile, account_id: int) -> HttpResponse:
    score = get_object_or_404(scores_visible_to(request.user, icp), account_id=account_id)
    reviews_attach([score], icp.plan_id)
    criteria = list(icp.criteria.all())
    return render(
        request,
        "segmentation/partials/matrix_row.html",
        {
            "icp": icp,
            "row": _matrix_rows(icp, criteria, [score])[0],
            "can_review": not request.user.is_rep,
            "review_form": TierReviewForm(),
            "flash": True,
        },
    )


@require_POST
def icp_answer(request: HttpRequest, pk: int, account_id: int) -> HttpResponse:
    """A rep (or their manager) answers a question for one account; its score moves at once."""
    icp = _icp(request, pk)
    account = get_object_or_404(accounts_visible_to(request.user), pk=account_id)
    criterion = get_object_or_404(icp.criteria, key=request.POST.get("key", ""), kind=Criterion.Kind.QUESTION)
    try:
        icp_services.answer_set(
            account=account, key=criterion.key, answer=request.POST.get("answer", ""), user=request.user
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    if not AccountScore.objects.filter(icp=icp, account=account).exists():
        icp_services.icp_score_account(icp, account)
    if request.htmx:
        return _matrix_row_response(request, icp, account.pk)
    messages.success(request, f"Answer saved for {account.name}.")
    return redirect(next_url_or(request, reverse("account_detail", args=[account.pk])))


@require_POST
def icp_review(request: HttpRequest, pk: int, account_id: int) -> HttpResponse:
    """A manager confirms the computed tier or overrides it with a reason."""
    icp = _icp(request, pk)
    if request.user.is_rep:
        raise PermissionDenied("Only a manager or a sales leader can confirm or override a tier.")
    score = get_object_or_404(scores_visible_to(request.user, icp), account_id=account_id)
    form = TierReviewForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            icp_services.tier_review(
                account=score.account,
                plan=icp.plan,
                reviewer=request.user,
                computed_tier=score.tier,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Choose a tier and say why."
    if request.htmx:
        response = _matrix_row_response(request, icp, account_id)
        if error:
            response = HttpResponse(error, status=422)
        return response
    if error:
        messages.error(request, error)
    return redirect(next_url_or(request, reverse("icp_matrix", args=[icp.pk])))


def account_icp_panel(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account page's ICP panel: score, tier, review and the explanation row of every criterion."""
    account = get_object_or_404(accounts_visible_to(request.user).select_related("vertical"), pk=account_id)
    # ?readonly=1: answers shown, not asked.
    context = account_icp_panel_context(account=account, user=request.user, readonly=request.GET.get("readonly") == "1")
    return render(request, ACCOUNT_ICP_PANEL_TEMPLATE, context)


def score_json(request: HttpRequest, pk: int, account_id: int) -> JsonResponse:
    """The score of one account, for scripts and the browser tests."""
    icp = _icp(request, pk)
    score = get_object_or_404(scores_visible_to(request.user, icp), account_id=account_id)
    reviews_attach([score], icp.plan_id)
    return JsonResponse(
        {
            "score": str(score.score),
            "tier": score.tier,
            "tier_in_force": score.effective_tier,
            "coverage": score.coverage,
            "points": score.points,
        }
    )
