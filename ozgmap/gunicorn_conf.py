"""gunicorn hooks of ``ozgmap serve`` (``--config python:ozgmap.gunicorn_conf``): the master
loads the app and its data once, before it forks the workers (``--preload``), so every worker
starts with them in hand and shares their memory pages with the others.

* :func:`when_ready` (master, after the app was imported): loads the data snapshot (its
  columns are memory-mapped files, :mod:`ozgmap.columns`), the boundaries and the map page,
  then moves every object alive into the garbage collector's permanent generation
  (``gc.freeze``): a worker's collections never write to those objects' pages, so they stay
  shared instead of being copied into each worker.
* :func:`post_fork` (each worker): the database connections opened by the master are given
  up (never used by two processes); the worker opens its own.
"""
from __future__ import annotations

import gc
import sys
import time

from .server import WSGI_MODULE


def when_ready(server) -> None:
    wsgi = sys.modules.get(WSGI_MODULE)
    if wsgi is None:  # not preloaded: each worker loads for itself (Worker.load_wsgi)
        return
    t0 = time.perf_counter()
    wsgi.ready()
    wsgi.forget_connections()
    gc.collect()
    gc.freeze()
    server.log.info("Daten geladen in %.1f s; die Worker teilen sie.", time.perf_counter() - t0)


def post_fork(server, worker) -> None:
    wsgi = sys.modules.get(WSGI_MODULE)
    if wsgi is not None:
        wsgi.forget_connections()
