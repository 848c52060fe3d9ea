"""Reading uploaded spreadsheets safely: format, encoding, delimiter, header, rows, and bad-file checks.

Any real-world CSV (comma, semicolon, tab or pipe; UTF-8 with or without BOM, UTF-16 with or without
BOM, Windows-1252, Latin-1 or Mac Roman; LF, CRLF or bare CR; quoted fields with embedded newlines). An
XLSX workbook is read once into a UTF-8 CSV staged copy (accounts/importing/workbook.py), which is then
read like any CSV. Every refusal is an ``ImportFileError`` whose message is written for the person who
uploaded the file. What is detected here (encoding, delimiter, number style) is shown on the mapping
screen, where the person can change it.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
from django.conf import settings

from accounts.normalize import DATE_PATTERN

_SNIFF_BYTES = 256 * 1024
_CHUNK = 1024 * 1024
SAMPLE_ROWS = 500  # records read at upload to find the delimiter and the number style, and to guess the mapping

# The encodings a person can choose on the mapping screen (Python codec names, as codecs.lookup spells
# them), and the name PostgreSQL's COPY gives those it reads itself; the others go through the Python
# reader, which hands COPY UTF-8.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with byte-order mark",
    "utf-16": "UTF-16 with byte-order mark",
    "utf-16-le": "UTF-16 little-endian, no byte-order mark",
    "utf-16-be": "UTF-16 big-endian, no byte-order mark",
    "cp1252": "Windows-1252 (Western European; Excel on Windows)",
    "iso8859-1": "Latin-1 (ISO 8859-1)",
    "mac-roman": "Mac Roman (Excel on a Mac: “CSV (Macintosh)”)",
    "iso8859-15": "Latin-9 (ISO 8859-15)",
    "cp1250": "Windows-1250 (Central European)",
}
_PG_ENCODINGS = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "cp1252": "WIN1252", "iso8859-1": "LATIN1",
                 "iso8859-15": "LATIN9", "cp1250": "WIN1250"}  # fmt: skip
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# The single-byte code pages spreadsheets write in Western Europe and the Americas, as charset-normalizer
# names them.
_SINGLE_BYTE = ["cp1252", "latin_1", "mac_roman"]


class ImportFileError(Exception):
    """The file cannot be imported; the message says why and what to do."""


@dataclass
class FileInfo:
    file_format: str  # "csv", or "xlsx" for a workbook (whose rows are read from its staged CSV copy)
    encoding: str = ""  # Python codec name ("utf-8-sig", "cp1252", "mac-roman"; see ENCODINGS)
    delimiter: str = ","
    headers: list[str] = field(default_factory=list)
    decimal: str = "."  # the decimal separator of its numbers, as detected
    sample: list[list[str]] = field(default_factory=list)  # the first data records, as read


def _looks_binary(sample: bytes | str) -> bool:
    if isinstance(sample, str):
        sample = sample.encode("utf-8", errors="replace")
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.02


# --- Encodings --------------------------------------------------------------------------------------


def encoding_name(name: str) -> str:
    """The codec's canonical name ("latin-1" -> "iso8859-1"); "" for an unknown one."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return ""


def pg_encoding(name: str) -> str | None:
    """PostgreSQL's name for an encoding its COPY reads, else None (the file is read in Python)."""
    return _PG_ENCODINGS.get(encoding_name(name))


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: text in Latin letters has a zero in every other byte; text in
    other scripts (Cyrillic, Greek, CJK) has zeros only in its line breaks, separators and digits, which
    appear in the one reading that is right."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.4 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.4 and zeros_odd < 0.05:
        return "utf-16-be"
    if b"\x00" not in sample:
        return None
    structure = {name: _csv_structure(sample.decode(name, errors="replace")) for name in ("utf-16-le", "utf-16-be")}
    likelier = max(structure, key=structure.get)
    other = structure["utf-16-be" if likelier == "utf-16-le" else "utf-16-le"]
    return likelier if structure[likelier] > 4 * other else None


