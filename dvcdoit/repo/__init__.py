"""Layer 3, the repo: the project (root, config, lock), the workspace ⇄ cache moves (with the
hasher that reads the workspace and the links that fill it), ignores, ``.gitignore`` and
``.dvc`` data sources.

May import :mod:`dvcdoit.storage`, :mod:`dvcdoit.formats` and :mod:`dvcdoit.core`; knows
nothing of stages or doit.
"""
