"""Layer 0, the core: errors, digests, filesystem primitives, forked workers, the state DB, bars.

Nothing here knows DVC's repo layout. Modules in ``core`` import only the standard library,
each other (``errors``, ``tempname`` and ``timing`` first, then ``hashing``/``fsutil``/``fanout``, then ``state``), and
``tqdm`` (``progress`` only).
"""
