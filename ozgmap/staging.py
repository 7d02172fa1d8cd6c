"""Writing millions of records at once: a staging table, filled in chunks, compared with the
current records in SQL and written in one transaction (all or nothing), with the history and
the counts :meth:`ozgmap.store.Store.apply` gives.

The staging table is a temporary table of one connection: on SQLite filling it takes no lock
of the database (temporary tables live apart), on PostgreSQL it is filled with ``COPY``.
Only the final transaction writes the store; readers keep reading the previous state until
it commits (SQLite in WAL mode, PostgreSQL by MVCC).
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import sqlalchemy as sa

from .schema import (DATA_FIELDS, KEY_FIELDS, RECORD_FIELDS, STAND_FIELD, import_run,
                     umsetzung, umsetzung_history)
from .store import Store, WriteConflict, WriteResult, _is_conflict, _now

#: the record values a staged row holds, in this order
FIELDS = list(KEY_FIELDS) + DATA_FIELDS + [STAND_FIELD]
_DATES = {"seit", "stand"}
NEW, CHANGED, RESTAMPED, SAME, PROTECTED = None, "geändert", "stand", "gleich", "geschützt"

_metadata = sa.MetaData()
staging = sa.Table(
    "umsetzung_staging", _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("file_no", sa.Integer, nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    *[sa.Column(k, umsetzung.c[k].type) for k in FIELDS],
    sa.Column("uid", sa.Integer),           # the current record of the same key
    sa.Column("aktion", sa.String(16)),     # see NEW, CHANGED …
    prefixes=["TEMPORARY"],
)


class Staging:
    """One staging table on its own connection of *store*; use as a context manager.

    :meth:`add` rows (``(file_no, line, *FIELDS)``, values normalised as the store keeps
    them) in chunks, then :meth:`loaded`; :meth:`duplicate_groups` and :meth:`remove` settle
    repeated keys; :meth:`write` (or :meth:`counts` for a dry run) compares and writes.
    """

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.engine.connect()
        self.dialect = self.conn.dialect.name
        self.rows = 0
        if self.dialect == "sqlite":  # larger page caches for the big statements (KiB)
            self.conn.exec_driver_sql("PRAGMA cache_size = -131072")
            self.conn.exec_driver_sql("PRAGMA temp.cache_size = -65536")
        self.conn.exec_driver_sql("DROP TABLE IF EXISTS umsetzung_staging")
        staging.create(self.conn)
        self.conn.commit()

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.conn.rollback()
            self.conn.exec_driver_sql("DROP TABLE IF EXISTS umsetzung_staging")
            if self.dialect == "sqlite":  # the connection goes back to the pool: defaults
                self.conn.exec_driver_sql("PRAGMA cache_size = -2000")
                self.conn.exec_driver_sql("PRAGMA temp.cache_size = -2000")
            self.conn.commit()
        finally:
            self.conn.close()

    # --- loading --------------------------------------------------------------------------

    def add(self, rows: list[tuple]) -> None:
        """Append *rows* (``(file_no, line, *FIELDS)``): PostgreSQL by COPY, else in one
        ``executemany``."""
        if not rows:
            return
        first = self.rows
        self.rows += len(rows)
        cols = ["seq", "file_no", "line"] + FIELDS
        if self.dialect == "postgresql":
            raw = self.conn.connection.dbapi_connection
            with raw.cursor() as cur, cur.copy(
                    f"COPY umsetzung_staging ({', '.join(cols)}) FROM STDIN") as copy:
                for i, row in enumerate(rows, start=first):
                    copy.write_row((i, *row))
            return
        dates = [i + 1 for i, k in enumerate(cols[1:]) if k in _DATES]
        values = []
        for i, row in enumerate(rows, start=first):
            row = list(row)
            for d in dates:  # as SQLAlchemy's Date keeps them in SQLite
                if row[d - 1] is not None:
                    row[d - 1] = row[d - 1].isoformat()
            values.append((i, *row))
        self.conn.exec_driver_sql(
            f"INSERT INTO umsetzung_staging ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' * len(cols))})", values)

    def loaded(self) -> None:
        """All rows are in: commit them and index the key."""
        self.conn.exec_driver_sql(  # after the load: faster than keeping it up row by row
            f"CREATE INDEX ix_umsetzung_staging_key ON umsetzung_staging ({', '.join(KEY_FIELDS)})")
        if self.dialect == "postgresql":
            self.conn.exec_driver_sql("ANALYZE umsetzung_staging")
        self.conn.commit()

    def duplicate_groups(self, limit: int) -> list[list[dict]]:
        """Rows sharing a key, by key (at most *limit* keys), each group in file order."""
        keys = [staging.c[k] for k in KEY_FIELDS]
        dup = (sa.select(*keys).group_by(*keys).having(sa.func.count() > 1)
               .limit(limit).subquery())
        stmt = (sa.select(staging).join(dup, sa.and_(*[staging.c[k] == dup.c[k]
                                                       for k in KEY_FIELDS]))
                .order_by(*keys, staging.c.seq))
        groups: dict[tuple, list[dict]] = {}
        for r in self.conn.execute(stmt):
            m = dict(r._mapping)
            groups.setdefault(tuple(m[k] for k in KEY_FIELDS), []).append(m)
        self.conn.commit()
        return list(groups.values())

    def remove(self, seqs: Iterable[int]) -> None:
        """Drop staged rows (repeats taken once)."""
        seqs = list(seqs)
        for i in range(0, len(seqs), 500):
            self.conn.execute(staging.delete().where(staging.c.seq.in_(seqs[i:i + 500])))
        self.rows -= len(seqs)
        self.conn.commit()

    # --- comparing and writing ------------------------------------------------------------

    def _classify(self, replace_source: str | None) -> dict[str | None, int]:
        """Mark each staged row with its current record and what writing it would do."""
        u, s = umsetzung, staging
        changed = sa.or_(*[u.c[k].is_distinct_from(s.c[k]) for k in DATA_FIELDS])
        whens = [(changed, CHANGED), (u.c[STAND_FIELD].is_distinct_from(s.c[STAND_FIELD]),
                                      RESTAMPED)]
        if replace_source is not None:  # generated data never overwrites loaded data
            whens.insert(0, (u.c.quelle != replace_source, PROTECTED))
        self.conn.execute(s.update().values(uid=u.c.id, aktion=sa.case(*whens, else_=SAME))
                          .where(*[u.c[k] == s.c[k] for k in KEY_FIELDS]))
        return {a: n for a, n in self.conn.execute(
            sa.select(s.c.aktion, sa.func.count()).group_by(s.c.aktion))}

    def _missing(self, replace_source: str):
        """Current records of *replace_source* that no staged row names."""
        u, s = umsetzung, staging
        return sa.and_(u.c.quelle == replace_source,
                       ~sa.exists().where(*[s.c[k] == u.c[k] for k in KEY_FIELDS]))

    def counts(self, replace_source: str | None = None) -> WriteResult:
        """What :meth:`write` would do, writing nothing (a dry run)."""
        try:
            by = self._classify(replace_source)
            deleted = 0
            if replace_source is not None:
                deleted = self.conn.execute(sa.select(sa.func.count()).select_from(umsetzung)
                                            .where(self._missing(replace_source))).scalar()
        finally:
            self.conn.rollback()
        return _result(by, deleted)

    def write(self, *, by: str, datei: str = "", format: str = "", sha256: str = "",
              replace_source: str | None = None,
              meta_values: dict[str, str] | None = None) -> WriteResult:
        """Compare and write in one transaction, all or nothing, as :meth:`Store.apply`
        does: new records inserted, changed ones updated (both with a history row), a new
        Stand of unchanged content set in place, with *replace_source* the stored records of
        that source missing from the staging table deleted (with history); ``data_version``
        bumped once if anything changed. Raises :class:`WriteConflict` as ``apply`` does."""
        now = _now()
        conn = self.conn
        try:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # nobody writes between read and write
            run_id = conn.execute(import_run.insert().values(
                datei=datei, format=format, sha256=sha256, von=by, am=now,
                added=0, updated=0, unchanged=0, deleted=0)).inserted_primary_key[0]
            res = self._write(run_id, by, now, replace_source)
            for key, value in (meta_values or {}).items():
                self.store._set_meta(conn, key, value)
            conn.execute(import_run.update().where(import_run.c.id == run_id).values(
                added=res.added, updated=res.updated, unchanged=res.unchanged,
                deleted=res.deleted))
            if res.added or res.updated or res.deleted or res.restamped or meta_values:
                self.store._bump(conn)
            conn.commit()
        except sa.exc.DBAPIError as exc:
            conn.rollback()
            if not _is_conflict(exc):
                raise
            raise WriteConflict(str(exc.orig).splitlines()[0][:200]) from exc
        except BaseException:
            conn.rollback()
            raise
        res.import_id = run_id
        return res

    def _write(self, run_id: int, by: str, now: dt.datetime, replace_source: str | None
               ) -> "_Written":
        u, s, h, conn = umsetzung, staging, umsetzung_history, self.conn
        by_p = sa.bindparam("by_", by, type_=sa.Text)
        now_p = sa.bindparam("now_", now, type_=sa.DateTime)
        run_p = sa.bindparam("run_", run_id, type_=sa.Integer)
        counts = self._classify(replace_source)
        hist_cols = ["umsetzung_id", "aktion"] + RECORD_FIELDS + ["import_id"]
        stamp = {"erfasst_von": by_p, "erfasst_am": now_p, "import_id": run_p}
        if counts.get(NEW):
            conn.execute(u.insert().from_select(
                FIELDS + list(stamp), sa.select(*[s.c[k] for k in FIELDS], *stamp.values())
                .where(s.c.uid.is_(None)).order_by(s.c.seq)))
            conn.execute(h.insert().from_select(hist_cols, sa.select(
                u.c.id, sa.literal("angelegt"), *[u.c[k] for k in RECORD_FIELDS], u.c.import_id)
                .where(u.c.import_id == run_p)))
        if counts.get(CHANGED):
            conn.execute(u.update().values({**{k: s.c[k] for k in DATA_FIELDS + [STAND_FIELD]},
                                            **stamp})
                         .where(u.c.id == s.c.uid, s.c.aktion == CHANGED))
            conn.execute(h.insert().from_select(hist_cols, sa.select(
                u.c.id, sa.literal("geändert"), *[u.c[k] for k in RECORD_FIELDS], u.c.import_id)
                .join(s, s.c.uid == u.c.id).where(s.c.aktion == CHANGED)))
        if counts.get(RESTAMPED):
            conn.execute(u.update().values(stand=s.c[STAND_FIELD])
                         .where(u.c.id == s.c.uid, s.c.aktion == RESTAMPED))
        deleted = 0
        if replace_source is not None:
            gone = self._missing(replace_source)
            kept = [c for c in RECORD_FIELDS if c not in ("erfasst_von", "erfasst_am")]
            conn.execute(h.insert().from_select(
                ["umsetzung_id", "aktion"] + kept + ["erfasst_von", "erfasst_am", "import_id"],
                sa.select(u.c.id, sa.literal("gelöscht"), *[u.c[k] for k in kept],
                          *stamp.values()).where(gone)))
            deleted = conn.execute(u.delete().where(gone)).rowcount
        return _result(counts, deleted)


class _Written(WriteResult):
    restamped: int = 0


def _result(counts: dict[str | None, int], deleted: int) -> _Written:
    res = _Written(added=counts.get(NEW, 0), updated=counts.get(CHANGED, 0),
                   unchanged=sum(n for a, n in counts.items() if a not in (NEW, CHANGED)),
                   deleted=deleted)
    res.restamped = counts.get(RESTAMPED, 0)
    return res
