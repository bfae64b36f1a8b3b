"""DVC's ``apply_diff``: rewrite parsed YAML in place so unchanged parts keep their order.

Used by :mod:`dvcdoit.formats.dvcfile` to rewrite a ``.dvc`` file as DVC does (spec §3.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def apply_diff(src: Any, dest: Any) -> None:
    """Apply ``src`` onto ``dest`` in place, like DVC's ``dvc.utils.collections.apply_diff``.

    Mappings: changed values replaced in place, new keys appended, missing keys deleted.
    Lists of equal length are diffed item by item; otherwise replaced whole.
    """

    def same_type(a: Any, b: Any) -> bool:
        return any(isinstance(a, t) and isinstance(b, t) for t in (str, Mapping, list, bool))

    if isinstance(src, Mapping) and isinstance(dest, dict):
        for key, value in src.items():
            if isinstance(value, (Mapping, list)) and same_type(value, dest.get(key)):
                apply_diff(value, dest[key])
            elif key not in dest or value != dest[key]:
                dest[key] = value
        for key in [k for k in dest if k not in src]:
            del dest[key]
    elif isinstance(src, list) and isinstance(dest, list):
        if len(src) != len(dest):
            dest[:] = src
            return
        for i, value in enumerate(src):
            if isinstance(value, (Mapping, list)) and same_type(value, dest[i]):
                apply_diff(value, dest[i])
            elif value != dest[i]:
                dest[i] = value
    else:  # pragma: no cover - callers only pass matching containers
        msg = f"cannot apply a diff from {type(src).__name__} to {type(dest).__name__}"
        raise TypeError(msg)
