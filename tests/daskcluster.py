"""The Dask cluster of the Dask tests: a ``distributed.LocalCluster`` of two worker
processes (one thread each) on 127.0.0.1, where a dead worker fails its task at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def local_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The cluster, as a module-scoped fixture's body; ``clone_tmp`` is the workers' TMPDIR."""
    import dask
    import distributed

    tmp = tmp_path_factory.mktemp("workers")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        # NOTE: the nanny's env, so that a restarted worker clones there too
        lc = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                      env={"TMPDIR": str(tmp)})
    lc.clone_tmp = tmp
    try:
        yield lc
    finally:
        lc.close()
