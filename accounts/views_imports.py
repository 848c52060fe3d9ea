"""HTTP views of imports: upload, map columns with a live preview, follow the job, read the report."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import ImportMappingForm, ImportUploadForm
from accounts.importing.fields import FIELDS_BY_KEY
from accounts.importing.files import file_rows
from accounts.models import AccountImport, ImportIssue, ImportLedger, PossibleDuplicate
from accounts.selectors import imports_visible_to, possible_duplicates_visible_to
from accounts.services.imports import (
    ImportFileError,
    account_import_create,
    account_import_file_info,
    account_import_files_delete,
    account_import_path,
    account_import_preview,
    account_import_reading_set,
    account_import_start,
    account_import_workbook_read_start,
)
from accounts.views_import_review import import_change_summary
from salesplan.access import require_leader
from salesplan.exports import csv_response
from salesplan.listing import list_paginate, list_sort


def account_import_list(request: HttpRequest) -> HttpResponse:
    require_leader(request, "import accounts")
    qs, sorting = list_sort(
        request,
        imports_visible_to(request.user),
        columns={"created": "created_at", "name": "original_name", "status": "status", "rows": "rows_total"},
        default="-created",
    )
    if request.GET.get("export") == "csv":
        rows = (
            (
                i.pk,
                i.original_name,
                i.get_status_display(),
                i.created_at,
                str(i.created_by or ""),
                i.rows_total,
                i.created,
                i.updated,
                i.unchanged,
                i.rejected,
                i.duplicates,
            )
            for i in qs
        )
        header = [
            "Import",
            "File",
            "Status",
            "Started",
            "By",
            "Rows",
            "Created",
            "Updated",
            "Unchanged",
            "Rejected",
            "Duplicates",
        ]
        return csv_response(filename="imports.csv", header=header, rows=rows)
    open_pairs = possible_duplicates_visible_to(request.user).filter(status=PossibleDuplicate.Status.OPEN).count()
    return render(
        request,
        "accounts/import_list.html",
        {"page": list_paginate(request, qs.select_related("ledger")), "sorting": sorting, "open_pairs": open_pairs},
    )


def account_import_upload(request: HttpRequest) -> HttpResponse:
    require_leader(request, "import accounts")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    too_large = ""
    if getattr(request, "upload_too_large", False):
        form = ImportUploadForm()
        too_large = (
            f"The file is larger than the {settings.IMPORT_MAX_UPLOAD_BYTES / 1e6:,.0f} MB limit. Split it "
            "into smaller files, or ask your administrator to raise IMPORT_MAX_UPLOAD_BYTES."
        )
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            account_import = account_import_create(file=upload, name=upload.name, user=request.user)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect(account_import)
    return render(request, "accounts/import_upload.html", {"form": form, "too_large": too_large})


def account_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Mapping while the file waits; progress while it runs; the report when it has ended."""
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk)
    if request.htmx and request.headers.get("HX-Trigger") == "workbook-read":
        return _reading_poll(account_import)
    if account_import.is_reading:
        return render(request, "accounts/import_reading.html", {"imp": account_import, "job": account_import.job})
    if account_import.status == AccountImport.Status.UPLOADED:
        return _mapping_page(request, account_import)
    issues = account_import.issues.all()
    counts = issues.aggregate(
        errors=Count("pk", filter=Q(kind="error")),
        duplicates=Count("pk", filter=Q(kind="duplicate")),
        warnings=Count("pk", filter=Q(kind="warning")),
    )
    kind = request.GET.get("kind", "")
    if kind in ImportIssue.Kind.values:
        issues = issues.filter(kind=kind)
    ledger = ImportLedger.objects.filter(account_import=account_import).select_related("territory_design").first()
    return render(
        request,
        "accounts/import_report.html",
        {
            "imp": account_import,
            "job": account_import.job,
            "counts": counts,
            "kind": kind,
            "page": list_paginate(request, issues, per_page=50),
            "columns": _mapped_columns(account_import),
            "ledger": ledger,
            "changes": import_change_summary(account_import, ledger, request.user) if ledger else None,
            "pairs": possible_duplicates_visible_to(request.user)
            .filter(account_import=account_import)
            .aggregate(total=Count("pk"), open=Count("pk", filter=Q(status=PossibleDuplicate.Status.OPEN))),
        },
    )


def _reading_poll(account_import: AccountImport) -> HttpResponse:
    """While a workbook is read: nothing (204); once it is read, or refused, open the import (htmx
    follows HX-Redirect); 286 stops the polling when the job has ended without reading it."""
    if not account_import.is_reading:
        return HttpResponse(headers={"HX-Redirect": account_import.get_absolute_url()})
    job = account_import.job
    return HttpResponse(status=204 if job is not None and job.is_active else 286)


