"""Reading an .xlsx workbook once, streaming, into a UTF-8 CSV: the staged copy that the mapping screen,
its previews and the import read in place of the workbook.

Why not openpyxl: even read-only, it keeps the whole shared-strings table (the workbook's text) in
memory, and every row it has read stays attached to the XML tree as an empty element. A 42.6 MB upload
whose text table is 232 MB took a web process to 1.77 GB. Here memory stays bounded whatever the
workbook holds:

- the XML is read by expat handlers, with no tree: memory holds one row (or one string) at a time;
- the text table is streamed to two files next to the upload (the UTF-8 text, and where each string
  ends) and each string is read back from disk when a cell asks for it;
- what one row or one cell may hold is capped (``MAX_ROW_CHARACTERS``, ``MAX_CELL_CHARACTERS``, Excel's
  16,384 columns), elements nest at most ``MAX_DEPTH`` deep, and a document type declaration (where XML
  bombs define their entities) is refused.

Cell values are written as openpyxl's ``values_only`` rows read them (numbers as numbers, whole numbers
without ".0", dates by the cell's number format, errors such as #N/A as text), so a workbook imports as
it did. Rows keep their numbers (a row the sheet skips is a blank record), and the header row is widened
to the last column that holds a value anywhere, so no cell is left without a column.
"""

from __future__ import annotations

import csv
import os
import posixpath
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

from accounts.importing.files import ImportFileError

MAX_ROW_CHARACTERS = 16 * 1024 * 1024  # text of one row (500 columns of Excel's 32,767 characters fit)
# Text of one cell: what the CSV reader takes in one field (the staged copy is read as CSV); Excel's
# cells hold at most 32,767 characters.
MAX_CELL_CHARACTERS = csv.field_size_limit()
MAX_DEPTH = 32  # a sheet nests 8 deep at most (worksheet, sheetData, row, c, is, r, rPr, b)
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
_CHUNK = 256 * 1024
_PROGRESS_EVERY = 8 * 1024 * 1024  # bytes of XML between two progress reports
_CACHED_STRINGS, _CACHED_BYTES = 65_536, 256  # at most 16 MB of short strings kept in memory

Progress = Callable[[int], None]


def _damaged(detail: str) -> ImportFileError:
    return ImportFileError(
        f"This workbook is damaged and cannot be read ({detail}). Open it in Excel, save it again and upload "
        "it, or save it as CSV and upload that."
    )


def _letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_COLUMN_NUMBERS = {_letters(n): n for n in range(1, EXCEL_MAX_COLUMNS + 1)}


# --- Streaming XML ----------------------------------------------------------------------------------