def _csv_structure(text: str) -> float:
    """The share of line breaks and separators in ``text``, if it has at least two and no character
    that is not one (a wrong UTF-16 reading gives U+FFFD or control characters)."""
    if not text or any(unicodedata.category(c) in {"Cc", "Cs"} and c not in "\t\n\r" for c in text):
        return 0.0
    marks = sum(text.count(c) for c in "\n\r,;\t|")
    return marks / len(text) if marks >= 2 and "\ufffd" not in text[:-1] else 0.0


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return _utf16_without_bom(head[:4096])


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _utf8(path: Path) -> bool:
    """Does the whole file decode as UTF-8 (checked in chunks)?"""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _non_ascii_lines(path: Path, cap: int = 64 * 1024) -> bytes:
    """The file's first lines that hold a byte beyond ASCII, up to ``cap`` bytes: what the detector reads."""
    lines: list[bytes] = []
    size = 0
    with path.open("rb") as handle:
        while size < cap and (chunk := handle.read(_CHUNK)):
            end = 0
            for match in _NON_ASCII.finditer(chunk):
                if match.start() < end:
                    continue  # on the line just taken
                start = max(chunk.rfind(b"\n", 0, match.start()), chunk.rfind(b"\r", 0, match.start())) + 1
                ends = [i for i in (chunk.find(b"\n", match.start()), chunk.find(b"\r", match.start())) if i >= 0]
                end = min(ends) if ends else len(chunk)
                lines.append(chunk[start:end])
                size += end - start + 1
                if size >= cap:
                    break
    return b"\n".join(lines)


# Punctuation that sits between letters in real names: apostrophes (O’Reilly) and the middle dot (l·l).
_BETWEEN_LETTERS = set("’‘'·")
# Letters a Western list rarely holds, which one code page makes of another's common ones: Mac Roman's
# ö, û, É, ä read as Windows-1252 give š, ž, ƒ, Š; Windows-1252's ß, õ read as Mac Roman give ﬂ, ı.
_RARE_LETTERS = set("šžŠŽŸƒıﬁﬂ")


def implausibility(text: str) -> int:
    """How much ``text`` looks like another code page's bytes read wrongly: the lower, the likelier.

    Counts what real company names and places do not have: control and private-use characters; a
    capital with an accent after a lower-case letter, or inside a word before one (MiaSolŽ, MŸller:
    Mac Roman read as Windows-1252; CafÈ: the other way round); a lower-case accented letter between two
    capitals (OíReilly); a letter Western names rarely hold (Kšln); a symbol between two letters
    (Stra§e, M¸ller).
    """
    score = 0
    for match in re.finditer(r"[^\x00-\x7f]", text):
        i, char = match.start(), match.group(0)
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        category = unicodedata.category(char)
        score += 1 if char in _RARE_LETTERS else 0
        if category in {"Cc", "Co", "Cn", "Cs"}:
            score += 3
        elif category == "Lu":
            score += 2 if before.isalpha() and (before.islower() or after.islower()) else 0
        elif category == "Ll":
            score += 1 if before.isupper() and after.isupper() else 0
        elif category[0] == "L" or char in _BETWEEN_LETTERS:
            continue
        elif before.isalpha() and after.isalpha():
            score += 2
        elif category == "Sm":
            score += 1
    return score


def _single_byte(sample: bytes) -> list[str]:
    """The Western single-byte code pages that read ``sample``, likeliest first.

    charset-normalizer ranks them by how messy the decoded text is. On the short accented names of a
    company list they often tie (they differ only in what the bytes 0x80-0xFF mean), so its ranking is
    refined by :func:`implausibility`, and its order breaks what remains tied.
    """
    matches = charset_normalizer.from_bytes(sample, cp_isolation=_SINGLE_BYTE)
    ranked = [encoding_name(match.encoding) for match in matches]
    ranked += [name for name in map(encoding_name, _SINGLE_BYTE) if name not in ranked]
    readings: dict[str, str] = {}
    for candidate in ranked:
        try:
            readings[candidate] = sample.decode(candidate)
        except UnicodeDecodeError:
            continue
    if "cp1252" in readings and readings.get("iso8859-1") == readings["cp1252"]:
        del readings["iso8859-1"]  # Latin-1 text without a C1 byte: Windows-1252 reads it the same
    return sorted(readings, key=lambda name: (implausibility(readings[name]), ranked.index(name)))


