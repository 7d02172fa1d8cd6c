"""The records as columns: numpy arrays built once per data version and shared by every
process of a machine.

What the figures need of each record (its body, OZG-Leistung, LeiKa key, status, source and
three flags) is a few bytes in a column, not a Python object: 1.8 million records of all of
Germany take about 30 MB. :func:`load_or_build` writes them, once per data version, to a
directory of ``.npy`` files that every worker memory-maps, so the operating system holds one
copy for all of them (their pages are shared, and a new worker has its data in milliseconds).
Records are sorted by body, then OZG-ID and LeiKa key; ``start[i]:start[i + 1]`` are body
``i``'s records.
"""
from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .config import SAMPLE_SOURCE
from .filters import STATUS_ORDER

#: Bumped when the files' layout changes (older directories are then rebuilt).
FORMAT = 1
#: flag bits
SAMPLE, COUNTED, PARTIAL = 1, 2, 4
#: ``flaechendeckung`` of a record that counts nowhere (the dashboard's own evaluation leaves
#: it out; shown with its Begründung), and of one that is no offer for every resident when a
#: Kreis, Land or Bund holds it ("some, not all, of its Kommunen have it").
NOT_COUNTED = "nicht in Auswertung berücksichtigt"
SOME_KOMMUNEN = "in mind. einer Kommune verfügbar"
STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
ARRAYS = ("body", "ozg", "leika", "status", "rank", "source", "flags", "start")
KEEP = 3  # data versions kept on disk (older ones may still be mapped by a slow worker)


def flags_of(ags: str, quelle: str, flaechendeckung: str) -> int:
    """The flag bits of one record (the counting rule, in one place)."""
    f = SAMPLE if quelle == SAMPLE_SOURCE else 0
    if flaechendeckung != NOT_COUNTED:
        f |= COUNTED
    # held by a Kreis, Land or Bund (AGS of 5 or 2 digits): not for every resident below
    if flaechendeckung == SOME_KOMMUNEN and len(ags) < 8:
        f |= PARTIAL
    return f