def _mapped_columns(account_import: AccountImport) -> list[tuple[str, str]]:
    columns = account_import.mapping.get("columns", {})
    return [
        (account_import.headers[int(i)], FIELDS_BY_KEY[f].label)
        for i, f in sorted(columns.items(), key=lambda c: int(c[0]))
    ]


def _mapping_page(request: HttpRequest, account_import: AccountImport) -> HttpResponse:
    form = ImportMappingForm(request.POST or None, account_import=account_import)
    if request.method == "POST" and form.is_valid():
        try:
            job = account_import_start(
                account_import=account_import,
                mapping=form.mapping(),
                mode=form.cleaned_data["mode"],
                user=request.user,
                encoding=form.cleaned_data.get("encoding") or None,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect(job)
    return render(request, "accounts/import_mapping.html", {"imp": account_import, "form": form, **_preview(form)})


def _preview(form: ImportMappingForm) -> dict:
    """The preview of the mapping on the form (as submitted, else as saved) and the fields it shows."""
    account_import = form.account_import
    valid = form.is_bound and form.is_valid()
    mapping = form.mapping() if valid else account_import.mapping
    encoding = (form.cleaned_data.get("encoding") if valid else None) or account_import.encoding
    preview = account_import_preview(account_import=account_import, mapping=mapping, encoding=encoding)
    return {"preview": preview["rows"], "preview_headers": preview["headers"], "preview_replaced": preview["replaced"],
            "preview_fields": _preview_fields(mapping)}  # fmt: skip


def _preview_fields(mapping: dict) -> list[tuple[str, str]]:
    chosen = [f for _i, f in sorted(mapping.get("columns", {}).items(), key=lambda c: int(c[0])) if f]
    return [(f, FIELDS_BY_KEY[f].label) for f in chosen]


def account_import_preview_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview table for the mapping and reading chosen on the page (htmx, on every change), and the
    column labels as read in the encoding chosen (swapped in out of band)."""
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk)
    # The page posts it: a wide file's choices do not fit in a URL (gunicorn takes 4,094 bytes).
    form = ImportMappingForm(request.POST if request.method == "POST" else request.GET, account_import=account_import)
    return render(
        request, "accounts/partials/import_preview.html", {"imp": account_import, "oob": True, **_preview(form)}
    )


@require_POST
def account_import_reading(request: HttpRequest, pk: int) -> HttpResponse:
    """Read the uploaded file again with the encoding and delimiter chosen: new columns, new guesses. For
    a workbook whose reading stopped (its worker was lost), start reading it again."""
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk, status=AccountImport.Status.UPLOADED)
    if account_import.is_reading:
        account_import_workbook_read_start(account_import=account_import, user=request.user)
        return redirect(account_import)
    try:
        account_import_reading_set(
            account_import=account_import,
            encoding=request.POST.get("encoding") or account_import.encoding,
            delimiter=request.POST.get("delimiter") or account_import.delimiter,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, "The file was read again; check the columns.")
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": account_import.get_absolute_url()})
    return redirect(account_import)


@require_POST
def account_import_retry_valid_rows(request: HttpRequest, pk: int) -> HttpResponse:
    """After an all-or-nothing refusal: import the same file's valid rows, with the same mapping."""
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk, status=AccountImport.Status.REFUSED)
    job = account_import_start(
        account_import=account_import,
        mapping=account_import.mapping,
        mode=AccountImport.Mode.SKIP_INVALID,
        user=request.user,
    )
    return redirect(job)


@require_POST
def account_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk, status=AccountImport.Status.UPLOADED)
    account_import_files_delete(account_import)
    account_import.delete()
    messages.info(request, "The uploaded file was discarded; nothing was imported.")
    return redirect("account_import_list")


def account_import_issues_csv(request: HttpRequest, pk: int) -> HttpResponse:
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk)
    rows = account_import.issues.values_list("row", "column", "value", "kind", "reason").iterator(chunk_size=5_000)
    return csv_response(
        filename=f"import-{pk}-problems.csv", header=["Row", "Column", "Value", "Kind", "Problem"], rows=rows
    )


def account_import_rejected_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The rejected rows exactly as they were in the file, with the problems in a last column: fix, re-import."""
    account_import = get_object_or_404(imports_visible_to(request.user), pk=pk)
    problems: dict[int, list[str]] = {}
    for row, column, reason in account_import.issues.filter(kind="error").values_list("row", "column", "reason"):
        problems.setdefault(row, []).append(f"{column}: {reason}" if column else reason)

    def rows():
        records = iter(file_rows(account_import_path(account_import), account_import_file_info(account_import)))
        next(records, None)
        for number, record in enumerate(records, start=2):
            if number in problems:
                yield [*record, "; ".join(problems[number])]

    return csv_response(filename=f"import-{pk}-rejected.csv", header=[*account_import.headers, "Problem"], rows=rows())