def encoding_detect(path: Path) -> str:
    """The file's encoding: its byte-order mark; else UTF-8 if all of it decodes as UTF-8; else the
    likeliest Western single-byte code page (see :func:`_single_byte`) that decodes all of it."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if bom := _bom_encoding(head):
        return bom
    if _utf8(path):
        return "utf-8"
    for candidate in _single_byte(_non_ascii_lines(path)):
        if encoding_error(path, candidate) is None:
            return candidate
    return "iso8859-1"  # decodes any byte


def encoding_error(path: Path, encoding: str) -> str | None:
    """None if the whole file reads in ``encoding``; else a sentence naming the first line that does not."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line += chunk[: max(exc.start, 0)].count(b"\n")
                label = ENCODINGS.get(encoding_name(encoding), encoding)
                return f"Line {line:,} of the file cannot be read as {label}: choose another encoding."
            if not chunk:
                return None
            line += chunk.count(b"\n")


# --- Delimiter and number style ---------------------------------------------------------------------


def delimiter_detect(sample: str) -> str:
    """The delimiter that splits the header and the sample's records into the same number of fields.

    Commas inside values ("1,5" in a semicolon file) split records unevenly, so they lose to the
    delimiter under which the records agree with the header; a tie goes to the one that gives more
    columns, then to the order comma, semicolon, tab, pipe. A single column is read as comma separated.
    """
    if len(sample) >= _SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n")]  # the last record may be cut short
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            records = [r for r in itertools.islice(reader, SAMPLE_ROWS) if r]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width, rest = len(records[0]), records[1:]
        agreeing = sum(1 for record in rest if len(record) == width) / len(rest) if rest else 1.0
        if (agreeing, width) > best_score:
            best, best_score = delimiter, (agreeing, width)
    return best


_NUMBER_CELL = re.compile(
    r"[-+(]?\s*(?:us\$|usd|eur|[$€£])?\s*([0-9][0-9.,' \u00a0\u202f]*[0-9]|[0-9])[a-z%€$£. ]{0,16}\)?"
)
_DATE_CELL = re.compile(DATE_PATTERN)


def _decimal_vote(cell: str) -> str | None:
    """The decimal separator a number-like cell shows ("." or ","), or None if it cannot tell."""
    text = cell.strip().lower()
    match = _NUMBER_CELL.fullmatch(text)
    if match is None or _DATE_CELL.match(text):
        return None
    body = re.sub(r"[' \u00a0\u202f]", "", match.group(1))
    if "." in body and "," in body:
        return "," if body.rfind(",") > body.rfind(".") else "."
    for separator, other in ((".", ","), (",", ".")):
        groups = body.split(separator)
        if len(groups) > 2:  # repeated, so it groups thousands, if every later group has three digits
            return other if all(len(group) == 3 for group in groups[1:]) else None
        if len(groups) == 2:
            return None if len(groups[1]) == 3 else separator  # "1,234" could be either
    return None


def number_style_detect(rows: list[list[str]], *, delimiter: str = ",") -> str:
    """The decimal separator of the file's numbers ("." or ","), from the cells of a sample of rows.

    Each number that shows its separator votes ("1.234,5" and "1,2 Mio" for the comma, "36.9 Million"
    for the point); an ambiguous "1,234" does not. Without a majority, a semicolon-separated file (what
    spreadsheets write where the comma is the decimal separator) gets the comma, any other the point.
    """
    votes = {".": 0, ",": 0}
    for row in rows:
        for cell in row:
            if vote := _decimal_vote(cell):
                votes[vote] += 1
    if votes["."] != votes[","]:
        return max(votes, key=votes.get)
    return "," if delimiter == ";" else "."


