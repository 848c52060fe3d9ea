from __future__ import annotations

import pytest

from salesplan.exports import csv_rows, spreadsheet_safe


@pytest.mark.parametrize("text", ["=1+1", "+33 1 23", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_triggers_are_neutralized(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", [-5, 3.5, None, "Acme", "a=b"])
def test_numbers_and_plain_text_pass_through(value):
    assert spreadsheet_safe(value) == value


def test_csv_rows_start_with_a_bom_and_keep_numbers_numeric():
    body = "".join(csv_rows(["Name", "Revenue"], [("=cmd", -1200), ("Acme", None)]))
    assert body == "\ufeffName,Revenue\r\n'=cmd,-1200\r\nAcme,\r\n"
