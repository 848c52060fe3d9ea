"""Spreadsheet-safe exports shared by every list."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Neutralize formula injection in text cells; numbers (and None) pass through untouched.

    Every cell of every export goes through here, header cells included: a column or criterion name is
    text a user typed or a file brought, like any other."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def _header_safe(header: Sequence[Any]) -> list[str]:
    # A header names columns: always text, so a number-like name stays a name.
    return [spreadsheet_safe("" if name is None else str(name)) for name in header]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM, so Excel opens UTF-8 names correctly
    yield writer.writerow(_header_safe(header))
    for row in rows:
        yield writer.writerow(["" if v is None else spreadsheet_safe(v) for v in row])


def csv_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """Stream a CSV download: memory stays flat however many rows there are."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_write(*, target: Any, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Export") -> int:
    """Write rows to an .xlsx file in constant memory; text is formula-safe, numbers stay numbers.

    Returns the number of data rows written.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header_cells = []
    for name in _header_safe(header):
        cell = WriteOnlyCell(sheet, value=name)
        # openpyxl reads a string starting with "=" as a formula; a header cell is text whatever it holds.
        cell.data_type = "s"
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        # openpyxl would store a string starting with "=" as a formula: neutralize it first.
        sheet.append([spreadsheet_safe(v) if isinstance(v, str) else v for v in row])
        count += 1
    workbook.save(target)
    return count
