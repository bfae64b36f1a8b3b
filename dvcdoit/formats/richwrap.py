"""Lines as DVC's console prints its styled output: tabs expanded, then wrapped as rich does.

DVC writes some lines through rich (``ui.write(..., styled=True)``): ``checkout``'s
``A<TAB>path``, ``remote list``, ``exp push``. Rich expands tabs to stops of 8 and wraps each
line at the console's width (80 columns when no terminal is attached, ``COLUMNS`` when set):
a word that does not fit the rest of the line starts the next one, a word longer than the
width is cut into pieces of the width, and blanks past the width at the end of a line are
dropped. So a long path after ``A<TAB>`` goes to a line of its own, ``A`` and its seven
blanks staying on the first. This is rich 15's ``divide_line`` and ``rstrip_end``, measured
against DVC 3.67.1's output.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

_WORD = re.compile(r"\s*\S+\s*")
_TRAILING = re.compile(r"\s+$")
TAB_SIZE = 8


def _cells(text: str) -> int:
    """Terminal cells of ``text``: wide (East Asian W/F) characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _expand(line: str) -> str:
    """Tabs to blanks up to the next stop of :data:`TAB_SIZE` cells (rich's ``expand_tabs``,
    which counts a wide character as two, where ``str.expandtabs`` counts one)."""
    if "\t" not in line:
        return line
    out, position = [], 0
    for part in line.split("\t")[:-1]:
        position += _cells(part) + 1
        pad = -position % TAB_SIZE
        out.append(part + " " * (1 + pad))
        position += pad
    return "".join(out) + line.rsplit("\t", 1)[1]


def _chop(word: str, width: int) -> list[str]:
    """``word`` in pieces of at most ``width`` cells (rich's ``chop_cells``)."""
    pieces, piece, used = [], "", 0
    for ch in word:
        size = _cells(ch)
        if piece and used + size > width:
            pieces.append(piece)
            piece, used = "", 0
        piece += ch
        used += size
    pieces.append(piece)
    return pieces


def _breaks(line: str, width: int) -> list[int]:
    """Offsets at which rich breaks ``line`` (``divide_line`` with ``fold=True``)."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(line):
        start, word = match.start(), match.group(0)
        length = _cells(word.rstrip())
        if width - offset >= length:
            offset += _cells(word)
        elif length > width:
            pieces = _chop(word, width)
            for k, piece in enumerate(pieces):
                if start:
                    breaks.append(start)
                if k == len(pieces) - 1:
                    offset = _cells(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = _cells(word)
    return breaks


def _pieces(line: str, width: int) -> Iterator[str]:
    edges = [0, *_breaks(line, width), len(line)]
    for lo, hi in itertools.pairwise(edges):
        piece = line[lo:hi]
        excess = _cells(piece) - width
        if excess > 0 and (trailing := _TRAILING.search(piece)) is not None:
            piece = piece[:len(piece) - min(len(trailing.group(0)), excess)]
        yield piece


def wrap(text: str, width: int) -> str:
    """``text`` as rich prints it on a console ``width`` columns wide (no final newline)."""
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(_pieces(_expand(line), max(1, width)))
    return "\n".join(out)


__all__ = ["TAB_SIZE", "wrap"]
