"""Importing accounts: upload, map columns, preview, run (as a job), report."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts import normalize
from accounts.importing.fields import (
    FIELDS_BY_KEY,
    LIFECYCLE_ALIASES,
    OWNERSHIP_ALIASES,
    UNITS,
    country_aliases,
    mapping_guess,
)
from accounts.importing.files import (
    DELIMITERS,
    ENCODINGS,
    FileInfo,
    ImportFileError,
    encoding_error,
    encoding_name,
    file_format_detect,
    file_inspect,
    file_rows,
    staged_inspect,
)
from accounts.importing.pipeline import ImportCounts, ImportPipeline, active_user_keys
from accounts.importing.problems import ERROR, WARNING, Problem, cell_problem
from accounts.importing.workbook import staged_path, staged_remove, workbook_open, workbook_to_csv
from accounts.models import AccountImport, ImportIssue, ImportLedger
from accounts.selectors import accounts_data_changed
from accounts.services.import_review import import_change_counts_record, import_territory_moves_record
from salesplan.models import JobRun, User
from salesplan.services.jobs import JobError, JobInterrupted, job_progress, job_staging_prefix, job_start

__all__ = [
    "ImportFileError",
    "account_import_create",
    "account_import_file_info",
    "account_import_files_delete",
    "account_import_interrupted",
    "account_import_path",
    "account_import_preview",
    "account_import_read_interrupted",
    "account_import_reading_set",
    "account_import_start",
    "account_import_start_again",
    "account_import_workbook_read",
    "account_import_workbook_read_start",
    "accounts_import_run",
    "mapping_clean",
    "mapping_from_headers",
    "mapping_load",
]


def account_import_create(*, file: File, name: str, user: User | None, read_now: bool = False) -> AccountImport:
    """Store an uploaded file and read its header; refuse a file that cannot be imported (nothing kept).

    A workbook is read once into its staged CSV copy: here if it is small or ``read_now`` (the shell
    command), else by a background job the import page follows; meanwhile the import has no header.
    """
    size = file.size or 0
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise ImportFileError(
            f"The file is {size / 1e6:,.1f} MB; the limit is {limit / 1e6:,.0f} MB. Split it into smaller files, "
            "or ask your administrator to raise IMPORT_MAX_UPLOAD_BYTES."
        )
    account_import = AccountImport(created_by=user, original_name=Path(name).name[:255], size=size)
    suffix = Path(name).suffix.lower()[:6] if Path(name).suffix.lower() in {".csv", ".txt", ".tsv", ".xlsx"} else ".csv"
    account_import.file.save(f"{uuid.uuid4().hex}{suffix}", file, save=False)
    path = Path(account_import.file.path)
    try:
        account_import.file_format = file_format_detect(path, name)
        if account_import.file_format == "xlsx":
            if not read_now and workbook_open(path).reading_bytes > settings.IMPORT_XLSX_READ_INLINE_BYTES:
                return _workbook_read_later(account_import, user=user)
            info = _workbook_stage(account_import)
        else:
            info = file_inspect(path)
    except ImportFileError:
        account_import_files_delete(account_import)
        raise
    _reading_store(account_import, info)
    account_import.save()
    return account_import


def account_import_path(account_import: AccountImport) -> Path:
    """The file an import reads: the upload, or the staged CSV copy of a workbook."""
    path = Path(account_import.file.path)
    return staged_path(path) if account_import.file_format == "xlsx" else path


def account_import_files_delete(account_import: AccountImport) -> None:
    """Remove the uploaded file and, for a workbook, its staged copy (and what a stopped reading left)."""
    if not account_import.file:
        return
    staged_remove(staged_path(Path(account_import.file.path)))
    account_import.file.delete(save=False)


def _workbook_stage(account_import: AccountImport, *, progress: Callable[[int, int], None] | None = None) -> FileInfo:
    """Read the workbook into its staged copy; return the header and sample read from that copy."""
    staged = account_import_path(account_import)
    workbook_to_csv(Path(account_import.file.path), staged, max_columns=settings.IMPORT_MAX_COLUMNS, progress=progress)
    return staged_inspect(staged)


def _workbook_read_later(account_import: AccountImport, *, user: User | None) -> AccountImport:
    with transaction.atomic():
        account_import.save()
        account_import_workbook_read_start(account_import=account_import, user=user)
    return account_import


def account_import_workbook_read_start(*, account_import: AccountImport, user: User | None) -> JobRun:
    """Queue the job that reads a big workbook (once: while it runs, the same job is returned)."""
    job, _created = job_start(
        kind="accounts_import_read",
        started_by=user,
        params={"import_id": account_import.pk},
        dedupe_key=f"accounts_import_read:{account_import.pk}",
    )
    account_import.job = job
    account_import.save(update_fields=["job"])
    return job


def account_import_workbook_read(*, import_id: int, job: JobRun | None = None) -> dict[str, int]:
    """The job: read the workbook into its staged copy, then its header and the mapping guess, as an upload
    does for a CSV. A workbook that cannot be read fails the import with the reason, and its files are
    removed. A second delivery of a workbook already read does nothing."""
    account_import = AccountImport.objects.filter(pk=import_id).first()
    if account_import is None or not account_import.is_reading:  # discarded meanwhile, or read already
        return {"columns": len(account_import.headers) if account_import else 0}

    def progress(done: int, total: int) -> None:
        message = f"Reading the workbook: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB"
        job_progress(job=job, processed=min(done, total), total=max(total, 1), message=message)

    try:
        info = _workbook_stage(account_import, progress=progress)
    except Exception as exc:
        message = str(exc) if isinstance(exc, ImportFileError) else _failure_text(exc)
        account_import_files_delete(account_import)
        _import_finish(account_import, ImportCounts(), AccountImport.Status.FAILED, message)
        raise JobError(message) from exc
    _reading_store(account_import, info)
    account_import.save(update_fields=["encoding", "delimiter", "headers", "mapping"])
    return {"columns": len(info.headers), "sample_rows": len(info.sample)}


def _reading_store(account_import: AccountImport, info: FileInfo, *, default_country: str = "US") -> None:
    """How the file is read (as detected or chosen), its header, and the mapping guessed from both."""
    account_import.file_format, account_import.encoding = info.file_format, info.encoding
    account_import.delimiter, account_import.headers = info.delimiter, info.headers
    # What was detected at first is shown on the mapping screen beside what is chosen.
    detected = (account_import.mapping or {}).get("detected")
    account_import.mapping = {
        **mapping_guess(info.headers, info.sample),
        "default_country": default_country,
        "decimal": info.decimal,
        "thousands": normalize.NUMBER_STYLES[info.decimal],
        "detected": detected or {"encoding": info.encoding, "delimiter": info.delimiter, "decimal": info.decimal},
    }


def account_import_reading_set(*, account_import: AccountImport, encoding: str, delimiter: str) -> AccountImport:
    """Read an uploaded CSV again with another encoding or delimiter: its header, and a new mapping guess."""
    if account_import.file_format != "csv":
        raise ValidationError("A workbook has no encoding or separator to choose: it is read as Excel saved it.")
    name = encoding_name(encoding)
    if name not in ENCODINGS:
        raise ValidationError(f"“{encoding}” is not an encoding we can read.")
    if delimiter not in DELIMITERS:
        raise ValidationError("Columns can be separated by commas, semicolons, tabs or pipes.")
    path = Path(account_import.file.path)
    if error := encoding_error(path, name):
        raise ValidationError(error)
    try:
        info = file_inspect(path, encoding=name, delimiter=delimiter)
    except ImportFileError as exc:
        raise ValidationError(str(exc)) from exc
    _reading_store(account_import, info, default_country=account_import.mapping.get("default_country") or "US")
    account_import.save(update_fields=["file_format", "encoding", "delimiter", "headers", "mapping"])
    return account_import


def account_import_file_info(account_import: AccountImport, *, encoding: str | None = None) -> FileInfo:
    """How to read the file at :func:`account_import_path` (a workbook's staged copy is UTF-8 CSV)."""
    if account_import.file_format == "xlsx":
        return FileInfo(file_format="csv", encoding="utf-8", delimiter=",", headers=list(account_import.headers))
    return FileInfo(
        file_format=account_import.file_format,
        encoding=encoding_name(encoding or "") or account_import.encoding,
        delimiter=account_import.delimiter or ",",
        headers=list(account_import.headers),
    )


def mapping_clean(*, headers: list[str], mapping: dict[str, Any]) -> dict[str, Any]:
    """Check a mapping ({"columns": {index: field}, "units": {field: unit}, "default_country": code,
    "decimal": "." or ",", "thousands": "," or "."})."""
    columns = {str(k): v for k, v in (mapping.get("columns") or {}).items() if v}
    errors = []
    for index, field in columns.items():
        if not index.isdigit() or int(index) >= len(headers):
            errors.append(f"Column {index} does not exist in the file.")
        if field not in FIELDS_BY_KEY:
            errors.append(f"“{field}” is not an account field.")
    for field in {f for f in columns.values() if list(columns.values()).count(f) > 1}:
        names = ", ".join(f"“{headers[int(i)]}”" for i, f in columns.items() if f == field)
        errors.append(f"{FIELDS_BY_KEY[field].label} is chosen for more than one column ({names}); choose one.")
    if "name" not in columns.values():
        errors.append("Choose the column that holds the company name: every account needs one.")
    units = {k: int(v) for k, v in (mapping.get("units") or {}).items() if k in FIELDS_BY_KEY}
    if any(u not in UNITS for u in units.values()):
        errors.append("Money can be in dollars, thousands or millions.")
    country = (mapping.get("default_country") or "US").strip()
    code = country_aliases().get(country.lower())
    if code is None:
        errors.append(f"“{country}” is not a country we know (use a code such as US or CA).")
    decimal = mapping.get("decimal") or "."
    thousands = mapping.get("thousands") or normalize.NUMBER_STYLES.get(decimal)
    if decimal not in normalize.NUMBER_STYLES:
        errors.append("The decimal separator is a point (.) or a comma (,).")
    elif thousands != normalize.NUMBER_STYLES[decimal]:
        errors.append(f"With “{decimal}” as the decimal separator, thousands are grouped by "
                      f"“{normalize.NUMBER_STYLES[decimal]}”.")  # fmt: skip
    if errors:
        raise ValidationError(errors)
    return {"columns": columns, "units": units, "default_country": code, "decimal": decimal, "thousands": thousands}


def mapping_from_headers(*, headers: list[str], spec: dict[str, Any]) -> dict[str, Any]:
    """A mapping written by header name ({"columns": {"Company": "name"}}), as the shell command takes it."""
    by_name = {h.strip().lower(): str(i) for i, h in enumerate(headers)}
    columns = {}
    for header, field in (spec.get("columns") or {}).items():
        if header.strip().lower() not in by_name:
            raise ValidationError(f"The mapping names a column “{header}” that the file does not have.")
        columns[by_name[header.strip().lower()]] = field
    return {**spec, "columns": columns}


def account_import_preview(
    *, account_import: AccountImport, mapping: dict[str, Any], encoding: str | None = None, rows: int = 8
) -> dict[str, Any]:
    """The first rows as they will be stored (the same rules as the import), with problems marked.

    Returns the header and rows as read in ``encoding`` (the import's own by default) and whether some
    characters did not read in it (then shown as U+FFFD, and the person should choose another).
    """
    columns = {int(i): f for i, f in mapping.get("columns", {}).items() if f}
    units = {k: int(v) for k, v in mapping.get("units", {}).items()}
    decimal = mapping.get("decimal") if mapping.get("decimal") in normalize.NUMBER_STYLES else "."
    info = account_import_file_info(account_import, encoding=encoding)
    records = list(itertools.islice(file_rows(account_import_path(account_import), info, errors="replace"), rows + 1))
    readers = _preview_readers(columns.values(), units, decimal)
    preview = []
    for number, row in enumerate(records[1:], start=2):
        cells = {}
        for index, field in columns.items():
            raw = row[index] if index < len(row) else ""
            cells[field] = _preview_cell(field, raw, readers[field](raw))
        preview.append({"row": number, "cells": cells})
    headers = [h.strip() for h in records[0]] if records else []
    return {"headers": headers, "rows": preview, "replaced": any("\ufffd" in c for r in records for c in r)}


def _preview_readers(fields: Iterable[str], units: dict[str, int], decimal: str) -> dict[str, Callable[[str], Any]]:
    """How the preview reads each mapped field: the rules of the import, in Python."""
    aliases = country_aliases()
    readers: dict[str, Callable[[str], Any]] = {}
    for field in fields:
        kind = FIELDS_BY_KEY[field].kind
        unit = units.get(field, 1)
        readers[field] = {
            "money": lambda raw, unit=unit: normalize.parse_money(raw, unit, decimal=decimal),
            "count": lambda raw: normalize.parse_count(raw, decimal=decimal),
            "year": lambda raw: normalize.parse_year(raw),
            "domain": normalize.normalize_domain,
            "website": lambda raw: normalize.normalize_domain(raw) and normalize.clean_text(raw),
            "country": lambda raw: aliases.get(normalize.key(raw) or ""),
            "lifecycle": lambda raw: LIFECYCLE_ALIASES.get(normalize.key(raw) or ""),
            "ownership": lambda raw: OWNERSHIP_ALIASES.get(normalize.key(raw) or ""),
        }.get(kind, normalize.clean_text)
    if "owner" in readers:
        owners = active_user_keys()
        readers["owner"] = lambda raw: owners.get(normalize.key(raw) or "")
    return readers


def _preview_cell(field: str, raw: str, value: Any) -> dict[str, Any]:
    spec = FIELDS_BY_KEY[field]
    kind = "name" if field == "name" else spec.kind
    found: Problem | None = cell_problem(field=field, kind=kind, raw=raw, value=value, max_length=spec.max_length)
    if found is not None and found.kind == WARNING:
        value = None  # the import leaves it unknown
    return {
        "value": value,
        "raw": raw,
        "kind": spec.kind,
        "problem": found.reason if found else "",
        "severity": found.kind if found else "",
        "refused": bool(found and found.kind == ERROR),
    }


def account_import_start(
    *,
    account_import: AccountImport,
    mapping: dict[str, Any],
    mode: str,
    user: User | None,
    encoding: str | None = None,
) -> JobRun:
    """Save the confirmed mapping (and the encoding chosen, if another) and queue the import job (once:
    a second click returns the same job)."""
    changed = encoding and encoding_name(encoding) != encoding_name(account_import.encoding or "utf-8")
    if changed and account_import.file_format == "csv":
        _encoding_change(account_import, encoding)
    cleaned = mapping_clean(headers=list(account_import.headers), mapping=mapping)
    with transaction.atomic():
        account_import.mapping, account_import.mode = cleaned, mode
        account_import.status = AccountImport.Status.QUEUED
        job, _created = job_start(
            kind="accounts_import",
            started_by=user,
            params={"import_id": account_import.pk},
            dedupe_key=f"accounts_import:{account_import.pk}",
        )
        account_import.job = job
        account_import.save(update_fields=["mapping", "mode", "status", "job", "encoding", "headers"])
    return job


def account_import_start_again(*, job: JobRun, user: User | None) -> JobRun:
    """What "Run again" does for an interrupted import: the same file, mapping and mode, queued at once."""
    account_import = AccountImport.objects.get(pk=job.params["import_id"])
    return account_import_start(
        account_import=account_import, mapping=account_import.mapping, mode=account_import.mode, user=user
    )


def account_import_interrupted(job: JobRun) -> str:
    """The import's job was interrupted (its worker died): record it on the import, which can be run again,
    and say what became of the accounts. The merge is one transaction, so either it committed (the ledger
    it writes says so) or nothing was imported; then the problems a partial check recorded go too."""
    account_import = AccountImport.objects.filter(pk=job.params.get("import_id")).first()
    if account_import is None:
        return "Nothing was imported."
    since = job.started_at or job.created_at
    if ImportLedger.objects.filter(account_import=account_import, written_at__gte=since).exists():
        kept = "The accounts were saved before it stopped, but the import's report was not finished."
    else:
        kept = "Nothing was imported: the accounts are as they were."
        ImportIssue.objects.filter(account_import=account_import).delete()
    AccountImport.objects.filter(pk=account_import.pk, job=job).update(
        status=AccountImport.Status.FAILED,
        message=f"The import was interrupted: its worker stopped. {kept} Run it again from this page.",
        finished_at=timezone.now(),
    )
    return kept


def account_import_read_interrupted(job: JobRun) -> str:
    """Reading a workbook was interrupted (its worker died): remove what the reading wrote half-way beside the
    upload; the upload itself stays, so the import page can read it again or discard it."""
    account_import = AccountImport.objects.filter(pk=job.params.get("import_id")).first()
    if account_import is None or not account_import.file:
        return "Nothing was read."
    staged = staged_path(Path(account_import.file.path))
    if not staged.exists():  # renamed into place only once whole: a copy that is there was read to the end
        staged_remove(staged)
    return "The workbook was not read: the uploaded file is kept, read it again from the import page."


def _encoding_change(account_import: AccountImport, encoding: str) -> None:
    """Read the header again in the encoding chosen; refuse one that does not read the whole file."""
    name = encoding_name(encoding)
    path = Path(account_import.file.path)
    if name not in ENCODINGS:
        raise ValidationError(f"“{encoding}” is not an encoding we can read.")
    if error := encoding_error(path, name):
        raise ValidationError(error)
    info = account_import_file_info(account_import, encoding=name)
    headers = [h.strip() for h in next(iter(file_rows(path, info)), [])]
    if len(headers) != len(account_import.headers):
        raise ValidationError(
            f"Read as {ENCODINGS[name]}, the file has {len(headers)} columns instead of "
            f"{len(account_import.headers)}: choose another encoding, or read the file again with it."
        )
    account_import.encoding, account_import.headers = name, headers


def accounts_import_run(*, import_id: int, job: JobRun | None = None, dry_run: bool = False) -> dict[str, int]:
    """Run an import end to end. All-or-nothing refuses the whole file on any invalid row."""
    account_import = AccountImport.objects.get(pk=import_id)
    AccountImport.objects.filter(pk=import_id).update(status=AccountImport.Status.RUNNING)
    pipeline = ImportPipeline(
        account_import,
        path=account_import_path(account_import),
        info=account_import_file_info(account_import),
        progress=lambda pct, message: job_progress(job=job, processed=pct, total=100, message=message),
        after_merge=lambda counts: _changes_judge(account_import, counts),
        staging_prefix=job_staging_prefix(job) if job is not None else "",
    )
    try:
        counts = pipeline.run(skip_invalid=account_import.mode == AccountImport.Mode.SKIP_INVALID, dry_run=dry_run)
    except JobInterrupted:
        raise  # the watchdog has recorded how the import ended
    except Exception as exc:
        _import_finish(account_import, ImportCounts(), AccountImport.Status.FAILED, _failure_text(exc))
        raise JobError(_failure_text(exc)) from exc
    refused = counts.rejected and account_import.mode == AccountImport.Mode.ALL_OR_NOTHING
    if refused:
        problems = ImportIssue.objects.filter(account_import=account_import, kind=ImportIssue.Kind.ERROR).count()
        message = (
            f"{problems:,} problem{'s' if problems != 1 else ''} in {counts.rejected:,} of {counts.rows:,} "
            "rows, so nothing was imported. Fix them in the file and import it again, or choose to import "
            "the valid rows only."
        )
        _import_finish(account_import, counts, AccountImport.Status.REFUSED, message)
        raise JobError(message)
    moves = counts.territory_moves
    message = _import_message(counts, moves, dry_run=dry_run)
    # Values that could not be read (the rows imported without them); possible duplicates are counted apart.
    warnings = (
        ImportIssue.objects.filter(account_import=account_import, kind=ImportIssue.Kind.WARNING)
        .exclude(column="")
        .count()
    )
    if warnings:
        plural = "s were" if warnings != 1 else " was"
        message += f" {warnings:,} value{plural} left empty, their rows imported without them: see the warnings."
    _import_finish(account_import, counts, AccountImport.Status.DONE, message)
    if counts.created or counts.updated:
        accounts_data_changed()
    result = {
        "rows_in_file": counts.rows,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "rejected": counts.rejected,
        "duplicates_skipped": counts.duplicates,
        "possible_duplicates": counts.possible_duplicates,
    }
    if moves is not None:
        result["territory_moves"] = moves
    return result


def _changes_judge(account_import: AccountImport, counts: ImportCounts) -> None:
    """Inside the merge's transaction: which changed accounts the published design moves, and how many changed
    each field. Written with the merge or not at all, so that no merge stands without them."""
    if counts.updated:
        counts.territory_moves = import_territory_moves_record(account_import=account_import)
        import_change_counts_record(account_import=account_import)


def _import_message(counts: ImportCounts, moves: int | None, *, dry_run: bool) -> str:
    done = "Checked (dry run, nothing saved)" if dry_run else "Imported"
    message = (
        f"{done}: {counts.created:,} created, {counts.updated:,} updated, {counts.unchanged:,} unchanged, "
        f"{counts.rejected:,} rejected, {counts.duplicates:,} duplicates skipped"
    )
    if counts.possible_duplicates:
        n = counts.possible_duplicates
        message += f", {n:,} possible duplicate{'s' if n != 1 else ''} to review"
    if moves:
        message += f". {moves:,} updated account{'s' if moves != 1 else ''} will change territory"
    return message + "."


def _failure_text(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "could not be decoded" in text or "invalid byte sequence" in text:
        return "The file's text encoding changed part-way through; save it as UTF-8 CSV and import it again."
    return f"The import stopped: {text}. Nothing was imported."


def _import_finish(account_import: AccountImport, counts: ImportCounts, status: str, message: str) -> None:
    AccountImport.objects.filter(pk=account_import.pk).update(
        status=status,
        message=message,
        rows_total=counts.rows,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=counts.rejected,
        duplicates=counts.duplicates,
        finished_at=timezone.now(),
    )


def mapping_load(path: Path) -> dict[str, Any]:
    """Read a mapping file for the shell command (JSON, columns by header name)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"Cannot read the mapping file {path}: {exc}") from exc
