"""Workbooks written byte by byte for the tests: hostile ones (a huge text table that compresses well),
damaged ones (valid zip, broken XML), and ones with what openpyxl would not write (gaps, inline text)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"

_CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def _skeleton(archive: zipfile.ZipFile, *, workbook: str | None = None) -> None:
    archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
    archive.writestr(
        "_rels/.rels",
        f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    )
    archive.writestr(
        "xl/workbook.xml",
        workbook
        or f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
        '<sheet name="Accounts" sheetId="1" r:id="rId1"/></sheets></workbook>',
    )
    archive.writestr(
        "xl/_rels/workbook.xml.rels",
        f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )


def sheet_xml(rows: Iterable[str]) -> str:
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'


def strings_xml(strings: Iterable[str]) -> str:
    return f'<?xml version="1.0"?><sst xmlns="{MAIN}">{"".join(f"<si><t>{s}</t></si>" for s in strings)}</sst>'


def inline_row(number: int, cells: Iterable[str]) -> str:
    """A row of inline text cells from column A."""
    body = "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in cells)
    return f'<row r="{number}">{body}</row>'


def workbook_bytes(*, sheet: str, strings: str | None = None, workbook: str | None = None) -> bytes:
    """A workbook with the parts given as they are (any XML, broken or not)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _skeleton(archive, workbook=workbook)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", strings if strings is not None else strings_xml([]))
    return buffer.getvalue()


def hostile_workbook(path: Path, *, text_bytes: int, rows: int) -> int:
    """A workbook like the one that took the web process to 1.77 GB: a text table of ``text_bytes``
    (distinct company names, so it compresses about 13-fold, well within the zip-bomb check) and a sheet
    of ``rows`` accounts whose names and cities come from all over that table. Returns how many strings
    the table holds."""
    count = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        _skeleton(archive)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode())
            written = 0
            while written < text_bytes:
                chunk = "".join(
                    f"<si><t>Hostile Holdings {i:09d} of a long company name, branch {i % 9973}</t></si>"
                    for i in range(count, count + 20_000)
                ).encode()
                part.write(chunk)
                written += len(chunk)
                count += 20_000
            part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
            part.write(inline_row(1, ["Company", "City", "Revenue"]).encode())
            for start in range(2, rows + 2, 5_000):
                part.write(
                    "".join(
                        f'<row r="{r}"><c r="A{r}" t="s"><v>{(r * 7919) % count}</v></c>'
                        f'<c r="B{r}" t="s"><v>{(r * 104_729) % count}</v></c><c r="C{r}"><v>{r * 1000}</v></c></row>'
                        for r in range(start, min(rows + 2, start + 5_000))
                    ).encode()
                )
            part.write(b"</sheetData></worksheet>")
    return count
