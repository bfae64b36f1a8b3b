"""Text tables as DVC prints them (its tabulate-based ``ui.table``), reusable by every verb.

Measured on DVC 3.67.1: every cell is a left-aligned string (no number parsing); a column is
as wide as its widest cell and at least its header plus 2; ``plain`` joins cells with two
spaces and strips each line's right end; ``md`` is GitHub's pipe table followed by an empty
line. (DVC 3.67.1's ``metrics show`` has no ``--csv``.)
"""

from __future__ import annotations

from collections.abc import Sequence

Row = Sequence[str]


def _widths(headers: Row, rows: Sequence[Row]) -> list[int]:
    widths = [len(h) + 2 for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    return widths


def plain(headers: Row, rows: Sequence[Row]) -> str:
    """DVC's default layout: space-padded columns, two spaces apart, no trailing blanks."""
    widths = _widths(headers, rows)
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in (headers, *rows)]
    return "\n".join(lines)


def markdown(headers: Row, rows: Sequence[Row]) -> str:
    """DVC's ``--md``: a GitHub pipe table, then an empty line."""
    widths = _widths(headers, rows)

    def line(cells: Row) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)]) + "\n"



def horizontals(headers: Row, rows: Sequence[Row], right: Sequence[bool] = ()) -> str:
    """``exp show``'s table (rich's ``box.HORIZONTALS`` at its natural width, as DVC prints it
    off a terminal): a rule, the header, a rule, the rows, a rule; each cell padded by one
    space each side, columns one space apart, one space at each end of every line; columns
    flagged in ``right`` right-aligned (header too)."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    flags = [*right, *([False] * len(headers))]

    def line(cells: Row) -> str:
        parts = [f" {c.rjust(w) if flags[i] else c.ljust(w)} "
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return " " + " ".join(parts) + " "

    rule = " " + "─" * (sum(w + 2 for w in widths) + len(widths) - 1) + " "
    return "\n".join([rule, line(headers), rule, *(line(r) for r in rows), rule])


def csv_text(headers: Row, rows: Sequence[Row]) -> str:
    """The csv module's default dialect (``\\r\\n`` line ends), as DVC's ``--csv`` writes it."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue()
