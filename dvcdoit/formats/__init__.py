"""Layer 1, the on-disk formats: one reader/writer per DVC file format, deterministic bytes.

May import :mod:`dvcdoit.core` and sibling format modules; PyYAML only in ``_yaml``. Raw dicts
never leave this package: every parser returns typed, validated values.
"""