# --- Files ------------------------------------------------------------------------------------------


def file_format_detect(path: Path, original_name: str) -> str:
    """The file's format: "xlsx" for an Excel workbook, else "csv". Refuses an empty file, an old .xls and
    a file named .xlsx that is not a workbook."""
    if path.stat().st_size == 0:
        raise ImportFileError("The file is empty.")
    with path.open("rb") as handle:
        zipped = handle.read(4) == b"PK\x03\x04"
    suffix = Path(original_name).suffix.lower()
    if zipped:
        return "xlsx"
    if suffix in {".xlsx", ".xlsm"}:
        raise ImportFileError(
            "This file is named .xlsx but is not an Excel workbook (a workbook protected by a password is not "
            "one either: remove the password in Excel). Upload the real workbook or a CSV."
        )
    if suffix in {".xls"}:
        raise ImportFileError("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV and upload that.")
    return "csv"


def file_inspect(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> FileInfo:
    """Work out how to read a CSV file (or read it as told), read its header and a sample of its rows;
    refuse files that cannot be imported."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    wide = _bom_encoding(head) or ""
    if _looks_binary(head.decode(wide, errors="replace") if wide.startswith("utf-16") else head):
        raise ImportFileError(
            "This does not look like a CSV file: it contains binary data. Export the sheet from your spreadsheet "
            "as CSV (or upload the .xlsx workbook)."
        )
    encoding = encoding_name(encoding or "") or encoding_detect(path)
    text = head[: len(head) - len(head) % 4].decode(encoding, errors="replace")
    info = FileInfo(file_format="csv", encoding=encoding, delimiter=delimiter or delimiter_detect(text))
    return _header_and_sample(path, info)


def staged_inspect(path: Path) -> FileInfo:
    """The header and a sample of the rows of a workbook's staged copy (UTF-8, comma separated)."""
    info = _header_and_sample(path, FileInfo(file_format="csv", encoding="utf-8", delimiter=","))
    info.file_format = "xlsx"
    return info


def _header_and_sample(path: Path, info: FileInfo) -> FileInfo:
    rows = iter(file_rows(path, info, errors="replace"))
    try:
        info.headers = [h.strip() for h in next(rows, [])]
        if not any(info.headers):
            raise ImportFileError("The first row is empty: the file needs a header row naming its columns.")
        limit = settings.IMPORT_MAX_COLUMNS
        if len(info.headers) > limit:
            raise ImportFileError(
                f"This file has {len(info.headers):,} columns; salesplan imports files of up to {limit:,} columns. "
                "Delete the columns you do not need and upload it again."
            )
        info.sample = [row for row in itertools.islice(rows, SAMPLE_ROWS) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ImportFileError(
            f"This file cannot be read as CSV ({exc}). A value may be longer than {csv.field_size_limit():,} "
            "characters, or a quote may be left open: fix it in your spreadsheet and export it again."
        ) from None
    info.decimal = number_style_detect(info.sample, delimiter=info.delimiter)
    return info


def csv_rows(path: Path, info: FileInfo, *, errors: str = "strict") -> Iterator[list[str]]:
    """Every record of a CSV, header included, streamed (quoted newlines, any line ending).

    ``errors="replace"`` (the preview) shows a character that does not read as U+FFFD instead of failing.
    """
    with path.open("r", encoding=info.encoding, errors=errors, newline="") as handle:
        yield from csv.reader(handle, delimiter=info.delimiter)


def file_rows(path: Path, info: FileInfo, *, errors: str = "strict") -> Iterator[list[str]]:
    """Every record of the file (a CSV, or a workbook's staged copy), header included, as lists of strings."""
    return csv_rows(path, info, errors=errors)


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
