"""Layer 5, the verbs: repo-wide operations that return data, and the DVC-worded lines that
render those results.

``tracked`` lists the cached outputs a selection uses; ``checkout`` and ``commit`` act on the
workspace; ``cloud`` is push/fetch/pull/status -c, opening remotes through an ``opener``;
``report`` renders. May import :mod:`dvcdoit.pipeline` and below. Nothing here prints or
imports doit: both the command line and the doit tasks call these functions.
"""
