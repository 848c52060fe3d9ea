"""Reading uploaded spreadsheets safely: format, encoding, delimiter, header, rows, and bad-file checks.

Any real-world CSV (comma, semicolon or tab; UTF-8 with or without BOM, or Windows-1252/Latin-1; LF,
CRLF or bare CR; quoted fields with embedded newlines) or an XLSX workbook (first sheet). Every refusal
is an ``ImportFileError`` whose message is written for the person who uploaded the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

_SNIFF_BYTES = 256 * 1024
_CHUNK = 1024 * 1024


class ImportFileError(Exception):
    """The file cannot be imported; the message says why and what to do."""


@dataclass
class FileInfo:
    file_format: str  # "csv" or "xlsx"
    encoding: str = ""  # Python codec name ("utf-8-sig", "cp1252", "latin-1")
    delimiter: str = ","
    headers: list[str] = field(default_factory=list)


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.02


def _detect_encoding(path: Path) -> str:
    """UTF-8 if the whole file decodes as UTF-8 (checked in chunks); else Windows-1252, else Latin-1."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            handle.seek(0)
            cp1252 = codecs.getincrementaldecoder("cp1252")()
            try:
                while chunk := handle.read(_CHUNK):
                    cp1252.decode(chunk)
            except UnicodeDecodeError:
                return "latin-1"
            return "cp1252"
    with path.open("rb") as handle:
        return "utf-8-sig" if handle.read(3) == codecs.BOM_UTF8 else "utf-8"


def _sniff_delimiter(sample: str) -> str:
    first_line = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in ",;\t|"}
        return max(counts, key=counts.get) if max(counts.values()) else ","


def _check_xlsx(path: Path) -> None:
    """Refuse a workbook that is not one, or that would expand into far more than it weighs (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise ImportFileError("This .xlsx file is not an Excel workbook. Save it from Excel or upload a CSV.")
            expanded = sum(info.file_size for info in archive.infolist())
            packed = sum(info.compress_size for info in archive.infolist()) or 1
    except zipfile.BadZipFile:
        raise ImportFileError(
            "This .xlsx file is damaged or not an Excel workbook. Save it again or upload a CSV."
        ) from None
    limit = settings.IMPORT_MAX_XLSX_EXPANDED_BYTES
    if expanded > limit or expanded / packed > 200:
        raise ImportFileError(
            f"This workbook expands to {expanded / 1e6:,.0f} MB, far more than a spreadsheet of its size should "
            f"(limit {limit / 1e6:,.0f} MB). It was refused for safety; export it as CSV instead."
        )


def file_inspect(path: Path, original_name: str) -> FileInfo:
    """Work out how to read the file and read its header; refuse files that cannot be imported."""
    size = path.stat().st_size
    if size == 0:
        raise ImportFileError("The file is empty.")
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    suffix = Path(original_name).suffix.lower()
    if head.startswith(b"PK\x03\x04") or suffix in {".xlsx", ".xlsm"}:
        if not head.startswith(b"PK\x03\x04"):
            raise ImportFileError(
                "This file is named .xlsx but is not an Excel workbook. Upload the real workbook or a CSV."
            )
        _check_xlsx(path)
        info = FileInfo(file_format="xlsx")
        info.headers = next(iter(_xlsx_rows(path)), [])
    else:
        if suffix in {".xls"}:
            raise ImportFileError(
                "Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV and upload that."
            )
        if _looks_binary(head):
            raise ImportFileError(
                "This does not look like a CSV file: it contains binary data. Export the sheet from your spreadsheet "
                "as CSV (or upload the .xlsx workbook)."
            )
        encoding = _detect_encoding(path)
        sample = head.decode(encoding, errors="replace")
        info = FileInfo(file_format="csv", encoding=encoding, delimiter=_sniff_delimiter(sample))
        info.headers = next(iter(csv_rows(path, info)), [])
    info.headers = [h.strip() for h in info.headers]
    if not any(info.headers):
        raise ImportFileError("The first row is empty: the file needs a header row naming its columns.")
    return info


def csv_rows(path: Path, info: FileInfo) -> Iterator[list[str]]:
    """Every record of a CSV, header included, streamed (quoted newlines, any line ending)."""
    with path.open("r", encoding=info.encoding, newline="") as handle:
        yield from csv.reader(handle, delimiter=info.delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield ["" if value is None else _xlsx_text(value) for value in row]
    finally:
        workbook.close()


def _xlsx_text(value: object) -> str:
    # Whole numbers that Excel stores as floats come back as "2015", not "2015.0".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def file_rows(path: Path, info: FileInfo) -> Iterator[list[str]]:
    """Every record of the file, header included, as lists of strings."""
    return _xlsx_rows(path) if info.file_format == "xlsx" else csv_rows(path, info)


def numbered_rows(rows: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    """Data records as [row number, cell 0 … cell width-1, extra]: blank records are skipped but still
    counted, short records padded, and cells beyond the header joined into ``extra`` to be reported."""
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        extra = "\x1f".join(c for c in row[width:] if c.strip())
        yield [str(number), *row[:width], extra]


class CsvStream(io.RawIOBase):
    """A file-like view of rows as UTF-8 CSV text, for PostgreSQL's COPY FROM STDIN."""

    def __init__(self, rows: Iterator[list[str]]) -> None:
        self._rows = rows
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        while size < 0 or len(self._buffer) < size:
            batch = list(itertools.islice(self._rows, 2_000))
            if not batch:
                break
            writer.writerows(batch)
            self._buffer += out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