@dataclass
class Columns:
    """The records of one data version as arrays, with the tables their codes index."""

    bodies: list[str]      # AGS by body code, sorted
    ozg_ids: list[str]     # OZG-ID by code ("" for a record kept by LeiKa key only)
    leika_keys: list[str]
    statuses: list[str]
    sources: list[str]
    body: np.ndarray       # int32, per record
    ozg: np.ndarray        # int32
    leika: np.ndarray      # int32
    status: np.ndarray     # int16, code into statuses
    rank: np.ndarray       # int8, STATUS_RANK (-1: unknown status)
    source: np.ndarray     # int32
    flags: np.ndarray      # uint8
    start: np.ndarray      # int64, per body + 1

    def __len__(self) -> int:
        return len(self.body)

    @classmethod
    def build(cls, chunks: Iterable[Sequence[tuple]], bodies: Iterable[str]) -> "Columns":
        """From chunks of ``(ags, ozg_id, leika_key, status, quelle, flaechendeckung)`` rows
        (streamed: of each row only its small integer codes are kept), over *bodies* and the
        AGS the rows name. Beispieldaten of a body that has real records are dropped (real
        beats sample; the store keeps them)."""
        collecting = gc.isenabled()
        gc.disable()  # millions of short-lived tuples, no cycles: the collector cost 40 %
        try:
            return cls._build(chunks, bodies)
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def _build(cls, chunks: Iterable[Sequence[tuple]], bodies: Iterable[str]) -> "Columns":
        tables: list[dict[str, int]] = [{}, {}, {}, {}, {}]
        parts: list[list[np.ndarray]] = [[] for _ in range(6)]
        for chunk in chunks:
            if not len(chunk):
                continue
            values = list(zip(*chunk))
            local = [pd.factorize(np.asarray(v, dtype=object)) for v in values]
            for t, part, (codes, uniques) in zip(tables, parts, local):
                glob = np.fromiter((t.setdefault(u, len(t)) for u in uniques), dtype=np.int32,
                                   count=len(uniques))
                part.append(glob[codes])
            (ags_c, ags_u), (q_c, q_u), (fl_c, fl_u) = local[0], local[4], local[5]
            short = np.array([len(a) < 8 for a in ags_u], dtype=bool)[ags_c]
            sample = np.array([q == SAMPLE_SOURCE for q in q_u], dtype=bool)[q_c]
            counted = np.array([f != NOT_COUNTED for f in fl_u], dtype=bool)[fl_c]
            some = np.array([f == SOME_KOMMUNEN for f in fl_u], dtype=bool)[fl_c]
            parts[5].append((sample * SAMPLE | counted * COUNTED
                             | (some & short) * PARTIAL).astype(np.uint8))
        body_codes, *cols, flags = [np.concatenate(p) if p else np.zeros(0, np.int32)
                                    for p in parts]
        flags = flags.astype(np.uint8)
        names = [list(t) for t in tables]
        all_bodies = sorted(set(bodies) | set(names[0]))
        pos = {a: i for i, a in enumerate(all_bodies)}
        remap = np.fromiter((pos[a] for a in names[0]), dtype=np.int32, count=len(names[0]))
        body = remap[body_codes] if len(body_codes) else np.zeros(0, np.int32)
        n = len(all_bodies)
        # real beats sample, per body
        real = np.bincount(body[(flags & SAMPLE) == 0], minlength=n) > 0
        keep = ~(((flags & SAMPLE) != 0) & real[body])
        body, flags, cols = body[keep], flags[keep], [c[keep] for c in cols]
        # sorted by body, then OZG-ID and LeiKa key (as the store lists them)
        ozg_sort = _sort_codes(names[1])[cols[0]]
        leika_sort = _sort_codes(names[2])[cols[1]]
        order = np.lexsort((leika_sort, ozg_sort, body))
        ranks = np.array([STATUS_RANK.get(s, -1) for s in names[3]] or [0], dtype=np.int8)
        status = cols[2][order].astype(np.int16)
        return cls(bodies=all_bodies, ozg_ids=names[1], leika_keys=names[2],
                   statuses=names[3], sources=names[4],
                   body=body[order], ozg=cols[0][order], leika=cols[1][order],
                   status=status, rank=ranks[status] if len(status) else np.zeros(0, np.int8),
                   source=cols[3][order], flags=flags[order],
                   start=np.searchsorted(body[order], np.arange(n + 1)).astype(np.int64))

    # --- files ---------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True)
        for name in ARRAYS:
            np.save(directory / f"{name}.npy", np.ascontiguousarray(getattr(self, name)))
        tables = {k: getattr(self, k) for k in ("bodies", "ozg_ids", "leika_keys", "statuses",
                                                 "sources")}
        (directory / "tables.json").write_text(json.dumps({"format": FORMAT, **tables}),
                                               encoding="utf-8")

    @classmethod
    def open(cls, directory: Path) -> "Columns":
        """The arrays of *directory*, memory-mapped read-only (shared with every process
        that maps them)."""
        tables = json.loads((directory / "tables.json").read_text(encoding="utf-8"))
        if tables.pop("format") != FORMAT:
            raise ValueError(f"{directory}: other format")
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        return cls(**tables, **arrays)


def _sort_codes(values: list[str]) -> np.ndarray:
    """For codes into *values*: their rank in sorted order."""
    out = np.empty(len(values), dtype=np.int32)
    out[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
    return out


def version_key(url: str, version: int, changed_at: object) -> str:
    """The name of one data version's directory: the store (a copied database file is
    another store) and its version."""
    digest = hashlib.sha1(f"{url}|{changed_at}".encode()).hexdigest()[:12]
    return f"v{version}-{digest}-f{FORMAT}"


def load_or_build(directory: Path, key: str, build) -> Columns:
    """The columns of data version *key* from *directory*, built with *build()* and written
    there by the first process that needs them (the others wait for it, then map its files).
    """
    target = directory / key
    if (target / "tables.json").exists():
        try:
            return Columns.open(target)
        except (OSError, ValueError):
            pass  # half-removed or of another layout: build again below
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder per machine; the others wait here
        if not (target / "tables.json").exists():
            cols = build()
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=directory))
            shutil.rmtree(tmp)
            cols.save(tmp)
            shutil.rmtree(target, ignore_errors=True)
            os.rename(tmp, target)
            _prune(directory, keep=target.name)
    return Columns.open(target)


def _prune(directory: Path, keep: str) -> None:
    """Remove all but the newest :data:`KEEP` versions (a process still mapping a removed
    one keeps its pages until it lets go: unlinked files live on while mapped)."""
    dirs = sorted((d for d in directory.iterdir() if d.is_dir() and d.name.startswith("v")),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[KEEP:]:
        if d.name != keep:
            shutil.rmtree(d, ignore_errors=True)
    for d in directory.iterdir():  # what a builder killed mid-way left
        if d.name.startswith(".v") and d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
