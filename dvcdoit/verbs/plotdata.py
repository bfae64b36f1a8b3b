"""Collect plot data from a :class:`~dvcdoit.verbs.snapshot.Snapshot`: json/csv/tsv/yaml files
into records.

Errors are values: each failed source gives a ``{name, rev, type, msg}`` record, as DVC's
``plots show --json`` lists them under ``errors``, and the other plots still render.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.formats import _yaml
from dvcdoit.formats.plotdef import PlotDef
from dvcdoit.verbs.snapshot import Snapshot

IMAGES = (".png", ".jpg", ".jpeg", ".svg", ".gif")


@dataclass
class Collected:
    """One plot at one rev: its datapoints and inferred axes, or its errors, or image bytes."""

    plot: PlotDef
    rev: str
    records: list[dict[str, Any]] = field(default_factory=list)
    image: bytes | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    axes: dict[str, Any] = field(default_factory=dict)
    """``x``, ``y``, ``x_label``, ``y_label`` and ``y_defs`` (``[{filename, field}]``)."""


def _lists(blob: Any) -> list[list[Any]]:
    if isinstance(blob, list):
        return [blob]
    out: list[list[Any]] = []
    if isinstance(blob, dict):
        for value in blob.values():
            if isinstance(value, dict):
                out.extend(_lists(value))
            elif isinstance(value, list):
                out.append(value)
    return out


def datapoints(blob: Any) -> list[dict[str, Any]]:
    """DVC's ``get_datapoints``: every list of same-keyed records, merged index by index."""
    result: list[dict[str, Any]] = []
    for lst in _lists(blob):
        if not lst or not all(isinstance(r, dict) for r in lst):
            continue
        if set(lst[0]) != {k for r in lst for k in r}:
            continue
        for i, record in enumerate(lst):
            if len(result) <= i:
                result.append({})
            result[i].update(record)
    return result


def parse_data(name: str, raw: bytes) -> list[dict[str, Any]]:
    """Records of a data file by its extension; ValueError when it does not parse."""
    suffix = Path(name).suffix.lower()
    text = raw.decode()
    if suffix in (".csv", ".tsv"):
        delim = "\t" if suffix == ".tsv" else ","
        return [dict(r) for r in csv.DictReader(io.StringIO(text), delimiter=delim)]
    return datapoints(json.loads(text) if suffix == ".json" else _yaml.loads(text, name))


def _files_under(snap: Snapshot, plot: PlotDef) -> list[str]:
    if plot.multi:
        return []
    try:
        return snap.listdir(plot.id)
    except PathError:  # NOTE: outside the repo: collect() reports it for the plot
        return []


def expand(snap: Snapshot, plots: list[PlotDef]) -> list[PlotDef]:
    """Directories given as a plot (dvclive's ``plots/metrics``) become one plot per file."""
    out: list[PlotDef] = []
    for p in plots:
        files = _files_under(snap, p)
        out += [PlotDef(rel, ((rel, p.sources[0][1]),), p.props, config=p.config)
                for rel in files] or [p]
    return out


def _error(c: Collected, source: str | None, kind: str, msg: str) -> None:
    """Record an error as DVC's ``--json`` does: ``source`` only for a file that failed."""
    error = {"name": c.plot.id, "rev": c.rev}
    if source is not None:
        error["source"] = source
    c.errors.append(error | {"type": kind, "msg": msg})


def _parse_error(fname: str, exc: Exception) -> tuple[str, str]:
    kind = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML"}.get(Path(fname).suffix.lower())
    if kind is None:
        return type(exc).__name__, f"unable to read: '{fname}': {exc}"
    return (f"{kind}FileCorruptedError",
            f"unable to read: '{fname}', {kind} file structure is corrupted")


