"""The attendee code as a QR code (PNG), for the organisers' scanners at the entrance.

The symbol is segno's, module for module (``segno.make(code, error="m", micro=False)``: the same
version, error level and data mask), made for less than half its cost. segno chooses the mask by
building and scoring each of the eight masked symbols in pure Python, about 85 % of its 1.5 ms a symbol.
Here segno makes the symbol once, with mask 0; the eight masks are scored on whole rows at once
(``penalty``: the same rules and the same score as segno's ``mask_scores``, on the same matrix, so the
same mask wins), and the winner is applied to that symbol: its data modules masked again, its format
information changed as segno changes it for that mask (learnt once from segno itself, ``_FORMAT``).
The PNG is written directly (1 bit a pixel, 8 pixels a module so a module is one byte, a quiet zone of
4 modules, deflated), where segno's writer took about 1 ms. A message is logged with its files, so a
retry sends the same bytes without computing anything again.
"""

import functools
import struct
import zlib

import segno
from segno import encoder

CONTENT_TYPE = "image/png"
FILENAME = "attendee-code.png"
ERROR = "m"  # at least; segno raises it when the code fits the same version at a higher level
SCALE, BORDER = 8, 4  # pixels a module (one byte of 1-bit pixels); modules of quiet zone on each side
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DIGITS = bytes.maketrans(b"\x00\x01", b"01")  # a row of modules (0: light, 1: dark) as binary digits
PIXELS = bytes.maketrans(b"01", b"\xff\x00")  # a module as 8 pixels: light white, dark black
FINDER_LIKE = "1011101"  # dark, light, 3 dark, light, dark (penalty N3)
_FORMAT = {}  # (size, error level, mask) -> rows: how the format information differs from mask 0's


def qr_png(code):
    """A PNG of a QR code holding exactly ``code``; the same code always gives the same bytes."""
    return png(rows(code))


@functools.lru_cache(maxsize=64)  # an event handled again (a retry) does not compute it again
def rows(code):
    """segno's symbol of ``code``: an int a row, bit (size - 1 - j) set for a dark module in column j."""
    first = segno.make(code, error=ERROR, micro=False, mask=0)
    size = len(first.matrix)
    start = [int(bytes(row).translate(DIGITS), 2) for row in first.matrix]
    best = best_mask(start, size)
    if best == 0:
        return tuple(start)
    patterns = _patterns(size)
    key = (size, first.error, best)
    if key not in _FORMAT:  # learnt from segno once: it depends on the error level and the mask only
        other = segno.make(code, error=ERROR, micro=False, mask=best)
        masked = [int(bytes(row).translate(DIGITS), 2) for row in other.matrix]
        _FORMAT[key] = tuple(masked[i] ^ start[i] ^ patterns[0][i] ^ patterns[best][i] for i in range(size))
    change = _FORMAT[key]
    return tuple(row ^ patterns[0][i] ^ patterns[best][i] ^ change[i] for i, row in enumerate(start))


def best_mask(masked_with_0, size):
    """The mask segno chooses for this symbol (its rows as made with mask 0): the lowest penalty, the
    first of equals. Each mask is scored on the matrix as segno scores it: before the format information
    is written (its cells light), the data modules masked."""
    patterns, reserved = _patterns(size), _reserved(size)
    plain = [(row ^ patterns[0][i]) & ~reserved[i] for i, row in enumerate(masked_with_0)]
    scores = [penalty([row ^ pattern[i] for i, row in enumerate(plain)], size) for pattern in patterns]
    return scores.index(min(scores))


@functools.cache
def _patterns(size):
    """Each mask pattern over the data modules of a symbol of ``size`` modules a side (ints, as rows)."""
    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module
    found = []
    for mask in encoder.get_data_mask_functions(False):
        found.append(
            tuple(
                sum(1 << (size - 1 - j) for j in range(size) if function[i][j] > 0x1 and mask(i, j))
                for i in range(size)
            )
        )
    return tuple(found)


@functools.cache
def _reserved(size):
    """The format information's cells (and the dark module's): light while the masks are scored."""
    matrix = encoder.make_matrix(size, size)  # the timing pattern crosses them: those are not reserved
    return tuple(sum(1 << (size - 1 - j) for j in range(size) if matrix[i][j] == 0x0) for i in range(size))


def penalty(rows, size):
    """segno's ``evaluate_mask`` of the matrix whose rows are ``rows``: N1 (runs of 5 and more alike),
    N2 (2x2 blocks alike), N3 (finder-like patterns), N4 (the balance of dark modules)."""
    full = (1 << size) - 1
    pairs = full >> 1  # each column but the first, with the one on its left
    # N1, on bits: a run of L >= 5 alike is L - 1 >= 4 "same as the next" in a row, which holds L - 4
    # windows of 4 of them; it scores L - 2: its windows, plus 2 for the run (the windows' first).
    n1 = 0
    for row in rows:
        same = ~(row ^ (row >> 1)) & pairs
        windows = same & (same >> 1) & (same >> 2) & (same >> 3)
        n1 += windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
    downs = [~(above ^ below) & full for above, below in zip(rows, rows[1:], strict=False)]  # columns alike
    before = 0
    for i in range(len(downs) - 3):
        windows = downs[i] & downs[i + 1] & downs[i + 2] & downs[i + 3]
        n1 += windows.bit_count() + 2 * (windows & ~before).bit_count()
        before = windows
    n2 = 0
    for above, down in zip(rows, downs, strict=False):
        n2 += 3 * (down & ~(above ^ (above >> 1)) & ~(down ^ (down >> 1)) & pairs).bit_count()
    lines = [format(row, f"0{size}b") for row in rows]  # "1": a dark module
    lines += ["".join(column) for column in zip(*lines, strict=True)]
    n3 = sum(_finder_like(line, size) for line in lines if FINDER_LIKE in line)
    dark = sum(row.bit_count() for row in rows)
    n4 = 10 * int(abs(float(dark) / (size**2) * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _finder_like(line, size):
    """segno's count of 1:1:3:1:1 patterns with light modules before or after them, in one line."""
    count, at = 0, line.find(FINDER_LIKE)
    while at != -1:
        after = at + 7
        if at in (0, size - 7) or "1" not in line[max(at - 4, 0) : at] or "1" not in line[after : after + 4]:
            count += 40
        else:
            after = at + 4
        at = line.find(FINDER_LIKE, after)
    return count


def png(rows):
    """A 1-bit greyscale PNG of the symbol (dark modules black), 8 pixels a module, with a quiet zone."""
    size = len(rows)
    width = (size + 2 * BORDER) * SCALE
    quiet = b"\x00" + b"\xff" * (width // 8)  # each line: a filter byte (none), then its pixels
    side = b"\xff" * BORDER
    lines = [quiet] * (BORDER * SCALE)
    for row in rows:
        lines += [b"\x00" + side + format(row, f"0{size}b").encode().translate(PIXELS) + side] * SCALE
    lines += [quiet] * (BORDER * SCALE)
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1 bit, greyscale, no interlace
    image = zlib.compress(b"".join(lines), 6)  # as small as 9 here (a few bytes apart), 4 times faster
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", image) + _chunk(b"IEND", b"")


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