class _Handler:
    """What reads one part: expat calls ``start``/``end`` for each element (by its name without the
    namespace) and ``text`` with character data. Counts nesting, which it caps."""

    def __init__(self) -> None:
        self.depth = 0
        self._names: dict[str, str] = {}

    def local(self, name: str) -> str:
        """``name`` as expat gives it ("<namespace> <name>") without its namespace: the namespace of
        transitional and strict workbooks differ, the names do not."""
        local = self._names.get(name)
        if local is None:
            local = self._names[name] = name.rpartition(" ")[2]
        return local

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _damaged(f"its elements nest more than {MAX_DEPTH} deep")
        self.start(self.local(name), attrs)

    def on_end(self, name: str) -> None:
        self.depth -= 1
        self.end(self._names[name])

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _parse(archive: zipfile.ZipFile, name: str, handler: _Handler, progress: Progress | None = None) -> None:
    """Stream the part ``name`` through ``handler``; refuse XML that does not parse or that declares a
    document type. ``progress`` is told how many bytes of XML were read since it last was."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    parser.StartElementHandler = handler.on_start
    parser.EndElementHandler = handler.on_end
    parser.CharacterDataHandler = handler.text

    def refuse(*args: object) -> None:
        raise _damaged(f"its part {name} declares a document type, which workbooks never do")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    unreported = 0
    try:
        with archive.open(name) as source:
            while chunk := _read(source, name):
                parser.Parse(chunk, False)
                unreported += len(chunk)
                if progress is not None and unreported >= _PROGRESS_EVERY:
                    progress(unreported)
                    unreported = 0
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _damaged(f"its part {name} is not valid XML: {expat.errors.messages[exc.code]} at line "
                       f"{exc.lineno:,}, column {exc.offset + 1:,}") from None  # fmt: skip
    if progress is not None:
        progress(unreported)


def _read(source: IO[bytes], name: str) -> bytes:
    try:
        return source.read(_CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _damaged(f"its part {name} cannot be unpacked: {exc}") from None


# --- The parts of a workbook ------------------------------------------------------------------------


@dataclass(frozen=True)
class Workbook:
    """Where the parts of a workbook that are read live in its zip."""

    sheet: str  # the first worksheet
    strings: str | None  # the shared-strings table (the text of its cells), if any
    styles: str | None
    date1904: bool  # dates count from 1904 (old Excel for Mac) instead of 1900
    reading_bytes: int  # uncompressed bytes of the sheet and the text table: what reading takes time over


class _Relationships(_Handler):
    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder, self.found = folder, {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        target = attrs.get("Target")
        if name != "Relationship" or not target or attrs.get("TargetMode") == "External":
            return
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(self.folder, target))
        self.found[attrs.get("Id", "")] = (attrs.get("Type", "").rpartition("/")[2], part)


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, part name of the target)."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in archive.NameToInfo:
        return {}
    handler = _Relationships(folder)
    _parse(archive, rels, handler)
    return handler.found


class _SheetList(_Handler):
    def __init__(self) -> None:
        super().__init__()
        self.sheets: list[str] = []  # relationship ids, in the workbook's order
        self.date1904 = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "sheet":
            self.sheets.append(next((v for k, v in attrs.items() if k.endswith(" id")), ""))
        elif name == "workbookPr":
            self.date1904 = attrs.get("date1904", "").lower() in {"1", "true"}


def workbook_open(path: Path) -> Workbook:
    """Find the first sheet and the parts it needs; refuse a file that is not a readable workbook or that
    would expand far past its size (a zip bomb). Reads only the small parts: quick on any file."""
    from django.conf import settings

    try:
        with zipfile.ZipFile(path) as archive:
            _check_expansion(archive, settings.IMPORT_MAX_XLSX_EXPANDED_BYTES)
            return _workbook_parts(archive)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise _damaged(f"the zip file is broken: {exc}") from None


def _check_expansion(archive: zipfile.ZipFile, limit: int) -> None:
    infos = archive.infolist()
    expanded = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if expanded > limit or expanded / packed > 200:
        raise ImportFileError(
            f"This workbook expands to {expanded / 1e6:,.0f} MB, far more than a spreadsheet of its size should "
            f"(limit {limit / 1e6:,.0f} MB). It was refused for safety; export it as CSV instead."
        )


def _workbook_parts(archive: zipfile.ZipFile) -> Workbook:
    package = _relationships(archive, "")
    main = next((part for kind, part in package.values() if kind == "officeDocument"), "xl/workbook.xml")
    if main not in archive.NameToInfo:
        raise ImportFileError("This .xlsx file is not an Excel workbook. Save it from Excel or upload a CSV.")
    related = _relationships(archive, main)
    listing = _SheetList()
    _parse(archive, main, listing)
    # The first worksheet: chart sheets hold no rows.
    sheet = next((related[r][1] for r in listing.sheets if related.get(r, ("",))[0] == "worksheet"), None)
    if sheet is None or sheet not in archive.NameToInfo:
        raise _damaged("it has no worksheet")
    by_kind = {kind: part for kind, part in related.values() if part in archive.NameToInfo}
    strings = by_kind.get("sharedStrings")
    return Workbook(
        sheet=sheet,
        strings=strings,
        styles=by_kind.get("styles"),
        date1904=listing.date1904,
        reading_bytes=sum(archive.getinfo(part).file_size for part in (sheet, strings) if part),
    )


class _Styles(_Handler):
    def __init__(self) -> None:
        super().__init__()
        self.custom: dict[int, str] = {}
        self.formats: list[int] = []  # the number format of each cell style, in order
        self._in_cell_styles = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "numFmt":
            self.custom[_integer(attrs.get("numFmtId"), "a number format")] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            self._in_cell_styles = True
        elif name == "xf" and self._in_cell_styles:
            self.formats.append(_integer(attrs.get("numFmtId", "0"), "a cell style"))

    def end(self, name: str) -> None:
        if name == "cellXfs":
            self._in_cell_styles = False


def _date_styles(archive: zipfile.ZipFile, styles: str | None) -> tuple[set[int], set[int]]:
    """The cell styles whose number format shows a date or a time, and those that show a duration."""
    if styles is None:
        return set(), set()
    handler = _Styles()
    _parse(archive, styles, handler)
    codes = [handler.custom.get(number) or builtin_format_code(number) for number in handler.formats]
    dates = {i for i, code in enumerate(codes) if is_date_format(code)}
    return dates, {i for i, code in enumerate(codes) if is_timedelta_format(code)}


def _integer(text: str | None, what: str) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise _damaged(f"{what} has the number “{(text or '')[:20]}”") from None


# --- The text table, on disk ------------------------------------------------------------------------


class _SharedStrings(_Handler):
    """The workbook's text table in two files: the UTF-8 text of every string, one after the other, and
    the offset where each ends (8 bytes each, after a leading 0). Memory holds one string at a time."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        folder.mkdir(parents=True, exist_ok=True)
        self._text = (folder / "text").open("w+b")
        self._ends = (folder / "ends").open("w+b")
        self._ends.write(struct.pack("<Q", 0))
        self.count = 0
        self._position = 0
        self._pending: list[int] = []
        self._parts: list[str] = []
        self._length = 0
        self._collect = self._phonetic = False
        self._cache: dict[int, str] = {}  # short strings read back lately: the names a column repeats

    # Reading <si> elements: the text of <t> directly inside, or inside runs <r>, not of a phonetic <rPh>.
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "t":
            self._collect = not self._phonetic
        elif name == "si":
            self._parts, self._length = [], 0
        elif name == "rPh":
            self._phonetic = True

    def end(self, name: str) -> None:
        if name == "t":
            self._collect = False
        elif name == "si":
            self._store("".join(self._parts).replace("x005F_", ""))  # as openpyxl reads it
        elif name == "rPh":
            self._phonetic = False

    def text(self, data: str) -> None:
        if self._collect:
            self._parts.append(data)
            self._length += len(data)
            if self._length > MAX_CELL_CHARACTERS:
                raise _too_much(f"Text {self.count + 1:,} of this workbook's text table", MAX_CELL_CHARACTERS)

    def _store(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._text.write(data)
        self._position += len(data)
        self._pending.append(self._position)
        self.count += 1
        if len(self._pending) >= 65_536:
            self.flush()

    def flush(self) -> None:
        self._ends.write(struct.pack(f"<{len(self._pending)}Q", *self._pending))
        self._pending = []
        self._text.flush()
        self._ends.flush()

    def get(self, index: int) -> str:
        text = self._cache.get(index)
        if text is not None:
            return text
        if not 0 <= index < self.count:
            raise IndexError(index)
        start, end = struct.unpack("<QQ", _pread(self._ends, 16, 8 * index))
        text = _pread(self._text, end - start, start).decode("utf-8", "surrogatepass")
        if end - start <= _CACHED_BYTES:
            if len(self._cache) >= _CACHED_STRINGS:
                self._cache.clear()
            self._cache[index] = text
        return text

    def close(self) -> None:
        self._text.close()
        self._ends.close()


def _pread(handle: IO[bytes], size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(handle.fileno(), size, offset)
    handle.seek(offset)  # Windows
    return handle.read(size)


def _too_much(where: str, limit: int) -> ImportFileError:
    return ImportFileError(
        f"{where} holds more than {limit:,} characters, more than salesplan reads in one place (an Excel cell "
        "holds at most 32,767). Remove what does not belong there, or save the sheet as CSV and upload that."
    )


# --- The sheet --------------------------------------------------------------------------------------


class _Sheet(_Handler):
    """Reads each row's cells into the text openpyxl's ``values_only`` reading gives them, and hands each
    row (its number and {column: text}) to ``row_done``."""

    def __init__(
        self,
        *,
        strings: _SharedStrings | None,
        dates: set[int],
        durations: set[int],
        epoch: Any,
        row_done: Callable[[int, dict[int, str]], None],
    ) -> None:
        super().__init__()
        self.strings, self.dates, self.durations, self.epoch = strings, dates, durations, epoch
        self.row_done = row_done
        self.number = 0  # of the row being read
        self.cells: dict[int, str] = {}
        self.column = 0
        self.row_characters = 0
        self.kind, self.style, self.reference = "n", "", None
        self.parts: list[str] = []
        self.collect = self.inline = self.phonetic = False

    # expat calls these directly (five calls a cell: the hot path of a big workbook).
    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _damaged(f"its elements nest more than {MAX_DEPTH} deep")
        name = self._names.get(name) or self.local(name)
        if name == "c":
            reference = attrs.get("r")
            self.column = self._column(reference) if reference else self.column + 1
            self.reference = reference
            self.kind, self.style, self.parts = attrs.get("t", "n"), attrs.get("s", ""), []
        elif name == "v":
            self.collect = self.kind != "inlineStr"
        elif name == "t":
            self.collect = self.inline and not self.phonetic
        elif name == "row":
            self.number = _row_number(attrs.get("r"), self.number + 1)
            self.cells, self.column, self.row_characters = {}, 0, 0
        elif name == "is":
            self.inline = True
        elif name == "rPh":
            self.phonetic = True

    def on_end(self, name: str) -> None:
        self.depth -= 1
        name = self._names[name]
        if name == "v" or name == "t":
            self.collect = False
        elif name == "c":
            value = self._value("".join(self.parts)) if self.parts else ""
            if len(value) > MAX_CELL_CHARACTERS:
                raise _too_much(f"Cell {self._where()} of this workbook", MAX_CELL_CHARACTERS)
            if value:
                if self.column > EXCEL_MAX_COLUMNS:
                    raise _damaged(f"row {self.number:,} has more than {EXCEL_MAX_COLUMNS:,} cells")
                self.cells[self.column] = value
        elif name == "row":
            self.row_done(self.number, self.cells)
        elif name == "is":
            self.inline = False
        elif name == "rPh":
            self.phonetic = False

    def text(self, data: str) -> None:
        if self.collect:
            self.parts.append(data)
            self.row_characters += len(data)
            if self.row_characters > MAX_ROW_CHARACTERS:
                raise _too_much(f"Row {self.number:,} of this workbook", MAX_ROW_CHARACTERS)

    @staticmethod
    def _column(reference: str) -> int:
        number = _COLUMN_NUMBERS.get(reference.rstrip("0123456789"))
        if number is None:
            raise _damaged(f"a cell is at “{reference[:20]}”, which is not a cell of a sheet")
        return number

    def _where(self) -> str:
        return self.reference or f"{_letters(min(self.column, EXCEL_MAX_COLUMNS))}{self.number}"

    def _value(self, raw: str) -> str:
        kind = self.kind
        try:
            if kind == "n":
                style = int(self.style) if self.style else 0
                return self._date(raw, style) if style in self.dates else _number(raw)
            if kind == "s":
                if self.strings is None:
                    raise IndexError(raw)
                return self.strings.get(int(raw))
            if kind == "b":
                return str(bool(int(raw)))
            if kind == "d":
                return str(from_ISO8601(raw))
        except IndexError:
            raise _damaged(f"cell {self._where()} refers to text {raw[:20]}, which its text table lacks") from None
        except ValueError:
            raise _damaged(f"cell {self._where()} holds “{raw[:20]}”, which is not a value of its type") from None
        return raw  # inline text, the text of a formula ("str"), an error such as #N/A ("e")

    def _date(self, raw: str, style: int) -> str:
        try:
            return str(from_excel(_cast(raw), self.epoch, timedelta=style in self.durations))
        except (OverflowError, ValueError):
            return "#VALUE!"  # a serial number outside the dates Excel has: openpyxl calls it an error


def _row_number(text: str | None, expected: int) -> int:
    if text is None:
        return expected
    number = _integer(text, "a row")
    if not 1 <= number <= EXCEL_MAX_ROWS:
        raise _damaged(f"it has a row numbered {number:,}; a sheet has rows 1 to {EXCEL_MAX_ROWS:,}")
    return max(number, expected)  # a row out of order is read where it stands


def _cast(raw: str) -> int | float:
    return float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)


def _number(raw: str) -> str:
    if raw.isdigit() and (raw[0] != "0" or raw == "0"):
        return raw  # the usual case, already as openpyxl writes it
    value = _cast(raw)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # whole numbers that Excel stores as floats come back as "2015", not "2015.0"
    return str(value)


class _Records:
    """Writes the rows after the first as CSV records (a row the sheet skips as a blank one, so that each
    keeps its number); keeps the first (the header) and the width of the widest."""

    def __init__(self, out: IO[str], max_columns: int) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        self.max_columns = max_columns
        self.header: list[str] = []
        self.width = 0
        self.last = 0  # the number of the last row written

    def add(self, number: int, cells: dict[int, str]) -> None:
        filled = [column for column, text in cells.items() if text.strip()]
        last = max(filled, default=0)
        if last > self.max_columns:
            raise ImportFileError(
                f"Row {number:,} of this workbook has a value in column {_letters(last)} (column {last:,}); "
                f"salesplan imports up to {self.max_columns:,} columns. Delete the columns you do not need and "
                "upload it again."
            )
        record = [""] * last
        for column, text in cells.items():
            if column <= last:
                record[column - 1] = text
        self.width = max(self.width, last)
        if number == 1:
            self.header = record
        else:
            if number > max(self.last + 1, 2):
                self.writer.writerows([[]] * (number - max(self.last + 1, 2)))
            self.writer.writerow(record)
        self.last = number


def workbook_to_csv(path: Path, dest: Path, *, max_columns: int, progress: Progress | None = None) -> int:
    """Write the first sheet of the workbook at ``path`` to ``dest`` as UTF-8 CSV, one record per row of
    the sheet from row 1; return the number of records. ``progress(done, total)`` is told how many bytes
    of XML it has read. Refuses (ImportFileError, ``dest`` not written) a damaged workbook, one with more
    in a row or a string than the limits above, and one with a value beyond column ``max_columns``.
    Works next to ``dest`` (``dest`` + ".strings/", ".body", ".part") and removes what it wrote there.
    """
    workbook = workbook_open(path)
    folder = dest.with_name(dest.name + ".strings")
    body, part = dest.with_name(dest.name + ".body"), dest.with_name(dest.name + ".part")
    strings = None
    done = 0

    def advance(read: int) -> None:
        nonlocal done
        done += read
        if progress is not None:
            progress(done, workbook.reading_bytes)

    try:
        with zipfile.ZipFile(path) as archive:
            dates, durations = _date_styles(archive, workbook.styles)
            if workbook.strings:
                strings = _SharedStrings(folder)
                _parse(archive, workbook.strings, strings, advance)
                strings.flush()
            epoch = CALENDAR_MAC_1904 if workbook.date1904 else WINDOWS_EPOCH
            with body.open("w", encoding="utf-8", newline="") as out:
                records = _Records(out, max_columns)
                sheet = _Sheet(strings=strings, dates=dates, durations=durations, epoch=epoch, row_done=records.add)
                _parse(archive, workbook.sheet, sheet, advance)
        _assemble(part, records, body)
        part.replace(dest)
        return max(records.last, 1)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _damaged(f"the zip file is broken: {exc}") from None
    finally:
        if strings is not None:
            strings.close()
        shutil.rmtree(folder, ignore_errors=True)
        body.unlink(missing_ok=True)
        part.unlink(missing_ok=True)


def _assemble(part: Path, records: _Records, body: Path) -> None:
    """The staged copy: the header widened to the widest row, then the other rows as written."""
    with part.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerow(records.header + [""] * (records.width - len(records.header)))
        with body.open(encoding="utf-8", newline="") as rest:
            shutil.copyfileobj(rest, out, 1024 * 1024)


def staged_path(upload: Path) -> Path:
    """Where the staged CSV copy of the workbook at ``upload`` lives: next to it."""
    return upload.with_name(upload.name + ".csv")


def staged_remove(dest: Path) -> None:
    """Remove a staged copy and whatever a reading stopped half-way (its worker killed) left beside it."""
    shutil.rmtree(dest.with_name(dest.name + ".strings"), ignore_errors=True)
    for leftover in (dest, dest.with_name(dest.name + ".body"), dest.with_name(dest.name + ".part")):
        leftover.unlink(missing_ok=True)
