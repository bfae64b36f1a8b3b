"""Layer 2, storage: the local object cache, the run-cache, remotes, and cache⇄remote transfer.

May import :mod:`dvcdoit.core` and :mod:`dvcdoit.formats`. ``cache`` and ``remotes`` do not
know each other; only ``transfer`` joins them. Only ``runcache`` knows the run-cache's layout. Each remote backend imports its own client
library (``boto3`` only in ``remotes/s3.py``).
"""
