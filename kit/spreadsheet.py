"""CSV files organisers open in a spreadsheet, with nobody's words run as a formula."""

import csv
import io
import unicodedata

FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and their full-width forms


def _skipped(char):
    """What a spreadsheet passes over before it looks for a formula sign: blanks, line breaks, control
    and invisible characters (a zero-width space, a byte-order mark)."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def safe_cell(value):
    """Spreadsheets run a cell as a formula when its first character that counts is a formula sign
    (``"  =cmd"`` and ``"\\n@SUM(...)"`` too): such a cell gets a leading quote, which keeps it text.
    So does any cell opening with a tab or a carriage return, as before."""
    text = "" if value is None else str(value)
    first = next((char for char in text if not _skipped(char)), "")
    return "'" + text if first in FORMULA_SIGNS or text[:1] in ("\t", "\r") else text


def as_csv(header, rows):
    """The CSV text of ``rows`` (sequences of cells) under ``header``, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
