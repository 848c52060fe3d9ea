from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from salesplan.exports import csv_rows, spreadsheet_safe, xlsx_write


@pytest.mark.parametrize("text", ["=1+1", "+33 1 23", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_triggers_are_neutralized(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", [-5, 3.5, None, "Acme", "a=b"])
def test_numbers_and_plain_text_pass_through(value):
    assert spreadsheet_safe(value) == value


def test_csv_rows_start_with_a_bom_and_keep_numbers_numeric():
    body = "".join(csv_rows(["Name", "Revenue"], [("=cmd", -1200), ("Acme", None)]))
    assert body == "\ufeffName,Revenue\r\n'=cmd,-1200\r\nAcme,\r\n"


HOSTILE = ['=HYPERLINK("http://evil.example/","Click")', "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


def _starts_like_a_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_header_cells_are_neutralized_like_data_cells():
    body = "".join(csv_rows([*HOSTILE, 2026], [[*HOSTILE, 1]]))
    header, row = list(csv.reader(io.StringIO(body.lstrip("\ufeff"), newline="")))
    assert header == ["'" + h for h in HOSTILE] + ["2026"]
    assert row == ["'" + h for h in HOSTILE] + ["1"]


def test_xlsx_header_cells_are_text_never_formulas():
    buffer = io.BytesIO()
    xlsx_write(target=buffer, header=HOSTILE, rows=[HOSTILE])
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [c.value for c in sheet[1]][:5] == ["'" + h for h in HOSTILE][:5]  # (XML reads a CR back as LF)
    assert all(c.data_type == "s" and not _starts_like_a_formula(c.value) for c in cells)
