"""Layer 4, the pipeline: the stage graph, running one stage, the repo index and stage status.

May import :mod:`dvcdoit.repo` and below. ``graph`` is pure (no filesystem); ``index`` loads
``dvc.yaml``, ``dvc.lock`` and the ``.dvc`` files once; ``selection`` turns user targets into
the stages, data sources and outputs they name (``Index.select``); ``migrate`` turns classic
stage files into ``dvc.yaml`` stages.
"""
