"""python manage.py import_accounts PATH [--mapping FILE] [--dry-run] [--skip-invalid]"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.importing.files import DELIMITERS, ENCODINGS
from accounts.models import AccountImport, ImportIssue
from accounts.services.imports import (
    ImportFileError,
    account_import_create,
    accounts_import_run,
    mapping_clean,
    mapping_from_headers,
    mapping_load,
)
from salesplan.services.jobs import JobError


class Command(BaseCommand):
    help = "Import accounts from a CSV or XLSX file: created / updated / unchanged / rejected counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--mapping", type=Path, help='JSON: {"columns": {"Header": "field"}, "units": {...}}')
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, save nothing.")
        parser.add_argument("--skip-invalid", action="store_true", help="Import the valid rows, report the rest.")

    def handle(
        self, *args: object, path: Path, mapping: Path | None, dry_run: bool, skip_invalid: bool, **options: object
    ) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        started = time.monotonic()
        try:
            with path.open("rb") as handle:
                account_import = account_import_create(
                    file=File(handle, name=path.name), name=path.name, user=None, read_now=True
                )
            spec = mapping_load(mapping) if mapping else account_import.mapping
            if mapping:
                spec = mapping_from_headers(headers=account_import.headers, spec=spec)
            account_import.mapping = mapping_clean(headers=account_import.headers, mapping=spec)
        except (ImportFileError, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        account_import.mode = AccountImport.Mode.SKIP_INVALID if skip_invalid else AccountImport.Mode.ALL_OR_NOTHING
        account_import.save(update_fields=["mapping", "mode"])
        self._print_mapping(account_import)
        try:
            result = accounts_import_run(import_id=account_import.pk, dry_run=dry_run)
        except JobError as exc:
            self._print_issues(account_import)
            raise CommandError(str(exc)) from exc
        self._print_issues(account_import)
        summary = ", ".join(f"{k.replace('_', ' ')}: {v:,}" for k, v in result.items())
        verb = "Checked (dry run, nothing saved)" if dry_run else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {path.name} in {time.monotonic() - started:.1f} s — {summary}."))

    def _print_mapping(self, account_import: AccountImport) -> None:
        if account_import.file_format == "csv":
            decimal = account_import.mapping.get("decimal", ".")
            self.stdout.write(
                f"  read as {ENCODINGS.get(account_import.encoding, account_import.encoding)}, "
                f"{DELIMITERS.get(account_import.delimiter, account_import.delimiter)} separated, "
                f"decimal {'comma' if decimal == ',' else 'point'}"
            )
        for index, field in sorted(account_import.mapping["columns"].items(), key=lambda item: int(item[0])):
            unit = account_import.mapping.get("units", {}).get(field)
            self.stdout.write(
                f"  {account_import.headers[int(index)]!r:>28} -> {field}" + (f" (× {unit:,})" if unit else "")
            )

    def _print_issues(self, account_import: AccountImport, limit: int = 20) -> None:
        issues = ImportIssue.objects.filter(account_import=account_import)
        for issue in issues[:limit]:
            self.stderr.write(
                f"  row {issue.row}, {issue.column or '-'}: “{issue.value}” {issue.reason} [{issue.kind}]"
            )
        if issues.count() > limit:
            self.stderr.write(f"  … and {issues.count() - limit:,} more.")
