"""Layer 5, the verbs: repo-wide operations (push/fetch/pull/status -c, checkout, commit) that
return data, and the DVC-worded lines that render those results.

May import :mod:`dvcdoit.pipeline` and below. Nothing here prints or imports doit: both the
command line and the doit tasks call these functions.
"""
