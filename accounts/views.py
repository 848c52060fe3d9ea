"""HTTP views of accounts: the scoped list with filters and export, and the account page."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.account_panels import account_panels_render
from accounts.filters import AccountFilter
from accounts.forms import VerticalForm
from accounts.models import IndustryMapping, Vertical
from accounts.selectors import (
    ACCOUNT_SORT_COLUMNS,
    accounts_strategy_attach,
    accounts_summary,
    accounts_visible_to,
    industry_mappings_with_counts,
    verticals_with_counts,
)
from accounts.services.exports import EXPORT_HEADER, accounts_for_export, export_rows
from accounts.services.verticals import industry_map, vertical_create
from salesplan.access import require_leader
from salesplan.exports import csv_response, xlsx_write
from salesplan.listing import list_paginate, list_sort
from salesplan.selectors import jobs_visible_to
from salesplan.services.jobs import job_start


def account_list(request: HttpRequest) -> HttpResponse:
    file_format = request.GET.get("export", "")
    if file_format in {"csv", "xlsx"}:
        return _account_export(request, file_format)
    filterset = AccountFilter(request.GET, queryset=accounts_visible_to(request.user), user=request.user)
    qs, sorting = list_sort(request, filterset.qs, columns=ACCOUNT_SORT_COLUMNS, default="name")
    page = list_paginate(request, qs.select_related("owner", "vertical"))
    accounts_strategy_attach(page.object_list, request.user)
    return render(
        request,
        "accounts/account_list.html",
        {
            "page": page,
            "filter": filterset,
            "sorting": sorting,
            "has_any": accounts_visible_to(request.user).exists(),
            "xlsx_export": True,
        },
    )


def account_list_summary(request: HttpRequest) -> HttpResponse:
    """Counts and data quality of the filtered list, loaded after the page (it reads every matching row)."""
    filterset = AccountFilter(request.GET, queryset=accounts_visible_to(request.user), user=request.user)
    return render(request, "accounts/partials/list_summary.html", {"summary": accounts_summary(filterset.qs)})


def _account_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """Small exports download at once; large ones become a job whose page offers the file when ready."""
    query = request.GET.copy()
    query.pop("export", None)
    queryset = accounts_for_export(user=request.user, query=query)
    if queryset.count() > settings.EXPORT_INLINE_MAX_ROWS:
        job, _created = job_start(
            kind="accounts_export",
            started_by=request.user,
            params={"user_id": request.user.pk, "query": query.urlencode(), "file_format": file_format},
            dedupe_key=f"accounts_export:{request.user.pk}:{file_format}:{query.urlencode()}"[:200],
        )
        return redirect(job)
    if file_format == "csv":
        return csv_response(filename="accounts.csv", header=EXPORT_HEADER, rows=export_rows(queryset))
    buffer = io.BytesIO()
    xlsx_write(target=buffer, header=EXPORT_HEADER, rows=export_rows(queryset), title="Accounts")
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename="accounts.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def account_export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file of a finished export job, to the person who may see that job."""
    job = get_object_or_404(jobs_visible_to(request.user), pk=pk, kind="accounts_export", status="succeeded")
    path = Path(settings.MEDIA_ROOT) / "exports" / Path(job.result.get("file", "")).name
    if not path.is_file():
        raise Http404("This export file is no longer kept; export the list again.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"accounts{path.suffix}")


def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visible = accounts_visible_to(request.user)
    account = get_object_or_404(visible.select_related("owner", "owner__team", "vertical"), pk=pk)
    # Parent and subsidiaries are shown only where the user may see them, like every other account.
    parent = visible.filter(pk=account.parent_id).first() if account.parent_id else None
    subsidiaries = list(visible.filter(parent=account).order_by("name")[:50])
    context = {"account": account, "parent": parent, "subsidiaries": subsidiaries}
    context["panels"] = account_panels_render(request, account)  # the apps above accounts: strategy, ICP fit
    return render(request, "accounts/account_detail.html", context)


# --- Verticals ------------------------------------------------------------------------------------


def vertical_list(request: HttpRequest) -> HttpResponse:
    """The managed vertical list and the industries mapped onto it; unmapped industries stand out."""
    require_leader(request, "manage verticals")
    form = VerticalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vertical = vertical_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error("name", exc.messages[0])
        else:
            messages.success(request, f"Vertical “{vertical}” added. Map industries to it below.")
            return redirect("vertical_list")
    industries = industry_mappings_with_counts()
    if request.GET.get("show") == "unmapped":
        industries = industries.filter(vertical__isnull=True)
    industries, sorting = list_sort(
        request,
        industries,
        columns={"industry": "industry_key", "accounts": "accounts", "vertical": "vertical__name"},
        default="-accounts",
    )
    return render(
        request,
        "accounts/vertical_list.html",
        {
            "form": form,
            "verticals": verticals_with_counts(),
            "page": list_paginate(request, industries, per_page=100),
            "sorting": sorting,
            "unmapped": IndustryMapping.objects.filter(vertical__isnull=True).count(),
            "all_verticals": Vertical.objects.all(),
        },
    )


@require_POST
def industry_mapping_update(request: HttpRequest, pk: int) -> HttpResponse:
    require_leader(request, "manage verticals")
    mapping = get_object_or_404(IndustryMapping, pk=pk)
    vertical_id = request.POST.get("vertical") or None
    vertical = get_object_or_404(Vertical, pk=vertical_id) if vertical_id else None
    moved = industry_map(mapping=mapping, vertical=vertical)
    if request.htmx:
        mapping = industry_mappings_with_counts().get(pk=pk)
        return render(
            request,
            "accounts/partials/industry_row.html",
            {"mapping": mapping, "all_verticals": Vertical.objects.all(), "moved": moved},
        )
    messages.success(request, f"{mapping.industry}: {moved:,} accounts moved.")
    return redirect("vertical_list")