def _read(c: Collected, snap: Snapshot, fname: str) -> bytes | None:
    """The bytes of ``fname``, or None with DVC's FileNotFoundError recorded (a path outside
    the repo or in ``.dvc/``/``.git/`` is never read)."""
    try:
        return snap.read(fname)
    except (OSError, PathError):
        _error(c, fname, "FileNotFoundError", f"[Errno 2] No such file or directory: '{fname}'")
        return None


def _load(c: Collected, snap: Snapshot, fname: str) -> list[dict[str, Any]] | None:
    raw = _read(c, snap, fname)
    if raw is None:
        return None
    try:
        return parse_data(fname, raw)
    except (ValueError, UnicodeDecodeError, DvcDoitError) as exc:
        _error(c, fname, *_parse_error(fname, exc))
        return None


def _ys(plot: PlotDef, files: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    out = []
    for fname, y in plot.sources:
        rows = files.get(fname)
        if y is None and rows:
            y = list(rows[0])[-1]
        if y is not None:
            out.append((fname, y))
    return out


def _missing_field(c: Collected, files: dict[str, list[dict[str, Any]]],
                   pairs: list[tuple[str, str]]) -> bool:
    for fname, want in pairs:
        rows = files.get(fname)
        if rows and want not in rows[0]:
            _error(c, None, "FieldNotFoundError",
                   f"Could not find provided field ('{want}') in data fields "
                   f"('{', '.join(rows[0])}').")
            return True
    return False


def _y_label(raw: Any, ys: list[tuple[str, str]]) -> Any:
    """DVC's ``infer_y_label``: a list of fields is ``y``; one field (however given) is it."""
    if isinstance(raw, list):
        return "y"
    fields = {f for _, f in ys}
    if isinstance(raw, str) or len(fields) == 1:
        return raw if isinstance(raw, str) else next(iter(fields))
    return "y" if fields else None


def collect(snap: Snapshot, plot: PlotDef) -> Collected:
    """The datapoints (or image bytes, or errors) of ``plot`` in ``snap``.

    As DVC's converter: ``y`` inferred as the last field of the first record, ``x`` as the
    index (``step``); several (file, field) sources are one table with ``rev``, ``filename``
    and ``field`` columns (``dvc_inferred_y_value`` when the fields differ).
    """
    c = Collected(plot, snap.label)
    if Path(plot.id).suffix.lower() in IMAGES and not plot.multi:
        c.image = _read(c, snap, plot.sources[0][0])
        return c
    files: dict[str, list[dict[str, Any]]] = {}
    for fname, _ in plot.sources:
        if fname not in files:
            rows = _load(c, snap, fname)
            if rows is not None:
                files[fname] = rows
    x = plot.props.get("x")
    ys = _ys(plot, files)
    if _missing_field(c, files, [(f, x) for f, _ in ys] if x else []) or _missing_field(
            c, files, ys):
        return c
    fields = {f for _, f in ys}
    c.axes["x"] = x or "step"
    c.axes["y"] = "dvc_inferred_y_value" if len(fields) > 1 else next(iter(fields), None)
    c.axes["x_label"] = plot.props.get("x_label", c.axes["x"])
    c.axes["y_label"] = plot.props.get("y_label", _y_label(plot.props.get("y"), ys))
    _fill(c, files, ys)
    return c


def _fill(c: Collected, files: dict[str, list[dict[str, Any]]],
          ys: list[tuple[str, str]]) -> None:
    y_files = {f for f, _ in ys}
    prefix = len(os.path.commonpath(list(y_files))) if len(y_files) > 1 else 0
    c.axes["y_defs"] = [{"filename": f[prefix:].strip("/"), "field": y} for f, y in ys]
    for fname, y in ys:
        for i, row in enumerate(files.get(fname, [])):
            r = dict(row)
            if c.axes["y"] == "dvc_inferred_y_value" and y in r:
                r["dvc_inferred_y_value"] = r[y]
            if "x" not in c.plot.props:
                r["step"] = i
            r.update(rev=c.rev, filename=fname[prefix:].strip("/"), field=y)
            c.records.append(r)
